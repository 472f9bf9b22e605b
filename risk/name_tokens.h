// Token-by-token matching of person names, whatever the order of the
// tokens and with tokens of the longer name missing from the shorter one
// ("ANA MARIJA JOVANOVIC" and "Jovanović Ana"), and its index for a large
// watchlist. Names are normalised first (NormaliseName: folded, DJ as D,
// tokens sorted and separated by one space).
//
// The rule (docs/rules.md, "Watchlist matching"), for a threshold T:
//  1. Two tokens match with similarity 1 if they are equal; if T < 1 also
//     with similarity JaroWinkler(a, b) when both have at least
//     kMinFuzzyToken characters, they are within one edit of each other
//     (insertion, deletion, substitution or adjacent swap) and the
//     similarity is at least T.
//  2. A query of 2..kMaxQueryTokens tokens and an entry of
//     2..kMaxEntryTokens tokens match when every token of the one with fewer
//     tokens (the query if both have as many) matches a distinct token of
//     the other; at least two tokens are matched, since both have two.
//  3. The similarity of the match is the smallest token similarity of the
//     best assignment (the one whose smallest similarity is largest).
//  4. NameTokenIndex::Find gives the entry with the highest similarity,
//     ties to the lowest entry number: exactly what MatchNameTokens over
//     every entry gives (tested against that brute force).
//
// Index: a dictionary of the distinct tokens of the entries of 2..5 tokens
// (exact hash table, and a one-deletion neighbourhood table for fuzzy token
// lookups: two tokens within one edit share the token or one of its
// one-character deletions); per entry its token numbers; and a table from
// each unordered pair of token numbers to the entries holding both
// (sorted by token count, then entry). A query looks up each token's
// dictionary matches, then the pair lists: entries with at least as many
// tokens as the query must hold all its tokens, so they are read from one
// pair only (the one with the fewest postings); entries with fewer tokens
// from every pair. Each candidate is checked by rule 2 from token numbers.
//
// Thread safety: Find and MemoryBytes may run concurrently; Build may not
// run concurrently with anything.
#ifndef OUTPOST_RISK_NAME_TOKENS_H_
#define OUTPOST_RISK_NAME_TOKENS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::risk {

inline constexpr size_t kMinNameTokens = 2;
inline constexpr size_t kMaxEntryTokens = 5;
inline constexpr size_t kMaxQueryTokens = 8;
inline constexpr size_t kMinFuzzyToken = 4;

// Rule 1: the similarity of two tokens, or nullopt if they do not match.
std::optional<double> TokenSimilarity(std::string_view a, std::string_view b, double threshold);

// Rules 2-3 for one query and one entry (normalised names): the similarity,
// or nullopt if they do not match. The reference the index is tested
// against; O(tokens^2) token comparisons.
std::optional<double> MatchNameTokens(std::string_view query, std::string_view entry,
                                      double threshold);

class NameTokenIndex {
 public:
  struct Match {
    uint32_t entry;
    double similarity;
  };
  struct Stats {
    size_t pair_probes = 0;  // pair lists looked up
    size_t postings = 0;     // postings read
    size_t checked = 0;      // entries checked by rule 2
  };
  // Indexes entries 0..n-1 (normalised names, entry(e)); of entries with
  // the same tokens only the first. Replaces any previous index.
  void Build(size_t n, const std::function<std::string(uint32_t)>& entry);
  // Rule 4 for a normalised query. Adds to *stats if given.
  std::optional<Match> Find(std::string_view query, double threshold, Stats* stats = nullptr) const;
  size_t MemoryBytes() const;

 private:
  struct PairSlot {
    uint64_t key = 0;  // (low token << 32 | high token) + 1; 0 = empty
    uint32_t off = 0, len = 0;
  };
  class Lookup;  // one Find (name_tokens.cc)

  std::optional<uint32_t> TokenId(std::string_view token) const;
  uint32_t Intern(std::string_view token);
  std::string_view Token(uint32_t id) const;
  const PairSlot* Pair(uint32_t a, uint32_t b) const;
  void BuildPairs(std::vector<std::pair<uint64_t, uint32_t>>* pairs);
  void BuildDeletions();

  std::string token_blob_;
  std::vector<uint32_t> token_off_{0};
  std::vector<uint32_t> token_table_;  // token + 1, 0 = empty; power of 2
  // Tokens under their one-character deletions: a hash table of buckets,
  // each posting (high 32 bits of the key's hash) << 32 | token.
  std::vector<uint32_t> delete_off_;  // size = buckets + 1
  std::vector<uint64_t> delete_;
  uint64_t delete_mask_ = 0;
  std::vector<uint32_t> entry_off_;  // per entry, into entry_tokens_
  std::vector<uint32_t> entry_tokens_;
  std::vector<PairSlot> pairs_;     // open addressing; power of 2
  std::vector<uint32_t> postings_;  // entry << 3 | its token count
};

}  // namespace outpost::risk

#endif  // OUTPOST_RISK_NAME_TOKENS_H_
