// Change batches in memory, and their Cap'n Proto encoding
// (schema/change.capnp; format in docs/crdt.md).
//
// Decoding is the boundary for untrusted bytes: every Decode* call bounds the
// traversal and nesting, checks every length (ids 16 bytes, hashes 32 bytes,
// signatures 64 bytes or empty) and never throws: a kj::Exception becomes
// kCorruption naming what was wrong.
#ifndef OUTPOST_SYNC_CHANGE_BATCH_H_
#define OUTPOST_SYNC_CHANGE_BATCH_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "schema/value.h"
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

Bytes EncodeBatchBody(const ChangeBatch& batch);
Result<ChangeBatch> DecodeBatchBody(std::span<const uint8_t> body);

Bytes EncodeSignedBatch(const SignedBatch& batch);
Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes);

// BLAKE2b-256 of a body: the batch's identity in the chain.
Hash HashBody(std::span<const uint8_t> body);

// The bytes an author signs: a domain-separation tag, then the body.
Bytes SigningInput(std::span<const uint8_t> body);

// Rough encoded size of a row change, used to keep batches under a bound.
size_t EstimateEncodedSize(const RowChange& row);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_CHANGE_BATCH_H_
