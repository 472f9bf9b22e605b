#include "risk/name_tokens.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "risk/normalise.h"
#include "risk/validators.h"

namespace outpost::risk {
namespace {

constexpr uint64_t kTokenSeed = 0x6e616d65746f6b31ULL;
constexpr uint64_t kDeleteSeed = 0x6e616d6564656c31ULL;

// Tokens of a normalised name (separated by one space), at most `max`; the
// count is max + 1 if there are more.
size_t Split(std::string_view s, std::array<std::string_view, kMaxQueryTokens + 1>* out,
             size_t max) {
  size_t n = 0;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) {
      if (n == max) return max + 1;
      (*out)[n++] = s.substr(start, end - start);
    }
    start = end + 1;
  }
  return n;
}

// Within one edit: insertion, deletion, substitution or adjacent swap.
bool WithinOneEdit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return true;
  if (a.size() != b.size()) return a.substr(i) == b.substr(i + 1);
  if (a.substr(i + 1) == b.substr(i + 1)) return true;  // substitution
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
         a.substr(i + 2) == b.substr(i + 2);
}

// Calls f(hash) for s and each of its distinct one-character deletions.
// Deletions of tokens up to kStackToken bytes are built on the stack.
template <typename F>
void ForEachDeletion(std::string_view s, F&& f) {
  constexpr size_t kStackToken = 64;
  f(StableHash64(s, kDeleteSeed));
  char stack[kStackToken];
  std::string heap;
  char* d = stack;
  if (s.size() > kStackToken) {
    heap.resize(s.size());
    d = heap.data();
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && s[i] == s[i - 1]) continue;  // the same deletion
    std::memcpy(d, s.data(), i);
    std::memcpy(d + i, s.data() + i + 1, s.size() - i - 1);
    f(StableHash64(std::string_view(d, s.size() - 1), kDeleteSeed));
  }
}

// A sequence on the stack up to N elements, on the heap past that, so a
// lookup allocates only when a query has unusually many candidates.
template <typename T, size_t N>
class StackVector {
 public:
  StackVector() = default;
  StackVector(const StackVector&) = delete;
  StackVector& operator=(const StackVector&) = delete;

  void push_back(const T& v) {
    if (size_ == N) {
      heap_.assign(stack_.begin(), stack_.end());
      data_ = heap_.data();
    }
    if (size_ >= N) {
      heap_.push_back(v);
      data_ = heap_.data();
    } else {
      stack_[size_] = v;
    }
    ++size_;
  }
  size_t size() const { return size_; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  std::array<T, N> stack_;
  std::vector<T> heap_;
  T* data_ = stack_.data();
  size_t size_ = 0;
};

// Rule 3: the largest smallest weight of an assignment of each of `rows`
// rows to a distinct column (w[r][c] < 0: no edge), or -1 if none exists.
// Depth-first with pruning; rows <= 5, columns <= 8.
using Weights = std::array<std::array<double, kMaxQueryTokens>, kMaxQueryTokens>;
void Assign(const Weights& w, size_t rows, size_t cols, size_t r, uint32_t used, double cur,
            double* best) {
  if (r == rows) {
    *best = std::max(*best, cur);
    return;
  }
  for (size_t c = 0; c < cols; ++c) {
    if ((used >> c & 1) != 0 || w[r][c] < 0) continue;
    const double v = std::min(cur, w[r][c]);
    if (v > *best) Assign(w, rows, cols, r + 1, used | 1u << c, v, best);
  }
}

// Rule 2 from a query-by-entry weight matrix (m query tokens, n entry tokens).
std::optional<double> BestAssignment(const Weights& qe, size_t m, size_t n) {
  double best = -1;
  if (m <= n) {
    Assign(qe, m, n, 0, 0, 1.0, &best);
  } else {
    Weights eq;
    for (size_t i = 0; i < m; ++i) {
      for (size_t k = 0; k < n; ++k) eq[k][i] = qe[i][k];
    }
    Assign(eq, n, m, 0, 0, 1.0, &best);
  }
  if (best < 0) return std::nullopt;
  return best;
}

uint64_t PairKey(uint32_t a, uint32_t b) {
  if (a > b) std::swap(a, b);
  return ((static_cast<uint64_t>(a) << 32) | b) + 1;
}

uint64_t Mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

std::optional<double> TokenSimilarity(std::string_view a, std::string_view b, double threshold) {
  if (a == b) return 1.0;
  if (threshold >= 1.0 || std::min(a.size(), b.size()) < kMinFuzzyToken) return std::nullopt;
  if (!WithinOneEdit(a, b)) return std::nullopt;
  const double s = JaroWinkler(a, b);
  if (s < threshold) return std::nullopt;
  return s;
}

std::optional<double> MatchNameTokens(std::string_view query, std::string_view entry,
                                      double threshold) {
  std::array<std::string_view, kMaxQueryTokens + 1> q, e;
  const size_t m = Split(query, &q, kMaxQueryTokens);
  const size_t n = Split(entry, &e, kMaxEntryTokens);
  if (m < kMinNameTokens || m > kMaxQueryTokens || n < kMinNameTokens || n > kMaxEntryTokens)
    return std::nullopt;
  Weights w;
  for (size_t i = 0; i < m; ++i) {
    for (size_t k = 0; k < n; ++k) w[i][k] = TokenSimilarity(q[i], e[k], threshold).value_or(-1);
  }
  return BestAssignment(w, m, n);
}

std::string_view NameTokenIndex::Token(uint32_t id) const {
  return std::string_view(token_blob_).substr(token_off_[id], token_off_[id + 1] - token_off_[id]);
}

std::optional<uint32_t> NameTokenIndex::TokenId(std::string_view t) const {
  if (token_table_.empty()) return std::nullopt;
  const uint64_t mask = token_table_.size() - 1;
  for (uint64_t h = StableHash64(t, kTokenSeed) & mask; token_table_[h] != 0; h = (h + 1) & mask) {
    if (Token(token_table_[h] - 1) == t) return token_table_[h] - 1;
  }
  return std::nullopt;
}

const NameTokenIndex::PairSlot* NameTokenIndex::Pair(uint32_t a, uint32_t b) const {
  if (pairs_.empty()) return nullptr;
  const uint64_t key = PairKey(a, b), mask = pairs_.size() - 1;
  for (uint64_t h = Mix(key) & mask; pairs_[h].key != 0; h = (h + 1) & mask) {
    if (pairs_[h].key == key) return &pairs_[h];
  }
  return nullptr;
}

// The pair table and its lists from (pair key, posting) pairs: by key, then
// token count, then entry.
void NameTokenIndex::BuildPairs(std::vector<std::pair<uint64_t, uint32_t>>* pairs_in) {
  auto& pairs = *pairs_in;
  std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
    if (x.first != y.first) return x.first < y.first;
    if ((x.second & 7) != (y.second & 7)) return (x.second & 7) < (y.second & 7);
    return x.second < y.second;
  });
  size_t distinct = 0;
  for (size_t i = 0; i < pairs.size(); ++i)
    distinct += i == 0 || pairs[i].first != pairs[i - 1].first;
  pairs_.assign(std::bit_ceil(distinct * 2 + 2), PairSlot{});
  postings_.resize(pairs.size());
  const uint64_t mask = pairs_.size() - 1;
  for (size_t i = 0; i < pairs.size();) {
    size_t j = i;
    while (j < pairs.size() && pairs[j].first == pairs[i].first) {
      postings_[j] = pairs[j].second;
      ++j;
    }
    uint64_t h = Mix(pairs[i].first) & mask;
    while (pairs_[h].key != 0) h = (h + 1) & mask;
    pairs_[h] = {pairs[i].first, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i)};
    i = j;
  }
}

uint32_t NameTokenIndex::Intern(std::string_view t) {
  // Rebuilt twice as large when half full.
  if ((token_off_.size() - 1) * 2 + 2 > token_table_.size()) {
    std::vector<uint32_t> table(std::max<size_t>(1024, token_table_.size() * 2), 0);
    for (uint32_t id = 0; id + 1 < token_off_.size(); ++id) {
      uint64_t h = StableHash64(Token(id), kTokenSeed) & (table.size() - 1);
      while (table[h] != 0) h = (h + 1) & (table.size() - 1);
      table[h] = id + 1;
    }
    token_table_.swap(table);
  }
  const uint64_t mask = token_table_.size() - 1;
  uint64_t h = StableHash64(t, kTokenSeed) & mask;
  for (; token_table_[h] != 0; h = (h + 1) & mask) {
    if (Token(token_table_[h] - 1) == t) return token_table_[h] - 1;
  }
  const uint32_t id = static_cast<uint32_t>(token_off_.size() - 1);
  token_blob_ += t;
  token_off_.push_back(static_cast<uint32_t>(token_blob_.size()));
  token_table_[h] = id + 1;
  return id;
}

void NameTokenIndex::Build(size_t n, const std::function<std::string(uint32_t)>& entry) {
  *this = NameTokenIndex();
  std::vector<std::pair<uint64_t, uint32_t>> pairs;  // (pair key, posting)
  entry_off_.assign(n + 1, 0);
  // Entries by their token numbers (entry + 1, 0 = empty), to index each
  // token sequence once: Find reports the lowest entry, the first.
  std::vector<uint32_t> seen(std::bit_ceil(2 * n + 2), 0);
  auto same_tokens = [&](uint32_t a, uint32_t b) {
    return std::equal(
        entry_tokens_.begin() + entry_off_[a], entry_tokens_.begin() + entry_off_[a + 1],
        entry_tokens_.begin() + entry_off_[b], entry_tokens_.begin() + entry_off_[b + 1]);
  };
  std::array<std::string_view, kMaxQueryTokens + 1> toks;
  for (uint32_t e = 0; e < n; ++e) {
    const size_t first = entry_tokens_.size();
    entry_off_[e] = static_cast<uint32_t>(first);
    entry_off_[e + 1] = static_cast<uint32_t>(first);
    const std::string name = entry(e);
    const size_t k = Split(name, &toks, kMaxEntryTokens);
    if (k < kMinNameTokens || k > kMaxEntryTokens) continue;
    uint64_t h = kTokenSeed;
    for (size_t i = 0; i < k; ++i) {
      entry_tokens_.push_back(Intern(toks[i]));
      h = Mix(h ^ entry_tokens_.back());
    }
    entry_off_[e + 1] = static_cast<uint32_t>(entry_tokens_.size());
    uint64_t slot = h & (seen.size() - 1);
    while (seen[slot] != 0 && !same_tokens(seen[slot] - 1, e))
      slot = (slot + 1) & (seen.size() - 1);
    if (seen[slot] != 0) {  // the same tokens as an earlier entry
      entry_tokens_.resize(first);
      entry_off_[e + 1] = static_cast<uint32_t>(first);
      continue;
    }
    seen[slot] = e + 1;
    const size_t pairs_before = pairs.size();
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j) {
        pairs.emplace_back(PairKey(entry_tokens_[first + i], entry_tokens_[first + j]),
                           e << 3 | static_cast<uint32_t>(k));
      }
    }
    // A repeated token repeats pairs: each entry once per pair.
    std::sort(pairs.begin() + pairs_before, pairs.end());
    pairs.erase(std::unique(pairs.begin() + pairs_before, pairs.end()), pairs.end());
  }
  BuildPairs(&pairs);
  BuildDeletions();
  token_blob_.shrink_to_fit();
  token_off_.shrink_to_fit();
  entry_tokens_.shrink_to_fit();
}

// Fuzzy token lookups: each token of kMinFuzzyToken characters or more
// under itself and its one-character deletions, in a hash table of buckets
// (one key per bucket on average). A posting holds the key hash's high 32
// bits and the token; the bucket number comes from its low bits.
void NameTokenIndex::BuildDeletions() {
  std::vector<std::pair<uint64_t, uint32_t>> keys;  // (hash of a token or deletion, token)
  for (uint32_t id = 0; id + 1 < token_off_.size(); ++id) {
    if (Token(id).size() < kMinFuzzyToken) continue;
    ForEachDeletion(Token(id), [&](uint64_t h) { keys.emplace_back(h, id); });
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const size_t buckets = std::bit_ceil(keys.size() + 1);
  delete_mask_ = buckets - 1;
  delete_off_.assign(buckets + 1, 0);
  for (const auto& [h, id] : keys) ++delete_off_[(h & delete_mask_) + 1];
  for (size_t b = 0; b < buckets; ++b) delete_off_[b + 1] += delete_off_[b];
  delete_.resize(keys.size());
  std::vector<uint32_t> fill(delete_off_.begin(), delete_off_.end() - 1);
  // In key order, so one key's tokens stay in ascending order.
  for (const auto& [h, id] : keys) delete_[fill[h & delete_mask_]++] = (h >> 32) << 32 | id;
}

// One Find: the query's tokens, each one's dictionary matches (candidates),
// and the pair lists of every pair of query tokens. On the stack unless a
// query has unusually many candidates.
class NameTokenIndex::Lookup {
 public:
  Lookup(const NameTokenIndex& index, double threshold, Stats* stats)
      : x_(index), threshold_(threshold), stats_(stats) {}

  // Rule 4 for a normalised query.
  std::optional<Match> Run(std::string_view query) {
    std::array<std::string_view, kMaxQueryTokens + 1> q;
    m_ = Split(query, &q, kMaxQueryTokens);
    if (m_ < kMinNameTokens || m_ > kMaxQueryTokens || x_.pairs_.empty()) return std::nullopt;
    bool all_found = true;
    for (size_t i = 0; i < m_; ++i) {
      off_[i] = cands_.size();
      AddCandidates(q[i]);
      all_found = all_found && cands_.size() > off_[i];
    }
    off_[m_] = cands_.size();
    CollectLists();
    // Entries with m tokens or more are read from the pair with the fewest
    // postings; none if a query token matched nothing.
    const size_t designated =
        all_found ? static_cast<size_t>(
                        std::min_element(pair_postings_.begin(), pair_postings_.begin() + npairs_) -
                        pair_postings_.begin())
                  : npairs_;
    for (const List& l : lists_) ReadList(l, designated);
    return best_;
  }

 private:
  struct TokenCand {
    uint32_t token;
    double similarity;
  };
  struct List {
    const PairSlot* slot;
    size_t pair;
  };

  // Appends the dictionary tokens that match t by rule 1.
  void AddCandidates(std::string_view t) {
    const auto exact = x_.TokenId(t);
    if (exact) cands_.push_back({*exact, 1.0});
    if (threshold_ >= 1.0 || t.size() < kMinFuzzyToken) return;
    const size_t first = cands_.size();
    ForEachDeletion(t, [&](uint64_t h) {
      const uint64_t fp = h >> 32;
      const size_t b = h & x_.delete_mask_;
      for (uint32_t i = x_.delete_off_[b]; i < x_.delete_off_[b + 1]; ++i) {
        if (x_.delete_[i] >> 32 != fp) continue;
        const uint32_t id = static_cast<uint32_t>(x_.delete_[i]);
        if (exact && id == *exact) continue;
        bool seen = false;
        for (size_t c = first; c < cands_.size() && !seen; ++c) seen = cands_[c].token == id;
        if (seen) continue;
        if (auto s = TokenSimilarity(t, x_.Token(id), threshold_)) cands_.push_back({id, *s});
      }
    });
  }

  // The pair lists of every pair of query tokens' candidates, and each
  // pair's number of postings.
  void CollectLists() {
    for (size_t i = 0; i < m_; ++i) {
      for (size_t j = i + 1; j < m_; ++j, ++npairs_) {
        for (size_t a = off_[i]; a < off_[i + 1]; ++a) {
          for (size_t b = off_[j]; b < off_[j + 1]; ++b) {
            if (stats_ != nullptr) ++stats_->pair_probes;
            if (const PairSlot* s = x_.Pair(cands_[a].token, cands_[b].token)) {
              lists_.push_back({s, npairs_});
              pair_postings_[npairs_] += s->len;
            }
          }
        }
      }
    }
  }

  void ReadList(const List& l, size_t designated) {
    for (uint32_t p = l.slot->off; p < l.slot->off + l.slot->len; ++p) {
      const uint32_t posting = x_.postings_[p];
      const size_t n = posting & 7;
      const uint32_t e = posting >> 3;
      if (n >= m_ && l.pair != designated) break;  // sorted by token count
      if (stats_ != nullptr) ++stats_->postings;
      if (best_ && best_->similarity == 1.0 && e > best_->entry) continue;  // cannot do better
      if (stats_ != nullptr) ++stats_->checked;
      Check(e, n);
    }
  }

  // Rule 2 for entry e of n tokens, from token numbers.
  void Check(uint32_t e, size_t n) {
    Weights w;
    for (size_t i = 0; i < m_; ++i) {
      for (size_t k = 0; k < n; ++k) {
        const uint32_t t = x_.entry_tokens_[x_.entry_off_[e] + k];
        w[i][k] = -1;
        for (size_t c = off_[i]; c < off_[i + 1]; ++c) {
          if (cands_[c].token == t) w[i][k] = cands_[c].similarity;
        }
      }
    }
    const auto s = BestAssignment(w, m_, n);
    if (s && (!best_ || *s > best_->similarity || (*s == best_->similarity && e < best_->entry)))
      best_ = Match{e, *s};
  }

  const NameTokenIndex& x_;
  const double threshold_;
  Stats* const stats_;
  size_t m_ = 0;
  StackVector<TokenCand, 64> cands_;
  std::array<size_t, kMaxQueryTokens + 1>
      off_{};  // query token i's candidates: [off_[i], off_[i + 1])
  StackVector<List, 64> lists_;
  std::array<size_t, kMaxQueryTokens * kMaxQueryTokens> pair_postings_{};
  size_t npairs_ = 0;
  std::optional<Match> best_;
};

std::optional<NameTokenIndex::Match> NameTokenIndex::Find(std::string_view query, double threshold,
                                                          Stats* stats) const {
  return Lookup(*this, threshold, stats).Run(query);
}

size_t NameTokenIndex::MemoryBytes() const {
  return token_blob_.capacity() +
         (token_off_.capacity() + token_table_.capacity() + entry_off_.capacity() +
          entry_tokens_.capacity() + postings_.capacity()) *
             sizeof(uint32_t) +
         delete_off_.capacity() * sizeof(uint32_t) + delete_.capacity() * sizeof(uint64_t) +
         pairs_.capacity() * sizeof(PairSlot);
}

}  // namespace outpost::risk
