// The session's messages in memory and their Cap'n Proto encoding
// (schema/sync.capnp; docs/protocol.md). Shared by the session and bundles.
//
// Decoding is a boundary for peer bytes (after they decrypted): it bounds
// traversal and nesting, checks every id length, list index and text size,
// and never throws (kj::Exception becomes kCorruption).
#ifndef OUTPOST_SYNC_WIRE_H_
#define OUTPOST_SYNC_WIRE_H_

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "sync/replica.h"

namespace outpost::sync {

struct HelloMsg {
  uint32_t protocol_version = 0;
  NodeId node_id{};
  VersionVector vv;
  std::vector<std::string> scopes_wanted;  // empty: all the sender may read
  int64_t wall_clock_micros = 0;
  bool accepts_zstd = false;                // reads compressed batch bodies
  std::vector<uint32_t> zstd_dictionaries;  // dictionary ids it holds
};
struct ChunkMsg {
  uint64_t number = 0;
  std::vector<Bytes> batches;  // each an encoded SignedBatch
};
struct AckMsg {
  uint64_t number = 0;
  VersionVector committed;
  uint32_t refused = 0;
};
struct DoneMsg {};
struct ErrorMsg {
  Code code = Code::kInternal;
  std::string reason;
};
// A key rotation presented by the initiator (docs/protocol.md, "Key
// rotation at sync"); at most kMaxRotationBytes.
struct RotateMsg {
  Bytes statement;  // encoded Envelope of a RotationStatement
};
// The responder's answer: code kOk and the certificate file, or a refusal.
struct RotateReplyMsg {
  Code code = Code::kOk;
  std::string reason;
  Bytes certificate_file;  // empty unless code == kOk
};
using Message =
    std::variant<HelloMsg, ChunkMsg, AckMsg, DoneMsg, ErrorMsg, RotateMsg, RotateReplyMsg>;

// Bounds on the documents a Rotate / RotateReply carries.
inline constexpr size_t kMaxRotationBytes = 4096;
inline constexpr size_t kMaxCertificateFileBytes = 16384;

Bytes EncodeMessage(const Message& m);
// kCorruption naming the field for anything malformed; `max_bytes` bounds
// the input (a frame's plaintext).
Result<Message> DecodeMessage(std::span<const uint8_t> bytes, size_t max_bytes);

// Encoded size of a Chunk message holding batches of these sizes is at most
// ChunkOverhead(n) + sum of RoundUp8(size).
inline size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }
inline size_t ChunkOverhead(size_t n_batches) { return 64 + 8 * n_batches; }

// The bundle payload (sealed inside a bundle file, docs/protocol.md).
struct BundlePayload {
  NodeId from{};
  NodeId to{};
  int64_t created_micros = 0;
  VersionVector sender_vv;     // what the sender held: the acknowledgement
  std::vector<Bytes> batches;  // encoded SignedBatch, chain order
};
Bytes EncodeBundlePayload(const BundlePayload& p);
Result<BundlePayload> DecodeBundlePayload(std::span<const uint8_t> bytes, size_t max_bytes);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_WIRE_H_
