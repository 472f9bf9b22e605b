// Internal to sync/: all SQL of the batch log (crdt_batch: every batch this
// node sealed or received, applied or waiting for a gap to fill) and of the
// chain heads / version vector (crdt_vv). Each statement has a name here and
// is prepared once per connection (Db::Cached). docs/crdt.md, "The change
// log" and "Scopes and sequence numbers", says what the tables mean.
//
// Origins and scopes are the store's indexes (crdt_node, crdt_scope). The
// caller holds the transaction; nothing here begins one.
//
// Thread safety: as the Db (one thread at a time).
#ifndef OUTPOST_SYNC_BATCH_LOG_H_
#define OUTPOST_SYNC_BATCH_LOG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "base/status.h"
#include "sync/change_batch.h"
#include "sync/hlc.h"
#include "sync/version_vector.h"

namespace outpost::sync::internal {

// An (origin, scope) chain's head in crdt_vv: sequence 0 and a zero hash
// when nothing of it has been applied or sealed yet.
struct ChainHead {
  uint64_t seq = 0;
  Hash hash{};
};

// One row of crdt_batch. The spans must outlive the Insert call.
struct LoggedBatch {
  uint32_t origin = 0;
  uint32_t scope = 0;
  uint64_t seq = 0;
  Hash hash{};
  HlcTime hlc = 0;
  bool applied = false;  // false: buffered behind a gap
  std::span<const uint8_t> body;
  std::span<const uint8_t> signature;
};

// A batch waiting in the buffer.
struct BufferedBatch {
  Bytes body;
  Hash hash{};
};

class BatchLog {
 public:
  explicit BatchLog(Db& db) : db_(db) {}

  // crdt_vv. kCorruption if a stored hash is not 32 bytes.
  Result<ChainHead> Head(uint32_t origin, uint32_t scope) const;
  Status SetHead(uint32_t origin, uint32_t scope, const ChainHead& head);
  // Every chain head, by node id and scope name.
  Result<VersionVector> ReadVersionVector() const;

  // The one INSERT into crdt_batch (sealed, merged in order, or buffered).
  // kConflict if (origin, scope, seq) is already stored.
  Status Insert(const LoggedBatch& b);
  // The stored hash of batch `seq` of the chain, applied or buffered; an
  // empty optional when none is stored (a hash of the wrong size reads as
  // all zeros, so it never matches).
  Result<std::optional<Hash>> StoredHash(uint32_t origin, uint32_t scope, uint64_t seq) const;
  // The buffered batch `seq` of the chain, if it is waiting (and readable).
  Result<std::optional<BufferedBatch>> Buffered(uint32_t origin, uint32_t scope,
                                                uint64_t seq) const;
  Status MarkApplied(uint32_t origin, uint32_t scope, uint64_t seq);
  Status DropBuffered(uint32_t origin, uint32_t scope, uint64_t seq);

  // Applied batches of (origin, scope) after `after`, in sequence order;
  // `visit` returns false to stop.
  using Visitor = std::function<bool(uint64_t seq, std::span<const uint8_t> body,
                                     std::span<const uint8_t> signature)>;
  Status ForEachAfter(const NodeId& origin, const std::string& scope, uint64_t after,
                      const Visitor& visit) const;

  // Drops applied batches of the chain up to `seq`, except unsigned ones of
  // `self` (stores sealed before batches were signed at sealing keep them
  // until they are signed). Returns the number dropped.
  Result<int64_t> Prune(uint32_t origin, uint32_t scope, uint64_t seq, uint32_t self);

  // Batches of `origin` with no signature (rowid, body): only stores sealed
  // by binaries that signed later have them.
  Result<std::vector<std::pair<int64_t, Bytes>>> Unsigned(uint32_t origin) const;
  Status SetSignature(int64_t rowid, std::span<const uint8_t> signature);

 private:
  Db& db_;
};

}  // namespace outpost::sync::internal

#endif  // OUTPOST_SYNC_BATCH_LOG_H_
