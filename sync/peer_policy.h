// The trust decisions a sync session needs, as a seam: node/ implements it
// from the certificates and revocations in the store (docs/keys.md); tests
// hand in a simple fake.
//
// Thread safety: a session calls its policy from its own io_context thread;
// an implementation shared by several sessions must be thread-safe (or be
// one instance per session).
#ifndef OUTPOST_SYNC_PEER_POLICY_H_
#define OUTPOST_SYNC_PEER_POLICY_H_

#include <array>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "sync/change_batch.h"

namespace outpost::sync {

using KxPublicKey = std::array<uint8_t, 32>;

class PeerPolicy {
 public:
  virtual ~PeerPolicy() = default;

  // This node's identity in a session.
  virtual const NodeId& SelfId() const = 0;

  // After the handshake: the node that owns `remote_static` (the X25519 key
  // it proved it holds). kUnauthenticated if no enrolled certificate carries
  // the key; kPermissionDenied if that node is revoked or its certificate
  // expired. Called again during a long session (revocation closes it).
  virtual Result<NodeId> AuthorizePeer(const KxPublicKey& remote_static) = 0;

  // Whether `peer` may receive changes of `scope` (need-to-know).
  virtual bool MayRead(const NodeId& peer, const std::string& scope) = 0;

  // Checks a batch before merge: the author's signature over
  // SigningInput(body) with a key valid for the batch, and the author's
  // right to write its scope. kUnauthenticated / kPermissionDenied, or
  // kUnavailable when the author's certificate is not known here yet (the
  // batch is retried later, not dropped).
  virtual Status VerifyBatch(const ChangeBatch& batch, const SignedBatch& signed_batch) = 0;

  // Signs this node's batches: 64-byte Ed25519 signature over `input`.
  virtual Bytes Sign(std::span<const uint8_t> input) = 0;

  // Checks a 64-byte Ed25519 signature by `signer` (a bundle file's, for
  // instance) with a key valid for it now. kUnauthenticated if it does not
  // verify, or `signer` has no key here.
  virtual Status VerifySignature(const NodeId& signer, std::span<const uint8_t> message,
                                 std::span<const uint8_t> signature) = 0;

  // Key rotation at sync (docs/protocol.md). The defaults do without it.
  //
  // Initiator: a rotation statement to present to `peer` in this session
  // (after Hello), or nothing.
  virtual std::optional<Bytes> PendingRotation(const NodeId& /*peer*/) { return std::nullopt; }
  // Responder: checks `statement` from the authenticated `peer` and returns
  // the certificate file for its new keys; the same answer again for a
  // statement already certified (a retry after a cut). Any error is sent back
  // to the peer as the refusal's reason; the session goes on.
  virtual Result<Bytes> HandleRotation(const NodeId& /*peer*/,
                                       std::span<const uint8_t> /*statement*/) {
    return Status::FailedPrecondition("this node does not certify keys");
  }
  // Initiator: the peer's answer to the presented statement: `answer` ok
  // with the certificate file, or the peer's refusal. Returns what became of
  // it here (installed, or why not); informational, the session goes on.
  virtual Result<std::string> OnRotationReply(const NodeId& /*peer*/, Result<Bytes> answer) {
    if (!answer.ok()) return answer.status();
    return std::string("ignored");
  }
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_PEER_POLICY_H_
