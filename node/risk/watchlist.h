// A watchlist: entries normalised once, an exact hash index and a fuzzy
// candidate index sized for 1e6 entries.
//
// Fuzzy candidates come from a deletion neighbourhood (SymSpell-style) of
// the first and the last kSegment characters of each normalised entry: an
// entry is a candidate for a query if the two agree within one edit in their
// first kSegment characters or in their last kSegment characters. Candidates
// are scored with Jaro-Winkler and the best one at or above the threshold is
// returned. So every entry within 3 edits of a query of 2*kSegment characters
// or more is found (pigeonhole), and within 1 edit for shorter ones; pairs
// that differ at both ends are not (see docs/rules.md).
//
// Index layout (no per-entry heap objects): normalised and display strings in
// two blobs with offsets; the exact index is an open-addressing table of entry
// numbers; the fuzzy index is a bucket array (CSR) of entry numbers keyed by
// the hash of each neighbourhood string.
//
// Thread safety: const methods may run concurrently; Add/Build may not run
// concurrently with anything else.
#ifndef OUTPOST_NODE_RISK_WATCHLIST_H_
#define OUTPOST_NODE_RISK_WATCHLIST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::risk {

enum class WatchKind { kName, kCompany, kPlate };

class Watchlist {
 public:
  static constexpr size_t kSegment = 6;

  explicit Watchlist(WatchKind kind) : kind_(kind) {}

  WatchKind kind() const { return kind_; }
  // The normalisation this list applies (NormaliseName/Company/Plate).
  std::string Normalise(std::string_view raw) const;

  // Appends an entry; entries that normalise to "" are ignored. Call Build()
  // after the last Add and before any lookup.
  void Add(std::string_view display);
  void Build();

  struct Match {
    uint32_t entry;
    double similarity;
  };
  // Best entry for an already normalised query with similarity >= threshold.
  // threshold >= 1 means exact (normalised) match only.
  std::optional<Match> Find(std::string_view normalised, double threshold) const;

  size_t size() const { return norm_off_.size() - 1; }
  std::string_view Display(uint32_t entry) const;
  std::string_view Normalised(uint32_t entry) const;
  // Heap bytes held by the entries and both indexes.
  size_t MemoryBytes() const;

 private:
  template <typename F>
  static void ForEachKey(std::string_view s, F&& f);
  std::optional<uint32_t> FindExact(std::string_view normalised) const;

  WatchKind kind_;
  std::string norm_blob_, display_blob_;
  std::vector<uint32_t> norm_off_{0}, display_off_{0};
  std::vector<uint32_t> exact_;       // entry + 1, 0 = empty; size is a power of 2
  std::vector<uint32_t> bucket_off_;  // fuzzy buckets, size = buckets + 1
  std::vector<uint32_t> postings_;    // entry numbers, grouped by bucket
  uint64_t bucket_mask_ = 0;
};

}  // namespace outpost::risk

#endif  // OUTPOST_NODE_RISK_WATCHLIST_H_
