// Bundles: sync by file when there is no link (a USB stick). Format in
// docs/protocol.md, "Bundles":
//
//   "OPBN" | u8 version (1 or 2) | from id (16) | to id (16)
//   | i64 LE created micros | u32 LE box length | box
//   | Ed25519 signature (64) over all before it
//   box = crypto::SealToRecipient(payload, recipient X25519 key,
//         sender static key, ad = the 45-byte header)
//   payload = version 1: BundlePayload; version 2: CompressPayload of it
//   (sync/compression.h), expanded to at most kMaxBundleBytes
//
// Export writes the batches the recipient lacks *as far as this node knows*
// (PeerLedger), in scopes PeerPolicy::MayRead allows it, plus this node's
// version vector: the acknowledgement that travels back. Nothing is marked
// as delivered on export; knowledge moves only when the recipient answers
// (a bundle or a session), so exporting again is always safe.
//
// Import checks, in order: the header; that the bundle is for this node;
// the file signature; the box opens with this node's key and was made by a sender key that
// PeerPolicy::AuthorizePeer maps to the header's sender; then merges the
// batches (each verified by PeerPolicy::VerifyBatch) idempotently and
// records the sender's version vector in the ledger. The file signature
// (by the header's sender, PeerPolicy::VerifySignature) is checked before
// the box is opened; it also lets third parties attribute the file.
//
// Thread safety: like the Replica, one thread at a time.
#ifndef OUTPOST_SYNC_BUNDLE_H_
#define OUTPOST_SYNC_BUNDLE_H_

#include <span>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "sync/peer_ledger.h"
#include "sync/peer_policy.h"
#include "sync/replica.h"

namespace outpost::sync {

inline constexpr size_t kMaxBundleBytes = size_t{1} << 30;

struct BundleEnv {
  Replica* replica = nullptr;
  PeerPolicy* policy = nullptr;
  PeerLedger* ledger = nullptr;
  const crypto::KxKeyPair* local_kx = nullptr;  // this node's X25519 key
  Clock* clock = nullptr;
  Random* random = nullptr;
  // Export: version 2, the payload zstd-compressed inside the box (docs/
  // protocol.md, "Bundles"); false writes version 1 for a node built before
  // compression. Import reads both.
  bool compress = true;
};

struct BundleInfo {
  NodeId from{};
  NodeId to{};
  int64_t created_micros = 0;
  size_t batches = 0;
  MergeReport merge;  // import only
};

// The bundle file for `to` (whose X25519 key is `to_kx`). kInvalidArgument
// if it would exceed `max_bytes`.
Result<Bytes> ExportBundle(const BundleEnv& env, const NodeId& to,
                           const crypto::PublicKeyBytes& to_kx, BundleInfo* info = nullptr,
                           size_t max_bytes = kMaxBundleBytes);

// Verifies, decrypts and merges a bundle file.
//   kCorruption        not a bundle, unknown version, truncated, bad payload
//   kInvalidArgument   the bundle is for another node
//   kUnauthenticated   the file signature is not the header sender's, the
//                      box does not open (altered, not for this key) or
//                      its sender key is not the header's sender
//   kPermissionDenied  the sender is revoked
Result<BundleInfo> ImportBundle(const BundleEnv& env, std::span<const uint8_t> file);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_BUNDLE_H_
