#include "node/risk/watchlist.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "node/risk/normalise.h"
#include "node/risk/validators.h"

namespace outpost::risk {
namespace {

constexpr uint64_t kExactSeed = 0x6f75747073743031ULL;
constexpr uint64_t kKeySeed = 0x6b65797365656431ULL;

size_t PowerOfTwoAtLeast(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

enum Side : uint64_t { kWhole = 1, kPrefix = 2, kSuffix = 3 };

uint64_t SegmentSeed(Side side, size_t len) {
  return kKeySeed ^ (static_cast<uint64_t>(side) << 56) ^ (static_cast<uint64_t>(len) * 0x9E37);
}

// Calls f(hash) for seg and for each distinct one-character deletion of it.
template <typename F>
void ForEachDeletion(std::string_view seg, uint64_t seed, F&& f) {
  f(StableHash64(seg, seed));
  char buf[256];
  if (seg.size() > sizeof buf) seg = seg.substr(0, sizeof buf);
  for (size_t skip = 0; skip < seg.size(); ++skip) {
    // Deleting either of two equal neighbours gives the same string.
    if (skip > 0 && seg[skip] == seg[skip - 1]) continue;
    std::memcpy(buf, seg.data(), skip);
    std::memcpy(buf + skip, seg.data() + skip + 1, seg.size() - skip - 1);
    f(StableHash64(std::string_view(buf, seg.size() - 1), seed));
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

void Watchlist::Add(std::string_view display) {
  std::string n = Normalise(display);
  if (n.empty()) return;
  norm_blob_ += n;
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
  exact_.assign(PowerOfTwoAtLeast(n * 2 + 2), 0);
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

  // About four postings per bucket: they share a cache line, and the
  // fingerprint bits reject the ones that collided.
  entry_bits_ = std::max<uint32_t>(1, std::bit_width(n));
  const uint32_t fp_shift = 64 - (32 - entry_bits_);
  const size_t buckets = PowerOfTwoAtLeast(total_keys / 4 + 1);
  bucket_mask_ = buckets - 1;
  auto posting = [&](uint64_t h, uint32_t e) {
    return entry_bits_ >= 32 ? e : static_cast<uint32_t>((h >> fp_shift) << entry_bits_) | e;
  };
  // Two passes over the keys (count, then fill) so no temporary key array is needed.
  bucket_off_.assign(buckets + 1, 0);
  for (uint32_t e = 0; e < n; ++e) {
    if (!distinct[e]) continue;
    ForEachEntryKey(Normalised(e), [&](uint64_t h) { ++bucket_off_[(h & bucket_mask_) + 1]; });
  }
  for (size_t b = 0; b < buckets; ++b) bucket_off_[b + 1] += bucket_off_[b];
  postings_.assign(bucket_off_[buckets], 0);
  std::vector<uint32_t> fill(bucket_off_.begin(), bucket_off_.end() - 1);
  for (uint32_t e = 0; e < n; ++e) {
    if (!distinct[e]) continue;
    ForEachEntryKey(Normalised(e),
                    [&](uint64_t h) { postings_[fill[h & bucket_mask_]++] = posting(h, e); });
  }
  norm_blob_.shrink_to_fit();
  display_blob_.shrink_to_fit();
  norm_off_.shrink_to_fit();
  display_off_.shrink_to_fit();
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
  if (auto e = FindExact(q)) return Match{*e, 1.0};
  if (threshold >= 1.0 || bucket_off_.empty()) return std::nullopt;
  const uint32_t entry_mask = entry_bits_ >= 32 ? 0xffffffffu : (uint32_t{1} << entry_bits_) - 1;
  const uint32_t fp_shift = 64 - (32 - entry_bits_);
  std::optional<Match> best;
  SeenSet seen;
  Stats local;
  ForEachQueryKey(q, [&](uint64_t h) {
    const uint32_t fp =
        entry_bits_ >= 32 ? 0 : static_cast<uint32_t>((h >> fp_shift) << entry_bits_);
    const size_t b = h & bucket_mask_;
    ++local.probes;
    local.postings += bucket_off_[b + 1] - bucket_off_[b];
    for (uint32_t i = bucket_off_[b]; i < bucket_off_[b + 1]; ++i) {
      const uint32_t p = postings_[i];
      if ((p & ~entry_mask) != fp) continue;  // another key in this bucket
      const uint32_t e = p & entry_mask;
      if (!seen.Insert(e)) continue;
      ++local.candidates;
      ++local.scored;
      double s = JaroWinkler(q, Normalised(e));
      if (s >= threshold &&
          (!best || s > best->similarity || (s == best->similarity && e < best->entry))) {
        best = Match{e, s};
      }
    }
  });
  if (stats != nullptr) {
    stats->probes += local.probes;
    stats->postings += local.postings;
    stats->candidates += local.candidates;
    stats->scored += local.scored;
  }
  return best;
}

std::optional<Watchlist::Match> Watchlist::FindBruteForce(std::string_view q,
                                                          double threshold) const {
  if (q.empty()) return std::nullopt;
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
          bucket_off_.capacity() + postings_.capacity()) *
             sizeof(uint32_t);
}

}  // namespace outpost::risk
