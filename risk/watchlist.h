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
// Result (tested against a brute-force scan): Find returns exactly the most
// Jaro-Winkler-similar entry (ties: the lowest) among the entries that pass
// the threshold and are equal to the query or within the edit limit of it:
//  1. an entry of kMinSplit characters or more: Levenshtein distance (insertions,
//     deletions, substitutions) <= kMaxEdits;
//  2. a shorter entry: one edit, an adjacent swap counting as one.
// The index finds every such entry (pigeonhole: three edits leave one
// segment within one edit, and a deletion-neighbourhood match is exactly
// "within one edit, or one swap" for segments anchored at the string's ends);
// each candidate is then checked exactly, so entries beyond the limit are
// never reported even if their similarity passes (see docs/rules.md).
//
// Filtering (Find): each posting carries its entry's length and the set of
// character groups it contains (plates: A-Z, two groups for the rest;
// names: also the second occurrence of the seven most frequent letters,
// with rare letters sharing groups; see watchlist.cc); a lower bound
// on the edit distance from those (characters of one side whose group the
// other lacks, plus the length difference) drops most postings without
// touching the entry (evaluated from per-query tables: four loads a
// posting). The survivors get a second bound from exact byte counts (a
// character with no equal left on the other side needs an edit of its own),
// then a bit-parallel edit distance (Hyyro 2003) against the query, and
// those within the limit Jaro-Winkler.
//
// Keys of the whole string make every candidate share a long substring with
// the query, so common name endings (-OVIC, -AJ, -OGLU) never put the
// entries of one ending in one bucket, as a fixed six-character suffix did.
//
// Index layout (no per-entry heap objects): normalised and display strings in
// two blobs with offsets; the exact index is an open-addressing table of entry
// numbers; the fuzzy index is a bucket array (CSR) keyed by the hash of each
// key string, each posting 64 bits: the entry's group mask and length, its
// number, and the key hash's high bits in the spare bits, so hash collisions
// are rejected without touching the entry (at most 2^30 entries). Each
// bucket is sorted, so one key's postings are one run and a lookup stops
// at its end. Duplicate
// normalised entries are indexed once (the first, which is also the one Find
// reports).
//
// Names (WatchKind::kName) are also matched token by token
// (risk/name_tokens.h) when the above finds nothing: the exact and fuzzy
// indexes hold a name's tokens concatenated (WholeForm), the token index its
// tokens; Normalise gives the tokens separated by spaces.
//
// Thread safety: const methods may run concurrently; Add/Build may not run
// concurrently with anything else.
#ifndef OUTPOST_RISK_WATCHLIST_H_
#define OUTPOST_RISK_WATCHLIST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "risk/name_tokens.h"

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
  // What the exact and edit-limit indexes compare: for names the normalised
  // tokens concatenated ("ANA JOVANOVIC" -> "ANAJOVANOVIC"), else as is.
  static std::string WholeForm(WatchKind kind, std::string_view normalised);

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
    size_t probes = 0;         // buckets read
    size_t postings = 0;       // postings read
    size_t candidates = 0;     // distinct entries past the signature bound (edit distance computed)
    size_t scored = 0;         // entries within the edit limit (Jaro-Winkler computed)
    size_t token_lookups = 0;  // names: lookups token by token
    size_t token_checked = 0;  // names: entries checked token by token
  };
  // Best entry for an already normalised query with similarity >= threshold
  // among the exact match and the entries within the edit limit (above).
  // threshold >= 1 means exact (normalised) match only. For a name list,
  // if that finds nothing, the best entry by the token rule
  // (risk/name_tokens.h: any order, tokens of the longer name may be
  // missing; with threshold >= 1 the tokens must be equal). Adds to *stats
  // if given.
  std::optional<Match> Find(std::string_view normalised, double threshold,
                            Stats* stats = nullptr) const;
  // Jaro-Winkler against every entry, the best at or above threshold (ties:
  // the lowest entry), with no edit limit: what Find would give if it scored
  // every entry. O(size()); for tests and benchmarks (recall of the limit).
  std::optional<Match> FindBruteForce(std::string_view normalised, double threshold) const;
  // The token rule (MatchNameTokens) against every entry, the best (ties:
  // the lowest entry); nullopt for other kinds. O(size()); for tests.
  std::optional<Match> FindTokensBruteForce(std::string_view normalised, double threshold) const;

  size_t size() const { return norm_off_.size() - 1; }
  std::string_view Display(uint32_t entry) const;
  // The entry's WholeForm (what the exact and edit-limit indexes compare).
  std::string_view Normalised(uint32_t entry) const;
  // Heap bytes held by the entries and both indexes.
  size_t MemoryBytes() const;

 private:
  class Lookup;  // one FindWithinEditLimit (watchlist.cc)

  std::optional<uint32_t> FindExact(std::string_view normalised) const;
  std::optional<Match> FindWithinEditLimit(std::string_view normalised, double threshold,
                                           Stats* stats) const;

  WatchKind kind_;
  std::string norm_blob_, display_blob_;
  std::vector<uint32_t> norm_off_{0}, display_off_{0};
  std::vector<uint32_t> exact_;       // entry + 1, 0 = empty; size is a power of 2
  std::vector<uint32_t> bucket_off_;  // fuzzy buckets, size = buckets + 1
  // Grouped by bucket; see the posting layout in watchlist.cc.
  std::vector<uint64_t> postings_;
  uint64_t bucket_mask_ = 0;
  uint32_t entry_bits_ = 32;                // low bits of a posting that hold the entry number
  std::unique_ptr<NameTokenIndex> tokens_;  // names only
};

}  // namespace outpost::risk

#endif  // OUTPOST_RISK_WATCHLIST_H_
