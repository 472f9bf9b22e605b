#include "node/risk/watchlist.h"

#include <algorithm>

#include "node/risk/normalise.h"
#include "node/risk/validators.h"

namespace outpost::risk {
namespace {

constexpr uint64_t kExactSeed = 0x6f75747073743031ULL;
constexpr uint64_t kPrefixSeed = 0x707265666978ULL;
constexpr uint64_t kSuffixSeed = 0x737566666978ULL;

size_t PowerOfTwoAtLeast(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

std::string Watchlist::Normalise(std::string_view raw) const {
  switch (kind_) {
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

// Calls f(hash) for the segment itself and each one-character deletion of it,
// for the prefix segment and (if the string is longer than one segment) the
// suffix segment. Hashes of the two segments use different seeds.
template <typename F>
void Watchlist::ForEachKey(std::string_view s, F&& f) {
  char buf[kSegment];
  auto segment = [&](std::string_view seg, uint64_t seed) {
    f(StableHash64(seg, seed));
    for (size_t skip = 0; skip < seg.size(); ++skip) {
      size_t k = 0;
      for (size_t i = 0; i < seg.size(); ++i) {
        if (i != skip) buf[k++] = seg[i];
      }
      f(StableHash64(std::string_view(buf, k), seed));
    }
  };
  segment(s.substr(0, std::min(s.size(), kSegment)), kPrefixSeed);
  if (s.size() > kSegment) segment(s.substr(s.size() - kSegment), kSuffixSeed);
}

void Watchlist::Build() {
  const size_t n = size();
  exact_.assign(PowerOfTwoAtLeast(n * 2 + 2), 0);
  const uint64_t emask = exact_.size() - 1;
  for (uint32_t e = 0; e < n; ++e) {
    uint64_t h = StableHash64(Normalised(e), kExactSeed) & emask;
    while (exact_[h] != 0) {
      // Duplicates keep the first entry.
      if (Normalised(exact_[h] - 1) == Normalised(e)) break;
      h = (h + 1) & emask;
    }
    if (exact_[h] == 0) exact_[h] = e + 1;
  }

  // Two passes over the keys (count, then fill) so no temporary key array is needed.
  const size_t buckets = PowerOfTwoAtLeast(n * 2 + 2);
  bucket_mask_ = buckets - 1;
  bucket_off_.assign(buckets + 1, 0);
  for (uint32_t e = 0; e < n; ++e) {
    ForEachKey(Normalised(e), [&](uint64_t h) { ++bucket_off_[(h & bucket_mask_) + 1]; });
  }
  for (size_t b = 0; b < buckets; ++b) bucket_off_[b + 1] += bucket_off_[b];
  postings_.assign(bucket_off_[buckets], 0);
  std::vector<uint32_t> fill(bucket_off_.begin(), bucket_off_.end() - 1);
  for (uint32_t e = 0; e < n; ++e) {
    ForEachKey(Normalised(e), [&](uint64_t h) { postings_[fill[h & bucket_mask_]++] = e; });
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

std::optional<Watchlist::Match> Watchlist::Find(std::string_view q, double threshold) const {
  if (q.empty()) return std::nullopt;
  if (auto e = FindExact(q)) return Match{*e, 1.0};
  if (threshold >= 1.0 || bucket_off_.empty()) return std::nullopt;
  std::optional<Match> best;
  ForEachKey(q, [&](uint64_t h) {
    size_t b = h & bucket_mask_;
    for (uint32_t i = bucket_off_[b]; i < bucket_off_[b + 1]; ++i) {
      uint32_t e = postings_[i];
      if (best && best->entry == e) continue;
      double s = JaroWinkler(q, Normalised(e));
      if (s >= threshold &&
          (!best || s > best->similarity || (s == best->similarity && e < best->entry))) {
        best = Match{e, s};
      }
    }
  });
  return best;
}

size_t Watchlist::MemoryBytes() const {
  return norm_blob_.capacity() + display_blob_.capacity() +
         (norm_off_.capacity() + display_off_.capacity() + exact_.capacity() +
          bucket_off_.capacity() + postings_.capacity()) *
             sizeof(uint32_t);
}

}  // namespace outpost::risk
