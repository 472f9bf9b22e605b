// Change batches in memory, their compact binary encoding (docs/crdt.md),
// and the signed envelope (schema/change.capnp).
//
// Decoding is the boundary for untrusted bytes: every Decode* call checks
// every length against what remains (ids 16 bytes, hashes 32 bytes,
// signatures 64 bytes or empty), bounds counts, and never throws: anything
// malformed is kCorruption naming what was wrong.
#ifndef OUTPOST_SYNC_CHANGE_BATCH_H_
#define OUTPOST_SYNC_CHANGE_BATCH_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "schema/value.h"
#include "sync/compression.h"
#include "sync/hlc.h"

namespace outpost::sync {

using NodeId = Uuid;  // 16 bytes
using Hash = std::array<uint8_t, 32>;

struct ColumnChange {
  uint16_t column = 0;
  HlcTime hlc = 0;
  schema::Value value;
};

struct RowChange {
  uint16_t table = 0;
  Uuid id{};
  uint32_t causal_length = 1;  // odd: exists; even: deleted
  std::vector<ColumnChange> columns;
};

struct ChangeBatch {
  NodeId origin{};
  std::string scope;
  uint64_t seq = 0;
  Hash prev_hash{};
  uint32_t schema_version = 0;
  HlcTime hlc = 0;
  std::vector<RowChange> rows;

  size_t ColumnChangeCount() const;
};

// A batch as stored and sent: the exact body bytes and the signature over them.
struct SignedBatch {
  Bytes body;
  Bytes signature;  // 64 bytes, or empty while the author has not signed yet
};

// Limits for peer input; a batch body beyond them is refused.
constexpr size_t kMaxBatchBodyBytes = 1 << 20;
constexpr size_t kMaxScopeBytes = 64;

// Batch bodies use a compact binary format (docs/crdt.md, "Change batch"):
// varints, one HLC per batch with per-column overrides only where they
// differ, so the log costs about as many bytes as the values it carries.
Bytes EncodeBatchBody(const ChangeBatch& batch);
Result<ChangeBatch> DecodeBatchBody(std::span<const uint8_t> body);

// A value borrowed from elsewhere (a row read from SQLite), encoded without
// a copy: `kind` as in the body format (0 null, 1 int, 2 real, 3 text,
// 4 blob); only the field of that kind is read.
struct ValueRef {
  uint8_t kind = 0;
  int64_t i = 0;
  double d = 0;
  std::span<const uint8_t> bytes;
};

// Streams rows into a batch body without building a ChangeBatch first (the
// local write path). Columns carry the batch's HLC. Rows are encoded with
// plain stores into one buffer that keeps room for the header in front, so
// finishing a batch writes the header in place and copies nothing.
class BatchBodyBuilder {
 public:
  // `capacity` is a hint: the bytes of rows expected before Finish (the
  // buffer grows past it when needed).
  BatchBodyBuilder(const NodeId& origin, std::string scope, uint32_t schema_version, HlcTime hlc,
                   size_t capacity = 4096);
  void BeginRow(uint16_t table, const Uuid& id, uint32_t causal_length, size_t columns);
  void AddColumn(uint16_t column, HlcTime hlc, const schema::Value& value);
  void AddColumn(uint16_t column, HlcTime hlc, const ValueRef& value);
  size_t rows() const { return rows_; }
  // Bytes of rows encoded so far (the header is not counted).
  size_t size() const { return len_ - header_room_; }
  // Header + rows; clears the rows for the next batch.
  Bytes Finish(uint64_t seq, const Hash& prev_hash);
  // The same bytes, assembled inside the builder's buffer: valid until the
  // next call on the builder. Clears the rows for the next batch.
  std::span<const uint8_t> FinishInPlace(uint64_t seq, const Hash& prev_hash);
  const std::string& scope() const { return scope_; }

 private:
  // A pointer to at least n writable bytes at the end of the rows.
  uint8_t* Room(size_t n) {
    if (cap_ - len_ < n) Grow(n);
    return buf_.get() + len_;
  }
  void Grow(size_t n);
  NodeId origin_;
  std::string scope_;
  uint32_t schema_version_;
  HlcTime hlc_;
  size_t rows_ = 0;
  size_t header_room_;  // the largest header this builder can write
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  size_t len_ = 0;  // header room + rows
};

// The envelope: the body and its signature (Cap'n Proto SignedBatch).
Bytes EncodeSignedBatch(const SignedBatch& batch);
// Decodes an envelope; a compressed body (sync/compression.h) is expanded,
// so the result always holds the raw body the signature and the chain hash
// cover. kCorruption as for the body frame; kFailedPrecondition for a
// dictionary this node lacks.
Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes);

// The envelope with its body compressed as `how` says (kNone, or a body
// compression does not shrink: the plain envelope). The signature is over
// the raw body, so a batch keeps its identity however it travels and a
// relay may re-compress it for a peer without the sender's dictionary.
Result<Bytes> EncodeSignedBatch(const SignedBatch& batch, ZstdCodec& codec, BatchCompression how,
                                const ZstdDictionaries* dictionaries);
// DecodeSignedBatch with the caller's codec and dictionaries; `cap` bounds
// the decompressed size the body may state (a chunk passes what is left of
// its budget).
Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes, ZstdCodec& codec,
                                      const ZstdDictionaries* dictionaries, size_t cap);

// BLAKE2b-256 of a body: the batch's identity in the chain.
Hash HashBody(std::span<const uint8_t> body);

// The bytes an author signs: a domain-separation tag, then the body.
Bytes SigningInput(std::span<const uint8_t> body);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_CHANGE_BATCH_H_
