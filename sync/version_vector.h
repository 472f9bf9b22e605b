// Version vectors: per (origin, scope), the highest batch sequence applied
// with no gap (docs/crdt.md, "Scopes and sequence numbers"). Plain values;
// the replica reads its own from crdt_vv (sync/batch_log.h).
#ifndef OUTPOST_SYNC_VERSION_VECTOR_H_
#define OUTPOST_SYNC_VERSION_VECTOR_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>

#include "sync/change_batch.h"

namespace outpost::sync {

// (origin, scope) -> highest contiguous batch sequence applied.
struct VersionVector {
  std::map<std::pair<NodeId, std::string>, uint64_t> seqs;
  uint64_t Get(const NodeId& origin, const std::string& scope) const;
  void Set(const NodeId& origin, const std::string& scope, uint64_t seq);
  bool operator==(const VersionVector&) const = default;
};

// What every vector in `peers` holds: per (origin, scope) the minimum, and
// nothing for a key some vector lacks. Empty input gives an empty vector.
// The caller feeds it PeerLedger::Known of every known peer to get what all
// of them have acknowledged (for PruneLog and CompactTombstones).
VersionVector CommonVersions(std::span<const VersionVector> peers);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_VERSION_VECTOR_H_
