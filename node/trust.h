// TrustPolicy: the sync::PeerPolicy of a node, built from its store (the
// node registry, the pinned HQ certificate) and its unlocked keys. The trust
// model is written down in docs/keys.md.
//
// VerifyBatch decides, for every batch before it is merged (relayed ones
// included), in this order:
//  1. Signed: a 64-byte signature, else kUnauthenticated.
//  2. Known author: HQ (the pinned certificate) or a node whose HQ-signed
//     certificate is in the registry; else kUnavailable (the registry row
//     may still be on its way; the batch is offered again later).
//  3. Authentic: Ed25519 over sync::SigningInput(body) verifies with the
//     author's current key, or with its previous key while the rotation
//     grace period lasts (until the new certificate's validFrom + grace, by
//     this node's clock); else kUnauthenticated (forged, altered or
//     re-attributed: the body names the origin, so moving a batch to another
//     author breaks its signature). Logged in trust_log.
//  4. Not revoked: a batch of a revoked node whose HLC time is after the
//     revocation is stored in the local `quarantine` table and refused with
//     kPermissionDenied "quarantined: ..."; earlier batches still merge.
//  5. Certified: the batch's time is within the certificate's validity, its
//     scope is one the certificate may write ("shared" only for HQ), and no
//     row is of an HQ-only table (ScopeRule::kShared) outside "shared";
//     else kPermissionDenied, logged in trust_log.
//  6. Own audit entries only: every audit_entry row carries `node` = the
//     batch's author (node/audit.h); else kPermissionDenied, logged.
// Equivocation (two bodies for one (origin, scope, seq)) is detected by
// sync::Replica::Merge (kConflict); MergeTrusted logs it in trust_log.
//
// Writes (quarantine, trust_log, node_seen) go through the store's Db, so
// inside Merge they join Merge's transaction.
//
// Thread safety: one thread at a time, like the Store it reads.
#ifndef OUTPOST_NODE_TRUST_H_
#define OUTPOST_NODE_TRUST_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/keystore.h"
#include "node/keys.h"
#include "node/store.h"
#include "sync/peer_policy.h"
#include "sync/replica.h"

namespace outpost::node {

// trust_log keeps, per origin (the batch's claimed author, or the node a
// rotation was about; entries with no origin count as one), the newest
// kMaxTrustLogPerOrigin entries: a peer that sends refused batches without
// end evicts only its own oldest entries, never another node's
// (docs/keys.md, "Trust log").
inline constexpr int64_t kMaxTrustLogPerOrigin = 1000;

struct TrustOptions {
  // How long after HQ certifies a node's new key its previous key is still
  // accepted (docs/keys.md, "Rotation").
  int64_t rotation_grace_micros = kDefaultRotationGraceMicros;
};

struct QuarantinedBatch {
  sync::NodeId origin{};
  std::string scope;
  uint64_t seq = 0;
  sync::HlcTime hlc = 0;
  std::string reason;
  int64_t received_at = 0;
};

struct TrustLogEntry {
  int64_t time = 0;
  std::string code;  // CodeName of the refusal
  std::string message;
  std::optional<sync::NodeId> origin;  // the batch's author, or the node a rotation was about
  std::string scope;                   // of the refused batch ("" otherwise)
  uint64_t seq = 0;
};

// The local quarantine and trust log, oldest first, at most `limit` of the
// newest entries each (`outpost keys log`); no keys needed.
Result<std::vector<QuarantinedBatch>> ListQuarantine(Store& store, int64_t limit = 1000);
Result<std::vector<TrustLogEntry>> ListTrustLog(Store& store, int64_t limit = 1000);

class TrustPolicy final : public sync::PeerPolicy {
 public:
  // Builds the policy for `store` with the node's unlocked `keys` (which must
  // be the node's current keys). `store` must outlive the policy.
  // kFailedPrecondition if no HQ certificate is pinned yet (a site before
  // `keys install`) or `keys` are not this node's.
  static Result<std::unique_ptr<TrustPolicy>> Create(Store& store, crypto::NodeSecrets keys,
                                                     TrustOptions options = {});

  const sync::NodeId& SelfId() const override { return store_.identity().id; }
  Result<sync::NodeId> AuthorizePeer(const sync::KxPublicKey& remote_static) override;
  // HQ reads every scope; a site reads "shared" and its own "site:CODE"
  // (what its certificate lists). False for unknown or revoked peers.
  bool MayRead(const sync::NodeId& peer, const std::string& scope) override;
  Status VerifyBatch(const sync::ChangeBatch& batch,
                     const sync::SignedBatch& signed_batch) override;
  Bytes Sign(std::span<const uint8_t> input) override;
  // With the signer's current key (HQ: the pinned one), or its previous key
  // while the rotation grace period lasts. kUnauthenticated otherwise, or
  // if the registry has no certificate for `signer`.
  Status VerifySignature(const sync::NodeId& signer, std::span<const uint8_t> message,
                         std::span<const uint8_t> signature) override;

  // Key rotation at sync (docs/keys.md, docs/protocol.md):
  //  - a site with a pending rotation and its new keys (SetNextKeys)
  //    presents the statement to HQ, and only to HQ;
  //  - HQ answers with IssueRotation (refusals are logged in trust_log);
  //  - the site installs the answer with CompleteRotation and from then on
  //    signs with the new keys (rotated() is true; the old secrets are
  //    wiped when this policy drops them).
  std::optional<Bytes> PendingRotation(const sync::NodeId& peer) override;
  Result<Bytes> HandleRotation(const sync::NodeId& peer,
                               std::span<const uint8_t> statement) override;
  Result<std::string> OnRotationReply(const sync::NodeId& peer, Result<Bytes> answer) override;

  // The unlocked keys of the pending rotation (UnlockNodeKeys' `next`).
  // kInvalidArgument if they are not the keys key_state names as next.
  Status SetNextKeys(crypto::NodeSecrets next);
  // True once a rotation completed through this policy: keys() are the new
  // keys.
  bool rotated() const { return rotated_; }
  const crypto::NodeSecrets& keys() const { return keys_; }

  // VerifyBatch as a sync::BatchVerifier for Replica::Merge. Valid while
  // *this lives.
  sync::BatchVerifier Verifier();

  const Certificate& hq() const { return hq_; }

  // The quarantine and the refusal log, oldest first.
  Result<std::vector<QuarantinedBatch>> Quarantined() const;
  Result<std::vector<TrustLogEntry>> Log() const;

 private:
  TrustPolicy(Store& store, crypto::NodeSecrets keys, Certificate hq, TrustOptions options)
      : store_(store), keys_(std::move(keys)), hq_(std::move(hq)), options_(options) {}

  Status Refuse(const sync::ChangeBatch& batch, Status s);
  // A trust_log line about `origin` that is not about a batch.
  void LogEvent(const sync::NodeId& origin, const Status& s);
  Status Quarantine(const sync::ChangeBatch& batch, const sync::SignedBatch& signed_batch,
                    const std::string& reason);

  Store& store_;
  crypto::NodeSecrets keys_;
  Certificate hq_;
  TrustOptions options_;
  std::optional<crypto::NodeSecrets> next_keys_;
  bool rotated_ = false;
};

// Merges `batches` into the store with `policy` as the verifier, and records
// every equivocation (kConflict) Merge reports in trust_log, so that it
// surfaces to the admin (`outpost keys list` shows it) as well as in the
// returned report.
Result<sync::MergeReport> MergeTrusted(Store& store, TrustPolicy& policy,
                                       std::span<const sync::SignedBatch> batches);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_TRUST_H_
