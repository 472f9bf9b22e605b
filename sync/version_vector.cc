#include "sync/version_vector.h"

#include <algorithm>

namespace outpost::sync {

uint64_t VersionVector::Get(const NodeId& origin, const std::string& scope) const {
  auto it = seqs.find({origin, scope});
  return it == seqs.end() ? 0 : it->second;
}

void VersionVector::Set(const NodeId& origin, const std::string& scope, uint64_t seq) {
  seqs[{origin, scope}] = seq;
}

VersionVector CommonVersions(std::span<const VersionVector> peers) {
  VersionVector out;
  if (peers.empty()) return out;
  for (const auto& [key, seq] : peers[0].seqs) {
    uint64_t m = seq;
    for (const auto& p : peers.subspan(1)) {
      auto it = p.seqs.find(key);
      m = it == p.seqs.end() ? 0 : std::min(m, it->second);
      if (m == 0) break;
    }
    if (m > 0) out.seqs[key] = m;
  }
  return out;
}

}  // namespace outpost::sync
