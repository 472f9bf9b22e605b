// A watchlist: entries normalised once, an exact hash index and a fuzzy
// candidate index sized for 1e6 entries.
//
// Fuzzy candidates come from deletion neighbourhoods (SymSpell-style: a
// string and each of its one-character deletions) of anchored segments of
// each distinct normalised entry:
//  - an entry shorter than kMinSplit characters is keyed by the whole string;
//  - a longer entry of length L is keyed by its first L/2 characters and,
//    separately, by its last L - L/2 characters (keys carry the side and the
//    segment length, so the query derives the same segments for every entry
//    length it could be close to).
// Guarantee (tested against brute force): every entry within kMaxEdits edits
// (insertions, deletions, substitutions) of a query is a candidate when the
// entry has kMinSplit characters or more, and within one edit otherwise; an
// adjacent swap counts as one edit inside a segment. Pigeonhole: three edits
// leave one segment within one edit, and a deletion neighbourhood match
// is exactly "within one edit" for segments anchored at the string's ends.
// Candidates are scored with Jaro-Winkler and the best at or above the
// threshold is returned; entries farther than that in edits are not found
// even if their similarity passes (see docs/rules.md).
//
// Keys of the whole string make every candidate share a long substring with
// the query, so common name endings (-OVIC, -AJ, -OGLU) never put the
// entries of one ending in one bucket, as a fixed six-character suffix did.
//
// Index layout (no per-entry heap objects): normalised and display strings in
// two blobs with offsets; the exact index is an open-addressing table of entry
// numbers; the fuzzy index is a bucket array (CSR) keyed by the hash of each
// key string, each posting an entry number with the key hash's high bits in
// the spare high bits, so hash collisions are rejected without touching the
// entry. Duplicate normalised entries are indexed once (the first, which is
// also the one Find reports).
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
  static constexpr size_t kMinSplit = 10;
  static constexpr size_t kMaxEdits = 3;

  explicit Watchlist(WatchKind kind) : kind_(kind) {}

  WatchKind kind() const { return kind_; }
  // The normalisation this list applies (NormaliseName/Company/Plate).
  std::string Normalise(std::string_view raw) const { return NormaliseAs(kind_, raw); }
  static std::string NormaliseAs(WatchKind kind, std::string_view raw);

  // Appends an entry; entries that normalise to "" are ignored. Call Build()
  // after the last Add and before any lookup.
  void Add(std::string_view display);
  void Build();

  struct Match {
    uint32_t entry;
    double similarity;
  };
  // Work done by one Find, for benchmarks.
  struct Stats {
    size_t probes = 0;      // buckets read
    size_t postings = 0;    // postings read
    size_t candidates = 0;  // distinct entries considered
    size_t scored = 0;      // Jaro-Winkler computations
  };
  // Best entry for an already normalised query with similarity >= threshold.
  // threshold >= 1 means exact (normalised) match only. Adds to *stats if given.
  std::optional<Match> Find(std::string_view normalised, double threshold,
                            Stats* stats = nullptr) const;
  // The reference answer: Jaro-Winkler against every entry, the best at or
  // above threshold (ties: the lowest entry). O(size()); for tests and benchmarks.
  std::optional<Match> FindBruteForce(std::string_view normalised, double threshold) const;

  size_t size() const { return norm_off_.size() - 1; }
  std::string_view Display(uint32_t entry) const;
  std::string_view Normalised(uint32_t entry) const;
  // Heap bytes held by the entries and both indexes.
  size_t MemoryBytes() const;

 private:
  std::optional<uint32_t> FindExact(std::string_view normalised) const;

  WatchKind kind_;
  std::string norm_blob_, display_blob_;
  std::vector<uint32_t> norm_off_{0}, display_off_{0};
  std::vector<uint32_t> exact_;       // entry + 1, 0 = empty; size is a power of 2
  std::vector<uint32_t> bucket_off_;  // fuzzy buckets, size = buckets + 1
  std::vector<uint32_t> postings_;    // fingerprint << entry_bits_ | entry, grouped by bucket
  uint64_t bucket_mask_ = 0;
  uint32_t entry_bits_ = 32;  // low bits of a posting that hold the entry number
};

}  // namespace outpost::risk

#endif  // OUTPOST_NODE_RISK_WATCHLIST_H_
