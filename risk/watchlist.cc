#include "risk/watchlist.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "risk/name_tokens.h"
#include "risk/normalise.h"
#include "risk/validators.h"

namespace outpost::risk {
namespace {

constexpr uint64_t kExactSeed = 0x6f75747073743031ULL;
constexpr uint64_t kKeySeed = 0x6b65797365656431ULL;

// Lookups read the index at random over its ~120 MiB: with 4 KiB pages
// nearly every read also misses the TLB, and under virtualisation a page
// walk is itself a chain of memory reads. So the large arrays ask for
// transparent huge pages, before their pages are first touched (Debian's
// kernels give them only on request: THP "madvise"). Only advice: where the
// kernel has none to give, nothing changes but the speed.
void AdviseHugePages(const void* data, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data, (void)bytes;
#endif
}

// AssignAdvised: `v` becomes `n` copies of `fill`; CopyAdvised: `v` is
// copied to fit. Either way in memory advised for huge pages before it is
// written.
template <typename T>
void AssignAdvised(std::vector<T>& v, size_t n, T fill) {
  std::vector<T> fresh;
  fresh.reserve(n);
  AdviseHugePages(fresh.data(), n * sizeof(T));
  fresh.assign(n, fill);
  v.swap(fresh);
}
template <typename C>
void CopyAdvised(C& v) {
  C fresh;
  fresh.reserve(v.size());
  AdviseHugePages(fresh.data(), v.size() * sizeof(v[0]));
  fresh.assign(v.begin(), v.end());
  v.swap(fresh);
}

enum Side : uint64_t { kWhole = 1, kPrefix = 2, kSuffix = 3 };

uint64_t SegmentSeed(Side side, size_t len) {
  return kKeySeed ^ (static_cast<uint64_t>(side) << 56) ^ (static_cast<uint64_t>(len) * 0x9E37);
}

// Calls f(hash) for seg and for each distinct one-character deletion of it
// (of its first 256 bytes). Each deletion's hash equals
// StableHash64(deletion, seed), but the FNV-1a state over the bytes before
// the deleted one is carried from one deletion to the next instead of being
// recomputed (StableHash64 is FNV-1a, then a finaliser; an empty string
// with seed `state ^ kFnvBasis` finalises `state`).
template <typename F>
void ForEachDeletion(std::string_view seg, uint64_t seed, F&& f) {
  constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ULL, kFnvPrime = 0x100000001b3ULL;
  f(StableHash64(seg, seed));
  if (seg.size() > 256) seg = seg.substr(0, 256);
  uint64_t prefix = kFnvBasis ^ seed;  // FNV-1a state after seg[0, skip)
  for (size_t skip = 0; skip < seg.size(); ++skip) {
    // Deleting either of two equal neighbours gives the same string.
    if (skip == 0 || seg[skip] != seg[skip - 1]) {
      uint64_t h = prefix;
      for (size_t k = skip + 1; k < seg.size(); ++k) {
        h ^= static_cast<unsigned char>(seg[k]);
        h *= kFnvPrime;
      }
      f(StableHash64(std::string_view(), h ^ kFnvBasis));
    }
    prefix ^= static_cast<unsigned char>(seg[skip]);
    prefix *= kFnvPrime;
  }
}

// The keys an entry is indexed under (see watchlist.h).
template <typename F>
void ForEachEntryKey(std::string_view s, F&& f) {
  const size_t n = s.size();
  if (n < Watchlist::kMinSplit) {
    ForEachDeletion(s, SegmentSeed(kWhole, 0), f);
    return;
  }
  const size_t h1 = n / 2, h2 = n - h1;
  ForEachDeletion(s.substr(0, h1), SegmentSeed(kPrefix, h1), f);
  ForEachDeletion(s.substr(n - h2), SegmentSeed(kSuffix, h2), f);
}

// The keys to probe for a query: those of every entry length within
// kMaxEdits of it (within one edit for short entries).
template <typename F>
void ForEachQueryKey(std::string_view q, F&& f) {
  const size_t n = q.size();
  if (n <= Watchlist::kMinSplit) ForEachDeletion(q, SegmentSeed(kWhole, 0), f);
  const size_t lo =
      std::max(Watchlist::kMinSplit, n > Watchlist::kMaxEdits ? n - Watchlist::kMaxEdits : 0);
  size_t last_h1 = 0, last_h2 = 0;
  for (size_t len = lo; len <= n + Watchlist::kMaxEdits; ++len) {
    const size_t h1 = len / 2, h2 = len - h1;
    if (h1 != last_h1 && h1 <= n) ForEachDeletion(q.substr(0, h1), SegmentSeed(kPrefix, h1), f);
    if (h2 != last_h2 && h2 <= n) ForEachDeletion(q.substr(n - h2), SegmentSeed(kSuffix, h2), f);
    last_h1 = h1;
    last_h2 = h2;
  }
}

// Entries already scored for one query: a small open-addressing set on the
// stack. When it fills up, further candidates are simply scored again.
class SeenSet {
 public:
  SeenSet() { std::memset(slots_, 0xff, sizeof slots_); }
  // True if e was not yet in the set (or the set is full).
  bool Insert(uint32_t e) {
    if (used_ >= kSlots / 2) return true;
    for (uint32_t i = (e * 0x9E3779B1u) >> (32 - kBits);; i = (i + 1) & (kSlots - 1)) {
      if (slots_[i] == e) return false;
      if (slots_[i] == kEmpty) {
        slots_[i] = e;
        ++used_;
        return true;
      }
    }
  }

 private:
  static constexpr uint32_t kBits = 11, kSlots = 1u << kBits, kEmpty = 0xffffffffu;
  uint32_t slots_[kSlots];
  uint32_t used_ = 0;
};

// Character groups for the per-posting signature, kGroups per kind. Each
// occurrence of a byte falls in one group: `first` for its first occurrence
// in a string, `later` for its second and later ones (the same group for
// most bytes). The bound below holds for any such grouping: a group one side
// has and the other lacks stands for characters the other side cannot
// match (for a `later` group: more occurrences of that byte than the other
// side has).
//  - Plates and companies: A-Z are groups 0-25; every other byte falls in
//    group 26 (below '5') or 27, so digits split in two.
//  - Names (only letters, in practice): the letters most frequent in the
//    region's names count twice, A O I E V N R each with a group for its
//    later occurrences ("JOVANOVIC" has the later O and V, "JOVANIC" not);
//    the rarest letters share two groups (F Q W X Y, B P G), and every
//    non-letter one. On a 1M list of regional names this drops about half
//    of the entries the exact checks would otherwise reject (risk_bench).
constexpr uint32_t kGroups = 28;
struct Groups {
  uint8_t first[256];
  uint8_t later[256];
};
constexpr Groups MakeGroups(WatchKind kind) {
  Groups g{};
  for (int c = 0; c < 256; ++c) {
    const bool letter = c >= 'A' && c <= 'Z';
    if (kind != WatchKind::kName) {
      g.first[c] = static_cast<uint8_t>(letter ? c - 'A' : c < '5' ? 26 : 27);
    } else {
      g.first[c] = 20;  // not a letter
    }
    g.later[c] = g.first[c];
  }
  if (kind != WatchKind::kName) return g;
  // 18 letters alone (0-17), two shared groups (18, 19), non-letters (20),
  // later occurrences of seven letters (21-27).
  const char* alone = "ACDEHIJKLMNORSTUVZ";
  for (uint8_t i = 0; alone[i] != 0; ++i) g.first[static_cast<uint8_t>(alone[i])] = i;
  for (char c : {'F', 'Q', 'W', 'X', 'Y'}) g.first[static_cast<uint8_t>(c)] = 18;
  for (char c : {'B', 'P', 'G'}) g.first[static_cast<uint8_t>(c)] = 19;
  for (int c = 'A'; c <= 'Z'; ++c) g.later[c] = g.first[c];
  const char* twice = "AOIEVNR";
  for (uint8_t i = 0; twice[i] != 0; ++i) g.later[static_cast<uint8_t>(twice[i])] = 21 + i;
  return g;
}
constexpr Groups kNameGroups = MakeGroups(WatchKind::kName);
constexpr Groups kOtherGroups = MakeGroups(WatchKind::kPlate);
const Groups& GroupsOf(WatchKind kind) {
  return kind == WatchKind::kName ? kNameGroups : kOtherGroups;
}

// Calls f(group) for each byte of s.
template <typename F>
void ForEachGroup(std::string_view s, const Groups& g, F&& f) {
  uint64_t seen[4] = {};
  for (unsigned char c : s) {
    uint64_t& word = seen[c >> 6];
    const uint64_t bit = uint64_t{1} << (c & 63);
    f((word & bit) != 0 ? g.later[c] : g.first[c]);
    word |= bit;
  }
}
uint32_t GroupMask(std::string_view s, const Groups& g) {
  uint32_t m = 0;
  ForEachGroup(s, g, [&](uint32_t group) { m |= uint32_t{1} << group; });
  return m;
}

// Posting layout (64 bits): bits 0-27 the entry's group mask, bits 28-33 its
// length (63 = 63 or more), bits 34-63 the entry number (low entry_bits) and
// a fingerprint of the key hash (the remaining high bits).
constexpr uint32_t kLenShift = kGroups, kLenBits = 6, kIdShift = kLenShift + kLenBits;
constexpr uint64_t kMaxLen = (uint64_t{1} << kLenBits) - 1;

uint32_t EditLimit(size_t entry_length) {
  return entry_length >= Watchlist::kMinSplit ? static_cast<uint32_t>(Watchlist::kMaxEdits) : 1;
}

// The query's side of a lower bound on the edit distance to an entry, from
// what a posting holds: the entry's length and group mask. A query character
// whose group the entry lacks is unmatched: deleted or substituted (a); each
// group of the entry the query lacks leaves at least one entry character
// unmatched: inserted or substituted (b); and d = |len(q) - len(e)| more
// characters on the longer side are deleted or inserted. So the distance
// (Levenshtein, or with adjacent swaps, which keep characters) is at least
// max(a, b + d) if the query is longer, max(a + d, b) if not. The bound only
// drops postings; an entry it keeps is checked exactly.
//
// Evaluated from tables built once per query, so a posting costs four loads
// and two comparisons, with no branch on the data: a and b are sums over the
// entry's groups, which split into four chunks of seven; chunk_[j][x] holds,
// for the seven groups of chunk j present in the entry as x, a (low byte) and
// b (high byte) over those groups. A count is capped at kMaxEdits + 1: the
// limit is at most kMaxEdits, so the cap never changes a comparison, and the
// low byte cannot carry (4 chunks x 7 groups x 4). The length's part and the
// limit (which depends on the entry's length) are folded into slack_a_ /
// slack_b_ per entry length: a <= slack_a and b <= slack_b, and a length
// too far from the query's gets slack_a = -1.
class QuerySig {
 public:
  QuerySig(std::string_view q, const Groups& groups) {
    static_assert(4 * 7 == kGroups);
    constexpr uint32_t kCap = Watchlist::kMaxEdits + 1;
    uint32_t count[kGroups] = {};
    ForEachGroup(q, groups, [&](uint32_t g) {
      if (count[g] < kCap) ++count[g];
    });
    for (uint32_t j = 0; j < 4; ++j) {
      // No entry group: every query character of the chunk is unmatched.
      uint16_t none = 0;
      for (uint32_t g = 7 * j; g < 7 * j + 7; ++g) none += static_cast<uint16_t>(count[g]);
      chunk_[j][0] = none;
      for (uint32_t x = 1; x < 128; ++x) {
        const uint32_t g = 7 * j + static_cast<uint32_t>(std::countr_zero(x));
        // An entry group the query has matches its characters (a falls); one
        // the query lacks is unmatched on the entry's side (b rises).
        const int delta = count[g] != 0 ? -static_cast<int>(count[g]) : 256;
        chunk_[j][x] = static_cast<uint16_t>(chunk_[j][x & (x - 1)] + delta);
      }
    }
    // Past 255 every entry length (< 64) is more than kMaxEdits away.
    const int len = static_cast<int>(std::min<size_t>(q.size(), 255));
    for (int elen = 0; elen <= static_cast<int>(kMaxLen); ++elen) {
      if (elen == static_cast<int>(kMaxLen)) {  // length unknown: no bound
        slack_a_[elen] = slack_b_[elen] = 1 << 12;
        continue;
      }
      const int limit = static_cast<int>(EditLimit(static_cast<size_t>(elen)));
      const int d = len > elen ? len - elen : elen - len;
      const bool query_longer = len >= elen;
      slack_a_[elen] = static_cast<int16_t>(d > limit ? -1 : limit - (query_longer ? 0 : d));
      slack_b_[elen] = static_cast<int16_t>(limit - (query_longer ? d : 0));
    }
  }
  // True if the entry a posting describes may be within its edit limit of
  // the query (see above).
  bool MayBeWithin(uint64_t posting) const {
    const uint32_t m = static_cast<uint32_t>(posting);
    const uint32_t elen = static_cast<uint32_t>((posting >> kLenShift) & kMaxLen);
    const int ab = chunk_[0][m & 127] + chunk_[1][(m >> 7) & 127] + chunk_[2][(m >> 14) & 127] +
                   chunk_[3][(m >> 21) & 127];
    return ((slack_a_[elen] - (ab & 0xff)) | (slack_b_[elen] - (ab >> 8))) >= 0;
  }

 private:
  uint16_t chunk_[4][128];
  int16_t slack_a_[kMaxLen + 1];
  int16_t slack_b_[kMaxLen + 1];
};

// The edit distance between a and b, or limit + 1 if it exceeds limit.
// With swaps, an adjacent transposition counts as one edit (optimal string
// alignment distance); without, Levenshtein. Three-row DP; the fallback for
// queries longer than the bit-parallel Pattern takes.
uint32_t BoundedDistance(std::string_view a, std::string_view b, uint32_t limit, bool swaps) {
  const size_t la = a.size(), lb = b.size();
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  constexpr size_t kStackRow = 256;
  uint32_t stack[3 * kStackRow];
  std::vector<uint32_t> heap;  // rows longer than kStackRow (rare)
  uint32_t* buf = stack;
  if (lb + 1 > kStackRow) {
    heap.resize(3 * (lb + 1));
    buf = heap.data();
  }
  uint32_t* prev2 = buf;
  uint32_t* prev = buf + (lb + 1);
  uint32_t* cur = buf + 2 * (lb + 1);
  for (size_t j = 0; j <= lb; ++j) prev[j] = static_cast<uint32_t>(j);
  for (size_t i = 1; i <= la; ++i) {
    cur[0] = static_cast<uint32_t>(i);
    uint32_t row_min = cur[0];
    for (size_t j = 1; j <= lb; ++j) {
      uint32_t v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
      if (swaps && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    // Each row's minimum is at most one more than the previous row's, and a
    // swap reaches back only two rows, so once a row exceeds the limit all
    // later ones do.
    if (row_min > limit) return limit + 1;
    uint32_t* t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return std::min(prev[lb], limit + 1);
}

// The query as a bit-parallel pattern (Hyyro 2003): peq[c] has bit i set if
// q[i] == c. Only for queries of at most 64 bytes.
struct Pattern {
  uint64_t peq[256] = {};
  size_t len = 0;
  explicit Pattern(std::string_view q) : len(q.size()) {
    if (len > 64) return;
    for (size_t i = 0; i < len; ++i) peq[static_cast<unsigned char>(q[i])] |= uint64_t{1} << i;
  }
  // Edit distance from the query to t (Levenshtein; with swaps, an adjacent
  // transposition counts as one edit: optimal string alignment distance).
  uint32_t Distance(std::string_view t, bool swaps) const {
    if (len == 0) return static_cast<uint32_t>(t.size());
    const uint64_t top = uint64_t{1} << (len - 1);
    uint64_t vp = ~uint64_t{0}, vn = 0, d0 = 0, prev_eq = 0;
    uint32_t dist = static_cast<uint32_t>(len);
    for (unsigned char c : t) {
      const uint64_t eq = peq[c];
      const uint64_t tr = swaps ? (((~d0) & eq) << 1) & prev_eq : 0;
      d0 = ((((eq & vp) + vp) ^ vp) | eq | vn) | tr;
      uint64_t hp = vn | ~(d0 | vp);
      uint64_t hn = d0 & vp;
      dist += (hp & top) != 0;
      dist -= (hn & top) != 0;
      hp = (hp << 1) | 1;
      hn <<= 1;
      vp = hn | ~(d0 | hp);
      vn = hp & d0;
      prev_eq = eq;
    }
    return dist;
  }
};

// A lower bound on the edit distance from the query to a string from their
// characters alone: a character of one side with no equal character left on
// the other needs an edit of its own, and one edit (a substitution) serves at
// most one unmatched character on each side, so the distance is at least
// max(unmatched in the query, unmatched in the string). Swaps keep
// characters, so it bounds the distance with swaps too. Exact per byte,
// where the posting signature only knows groups; about a fifth of the
// bit-parallel distance's cost.
class CharCounts {
 public:
  explicit CharCounts(std::string_view q) : len_(q.size()) {
    for (unsigned char c : q) {
      if (query_[c] < 255) ++query_[c];
    }
    std::memcpy(left_, query_, sizeof left_);
  }
  // True if that bound for t exceeds limit. Unmatched query characters are
  // unmatched t characters plus the length difference, so the scan stops as
  // soon as t has more unmatched characters than the limit leaves.
  bool Exceeds(std::string_view t, uint32_t limit) {
    // A byte repeated more than 255 times is undercounted: no bound then.
    if (len_ > 255) return false;
    const size_t longer_by = len_ > t.size() ? len_ - t.size() : 0;
    if (longer_by > limit) return true;
    const size_t allowed = limit - longer_by;
    size_t i = 0, unmatched = 0;
    while (i < t.size()) {
      const unsigned char c = static_cast<unsigned char>(t[i++]);
      const uint8_t take = left_[c] != 0;
      left_[c] = static_cast<uint8_t>(left_[c] - take);
      unmatched += 1 - take;
      if (unmatched > allowed) break;
    }
    for (size_t k = 0; k < i; ++k) {  // as before t
      const unsigned char c = static_cast<unsigned char>(t[k]);
      left_[c] = query_[c];
    }
    return unmatched > allowed;
  }

 private:
  size_t len_;
  uint8_t query_[256] = {};  // the query's count of each byte (at most 255)
  uint8_t left_[256];        // what is left of it while one string is matched
};

// Whether entry is within its edit limit of the query. Short entries are
// keyed whole, so a swap (found through one deletion on each side) counts as
// one edit; long ones are split, and a swap across the split is not found,
// so for them the distance is Levenshtein.
bool WithinEditLimit(const Pattern& pattern, CharCounts& counts, std::string_view query,
                     std::string_view entry) {
  const bool short_entry = entry.size() < Watchlist::kMinSplit;
  const uint32_t limit = EditLimit(entry.size());
  const size_t la = query.size(), lb = entry.size();
  if ((la > lb ? la - lb : lb - la) > limit) return false;
  if (counts.Exceeds(entry, limit)) return false;
  if (pattern.len == la && la <= 64) return pattern.Distance(entry, short_entry) <= limit;
  return BoundedDistance(query, entry, limit, short_entry) <= limit;
}

}  // namespace

std::string Watchlist::NormaliseAs(WatchKind kind, std::string_view raw) {
  switch (kind) {
    case WatchKind::kName:
      return NormaliseName(raw);
    case WatchKind::kCompany:
      return NormaliseCompany(raw);
    case WatchKind::kPlate:
      return NormalisePlate(raw);
  }
  return std::string(raw);
}

std::string Watchlist::WholeForm(WatchKind kind, std::string_view normalised) {
  std::string out(normalised);
  if (kind == WatchKind::kName) out.erase(std::remove(out.begin(), out.end(), ' '), out.end());
  return out;
}

void Watchlist::Add(std::string_view display) {
  std::string n = Normalise(display);
  if (n.empty()) return;
  norm_blob_ += WholeForm(kind_, n);
  norm_off_.push_back(static_cast<uint32_t>(norm_blob_.size()));
  display_blob_ += display;
  display_off_.push_back(static_cast<uint32_t>(display_blob_.size()));
}

std::string_view Watchlist::Display(uint32_t e) const {
  return std::string_view(display_blob_)
      .substr(display_off_[e], display_off_[e + 1] - display_off_[e]);
}

std::string_view Watchlist::Normalised(uint32_t e) const {
  return std::string_view(norm_blob_).substr(norm_off_[e], norm_off_[e + 1] - norm_off_[e]);
}

void Watchlist::Build() {
  const size_t n = size();
  AssignAdvised<uint32_t>(exact_, std::bit_ceil(n * 2 + 2), 0);
  const uint64_t emask = exact_.size() - 1;
  // distinct[e]: e is the first entry with its normalised string.
  std::vector<bool> distinct(n, false);
  size_t total_keys = 0;
  for (uint32_t e = 0; e < n; ++e) {
    uint64_t h = StableHash64(Normalised(e), kExactSeed) & emask;
    while (exact_[h] != 0) {
      // Duplicates keep the first entry.
      if (Normalised(exact_[h] - 1) == Normalised(e)) break;
      h = (h + 1) & emask;
    }
    if (exact_[h] == 0) {
      exact_[h] = e + 1;
      distinct[e] = true;
      total_keys += Normalised(e).size() + 2;
    }
  }

  // About four keys per bucket: the fingerprint bits reject postings of the
  // other keys.
  entry_bits_ = std::max<uint32_t>(1, std::bit_width(n));
  const uint32_t fp_bits = entry_bits_ >= 64 - kIdShift ? 0 : 64 - kIdShift - entry_bits_;
  const size_t buckets = std::bit_ceil(total_keys / 4 + 1);
  bucket_mask_ = buckets - 1;
  auto posting = [&](uint64_t h, uint32_t e, uint64_t sig) {
    const uint64_t fp = fp_bits == 0 ? 0 : (h >> (64 - fp_bits)) << entry_bits_;
    return ((fp | e) << kIdShift) | sig;
  };
  auto signature = [&](std::string_view s) {
    return GroupMask(s, GroupsOf(kind_)) | (std::min<uint64_t>(s.size(), kMaxLen) << kLenShift);
  };
  // Two passes over the keys (count, then fill) so no temporary key array is needed.
  AssignAdvised<uint32_t>(bucket_off_, buckets + 1, 0);
  for (uint32_t e = 0; e < n; ++e) {
    if (!distinct[e]) continue;
    ForEachEntryKey(Normalised(e), [&](uint64_t h) { ++bucket_off_[(h & bucket_mask_) + 1]; });
  }
  for (size_t b = 0; b < buckets; ++b) bucket_off_[b + 1] += bucket_off_[b];
  AssignAdvised<uint64_t>(postings_, bucket_off_[buckets], 0);
  std::vector<uint32_t> fill(bucket_off_.begin(), bucket_off_.end() - 1);
  for (uint32_t e = 0; e < n; ++e) {
    if (!distinct[e]) continue;
    const uint64_t sig = signature(Normalised(e));
    ForEachEntryKey(Normalised(e),
                    [&](uint64_t h) { postings_[fill[h & bucket_mask_]++] = posting(h, e, sig); });
  }
  // Each bucket in ascending order: a key's postings (equal fingerprints)
  // form one run, so Find stops at the first posting past its key's.
  for (size_t b = 0; b < buckets; ++b) {
    std::sort(postings_.begin() + bucket_off_[b], postings_.begin() + bucket_off_[b + 1]);
  }
  // Copies sized to fit (Add grew them by doubling); the two a lookup reads
  // in advised memory.
  CopyAdvised(norm_blob_);
  CopyAdvised(norm_off_);
  display_blob_.shrink_to_fit();
  display_off_.shrink_to_fit();
  if (kind_ == WatchKind::kName) {
    tokens_ = std::make_unique<NameTokenIndex>();
    tokens_->Build(n, [&](uint32_t e) { return NormaliseName(Display(e)); });
  }
}

std::optional<uint32_t> Watchlist::FindExact(std::string_view q) const {
  if (exact_.empty()) return std::nullopt;
  const uint64_t emask = exact_.size() - 1;
  for (uint64_t h = StableHash64(q, kExactSeed) & emask; exact_[h] != 0; h = (h + 1) & emask) {
    if (Normalised(exact_[h] - 1) == q) return exact_[h] - 1;
  }
  return std::nullopt;
}

std::optional<Watchlist::Match> Watchlist::Find(std::string_view q, double threshold,
                                                Stats* stats) const {
  if (q.empty()) return std::nullopt;
  // Names: the whole-name indexes hold the tokens concatenated (as they did
  // before token matching), the token index the tokens.
  std::string buf;
  std::string_view whole = q;
  if (kind_ == WatchKind::kName && q.find(' ') != std::string_view::npos) {
    buf = WholeForm(kind_, q);
    whole = buf;
  }
  if (auto e = FindExact(whole)) return Match{*e, 1.0};
  std::optional<Match> best;
  if (threshold < 1.0 && !bucket_off_.empty()) best = FindWithinEditLimit(whole, threshold, stats);
  // Names: token by token only when the whole name found nothing, so a
  // lookup that hits pays nothing more.
  if (!best && tokens_ != nullptr) {
    NameTokenIndex::Stats token_stats;
    if (auto t = tokens_->Find(q, threshold, stats != nullptr ? &token_stats : nullptr))
      best = Match{t->entry, t->similarity};
    if (stats != nullptr) {
      ++stats->token_lookups;
      stats->token_checked += token_stats.checked;
    }
  }
  return best;
}

// One FindWithinEditLimit. The index is far larger than the caches, so a
// lookup is a few hundred cache misses: bucket offsets, posting runs, entry
// offsets, entry bytes. They are independent, so each stage works on a batch
// and prefetches what the next stage reads: the misses of a batch overlap
// instead of queueing one behind the other. The result does not depend on
// the order in which candidates are scored: the best similarity wins, ties
// to the lowest entry.
class Watchlist::Lookup {
 public:
  Lookup(const Watchlist& w, std::string_view q, double threshold)
      : w_(w),
        q_(q),
        threshold_(threshold),
        entry_mask_((uint64_t{1} << w.entry_bits_) - 1),
        fp_bits_(w.entry_bits_ >= 64 - kIdShift ? 0 : 64 - kIdShift - w.entry_bits_),
        sig_(q, GroupsOf(w.kind_)),
        pattern_(q),
        counts_(q) {}

  // Queues the postings of one key; scans a batch of keys when it is full.
  void AddKey(uint64_t h) {
    keys_[nkeys_++] = h;
    if (nkeys_ == kKeyBatch) ScanKeys();
  }
  // Scans and scores what is queued; the best match. Adds to *stats if given.
  std::optional<Match> Finish(Stats* stats) {
    ScanKeys();
    ScoreCandidates();
    if (stats != nullptr) {
      stats->probes += local_.probes;
      stats->postings += local_.postings;
      stats->candidates += local_.candidates;
      stats->scored += local_.scored;
    }
    return best_;
  }

 private:
  static constexpr size_t kKeyBatch = 16, kCandBatch = 32;

  // The batch of keys: bucket offsets first, then the first lines of each
  // run (the hardware prefetcher follows long runs), then the runs.
  void ScanKeys() {
    uint32_t begin[kKeyBatch], end[kKeyBatch];
    for (size_t k = 0; k < nkeys_; ++k)
      __builtin_prefetch(&w_.bucket_off_[keys_[k] & w_.bucket_mask_]);
    for (size_t k = 0; k < nkeys_; ++k) {
      const size_t b = keys_[k] & w_.bucket_mask_;
      begin[k] = w_.bucket_off_[b];
      end[k] = w_.bucket_off_[b + 1];
      for (uint32_t i = begin[k]; i < std::min(end[k], begin[k] + 32); i += 8)
        __builtin_prefetch(&w_.postings_[i]);
    }
    for (size_t k = 0; k < nkeys_; ++k) ScanRun(keys_[k], begin[k], end[k]);
    nkeys_ = 0;
  }

  // One bucket: the postings of key h (one run, as the bucket is sorted)
  // that pass the signature bound become candidates.
  void ScanRun(uint64_t h, uint32_t begin, uint32_t end) {
    const uint64_t fp = fp_bits_ == 0 ? 0 : (h >> (64 - fp_bits_)) << w_.entry_bits_;
    ++local_.probes;
    local_.postings += end - begin;
    for (uint32_t i = begin; i < end; ++i) {
      const uint64_t p = w_.postings_[i];
      const uint64_t id = p >> kIdShift;
      const uint64_t pfp = id & ~entry_mask_;
      if (pfp != fp) {  // another key in this bucket
        if (pfp > fp) break;
        continue;
      }
      // Entries that cannot be within their edit limit are dropped on the
      // posting's signature alone, without touching the entry.
      if (!sig_.MayBeWithin(p)) continue;
      AddCandidate(static_cast<uint32_t>(id & entry_mask_));
    }
  }

  void AddCandidate(uint32_t e) {
    if (!seen_.Insert(e)) return;
    ++local_.candidates;
    __builtin_prefetch(&w_.norm_off_[e]);
    cand_[ncand_++] = e;
    if (ncand_ == kCandBatch) ScoreCandidates();
  }

  // The batch of candidates: entry offsets (prefetched when queued), then
  // entry bytes, then the exact checks.
  void ScoreCandidates() {
    uint32_t off[kCandBatch], len[kCandBatch];
    for (size_t i = 0; i < ncand_; ++i) {
      off[i] = w_.norm_off_[cand_[i]];
      len[i] = w_.norm_off_[cand_[i] + 1] - off[i];
      __builtin_prefetch(w_.norm_blob_.data() + off[i]);
    }
    for (size_t i = 0; i < ncand_; ++i)
      Score(cand_[i], std::string_view(w_.norm_blob_.data() + off[i], len[i]));
    ncand_ = 0;
  }

  void Score(uint32_t e, std::string_view entry) {
    if (!WithinEditLimit(pattern_, counts_, q_, entry)) return;
    ++local_.scored;
    const double s = JaroWinkler(q_, entry);
    if (s >= threshold_ &&
        (!best_ || s > best_->similarity || (s == best_->similarity && e < best_->entry))) {
      best_ = Match{e, s};
    }
  }

  const Watchlist& w_;
  const std::string_view q_;
  const double threshold_;
  const uint64_t entry_mask_;
  const uint32_t fp_bits_;
  const QuerySig sig_;
  const Pattern pattern_;
  CharCounts counts_;
  SeenSet seen_;
  std::optional<Match> best_;
  Stats local_;
  uint64_t keys_[kKeyBatch];
  size_t nkeys_ = 0;
  uint32_t cand_[kCandBatch];
  size_t ncand_ = 0;
};

std::optional<Watchlist::Match> Watchlist::FindWithinEditLimit(std::string_view q, double threshold,
                                                               Stats* stats) const {
  Lookup lookup(*this, q, threshold);
  ForEachQueryKey(q, [&](uint64_t h) { lookup.AddKey(h); });
  return lookup.Finish(stats);
}

std::optional<Watchlist::Match> Watchlist::FindTokensBruteForce(std::string_view q,
                                                                double threshold) const {
  if (kind_ != WatchKind::kName) return std::nullopt;
  std::optional<Match> best;
  for (uint32_t e = 0; e < size(); ++e) {
    auto s = MatchNameTokens(q, NormaliseName(Display(e)), threshold);
    if (s && (!best || *s > best->similarity)) best = Match{e, *s};
  }
  return best;
}

std::optional<Watchlist::Match> Watchlist::FindBruteForce(std::string_view q,
                                                          double threshold) const {
  if (q.empty()) return std::nullopt;
  const std::string whole = WholeForm(kind_, q);
  q = whole;
  std::optional<Match> best;
  for (uint32_t e = 0; e < size(); ++e) {
    double s = Normalised(e) == q ? 1.0 : threshold >= 1.0 ? 0.0 : JaroWinkler(q, Normalised(e));
    if (s >= threshold && (!best || s > best->similarity)) best = Match{e, s};
  }
  return best;
}

size_t Watchlist::MemoryBytes() const {
  return norm_blob_.capacity() + display_blob_.capacity() +
         (norm_off_.capacity() + display_off_.capacity() + exact_.capacity() +
          bucket_off_.capacity()) *
             sizeof(uint32_t) +
         postings_.capacity() * sizeof(uint64_t) +
         (tokens_ != nullptr ? tokens_->MemoryBytes() : 0);
}

}  // namespace outpost::risk
