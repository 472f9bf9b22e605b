#include "node/trust.h"

#include <algorithm>

#include "node/registry.h"
#include "node/registry_internal.h"
#include "schema/column_ids.h"
#include "schema/table_ids.h"

namespace outpost::node {

namespace {

int64_t BatchMicros(sync::HlcTime hlc) { return sync::HlcPhysicalMillis(hlc) * 1000; }

// Drops the entries of `origin` (NULL: entries with none) beyond the newest
// kMaxTrustLogPerOrigin. Best effort, like the logging itself.
void TrimTrustLog(Db& db, const sync::NodeId* origin) {
  auto st = db.Cached(
      "DELETE FROM trust_log WHERE origin IS ?1 AND id <= (SELECT id FROM trust_log WHERE origin "
      "IS ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  if (!st.ok()) return;
  if (origin) {
    (*st)->BindBlob(1, *origin);
  } else {
    (*st)->BindNull(1);
  }
  (*st)->Bind(2, kMaxTrustLogPerOrigin);
  (void)(*st)->Run();
}

}  // namespace

Result<std::unique_ptr<TrustPolicy>> TrustPolicy::Create(Store& store, crypto::NodeSecrets keys,
                                                         TrustOptions options) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(PublicKeys pub, LoadPublicKeys(store));
  if (keys.signing.PublicKey().bytes() != pub.signing || keys.kx.PublicKey() != pub.kx) {
    return Status::FailedPrecondition("trust policy: the keys given are not this node's (" +
                                      crypto::Fingerprint(pub.signing) + ")");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto hq, LoadHqCertificate(store));
  if (!hq) {
    return Status::FailedPrecondition(
        "this node trusts no HQ yet: install its certificate with `outpost keys install CERT "
        "--hq-fingerprint FP`");
  }
  return std::unique_ptr<TrustPolicy>(
      new TrustPolicy(store, std::move(keys), std::move(*hq), options));
}

Bytes TrustPolicy::Sign(std::span<const uint8_t> input) {
  auto sig = keys_.signing.Sign(input);
  return Bytes(sig.begin(), sig.end());
}

Status TrustPolicy::VerifySignature(const sync::NodeId& signer, std::span<const uint8_t> message,
                                    std::span<const uint8_t> signature) {
  const std::string who = "node " + UuidToString(signer);
  internal::TrustedNode node;
  if (signer == hq_.node_id) {
    node.cert = hq_;
  } else {
    OUTPOST_ASSIGN_OR_RETURN(
        auto loaded,
        internal::LoadTrustedNode(store_.db(), crypto::VerifyKey(hq_.signing_key), signer));
    if (!loaded) return Status::Unauthenticated(who + ": no certificate here");
    node = std::move(*loaded);
  }
  if (crypto::VerifyKey(node.cert.signing_key).Verify(message, signature).ok()) {
    return Status::Ok();
  }
  if (node.prev && crypto::VerifyKey(node.prev->signing_key).Verify(message, signature).ok() &&
      store_.clock().NowMicros() <= node.cert.valid_from + options_.rotation_grace_micros) {
    return Status::Ok();
  }
  return Status::Unauthenticated(who + ": signature does not verify with its key (epoch " +
                                 std::to_string(node.cert.epoch) + ")");
}

sync::BatchVerifier TrustPolicy::Verifier() {
  return
      [this](const sync::ChangeBatch& b, const sync::SignedBatch& s) { return VerifyBatch(b, s); };
}

Status TrustPolicy::Refuse(const sync::ChangeBatch& batch, Status s) {
  auto st = store_.db().Cached(
      "INSERT INTO trust_log(time, origin, scope, seq, code, message) VALUES(?, ?, ?, ?, ?, ?)");
  if (st.ok()) {
    (*st)
        ->Bind(1, store_.clock().NowMicros())
        .BindBlob(2, batch.origin)
        .Bind(3, batch.scope)
        .Bind(4, static_cast<int64_t>(batch.seq))
        .Bind(5, CodeName(s.code()))
        .Bind(6, s.message());
    // Failing to log must not turn a refusal into an acceptance; the refusal
    // stands either way.
    (void)(*st)->Run();
  }
  TrimTrustLog(store_.db(), &batch.origin);
  return s;
}

void TrustPolicy::LogEvent(const sync::NodeId& origin, const Status& s) {
  auto st =
      store_.db().Cached("INSERT INTO trust_log(time, origin, code, message) VALUES(?, ?, ?, ?)");
  if (!st.ok()) return;
  (*st)
      ->Bind(1, store_.clock().NowMicros())
      .BindBlob(2, origin)
      .Bind(3, CodeName(s.code()))
      .Bind(4, s.message());
  (void)(*st)->Run();  // the log is for the admin; the decision stands either way
  TrimTrustLog(store_.db(), &origin);
}

Status TrustPolicy::SetNextKeys(crypto::NodeSecrets next) {
  auto want = internal::GetKeyState(store_.db(), "next_signing_public");
  if (!want.ok()) return want.status();
  auto have = next.signing.PublicKey().bytes();
  if (!*want || **want != Bytes(have.begin(), have.end())) {
    return Status::InvalidArgument("next keys: " + crypto::Fingerprint(have) +
                                   " are not the keys of this node's pending rotation");
  }
  next_keys_ = std::move(next);
  return Status::Ok();
}

std::optional<Bytes> TrustPolicy::PendingRotation(const sync::NodeId& peer) {
  if (peer != hq_.node_id || !next_keys_ || SelfId() == hq_.node_id) return std::nullopt;
  auto pending = node::PendingRotation(store_);
  if (!pending.ok() || !*pending) return std::nullopt;
  return std::move(**pending);
}

Result<Bytes> TrustPolicy::HandleRotation(const sync::NodeId& peer,
                                          std::span<const uint8_t> statement) {
  auto issued = IssueRotation(store_, keys_, peer, statement, options_.rotation_grace_micros);
  if (!issued.ok()) {
    Status s = issued.status().WithContext("rotation presented by node " + UuidToString(peer) +
                                           " refused");
    LogEvent(peer, s);
    return s;
  }
  return std::move(issued->certificate_file);
}

Result<std::string> TrustPolicy::OnRotationReply(const sync::NodeId& peer, Result<Bytes> answer) {
  if (!answer.ok()) {
    LogEvent(peer, answer.status());
    return answer.status();
  }
  auto inst = CompleteRotation(store_, *answer);
  if (!inst.ok()) {
    Status s = inst.status().WithContext("certificate from HQ for the rotation not installed");
    LogEvent(peer, s);
    return s;
  }
  // The certificate is for the keys in next_keys_ (CompleteRotation checked
  // them against key_state, SetNextKeys checked next_keys_ against it).
  keys_ = std::move(*next_keys_);  // the old secrets are wiped here
  next_keys_.reset();
  rotated_ = true;
  return "installed certificate epoch " + std::to_string(inst->certificate.epoch) + " (" +
         crypto::Fingerprint(inst->certificate.signing_key) + ")";
}

Status TrustPolicy::Quarantine(const sync::ChangeBatch& batch,
                               const sync::SignedBatch& signed_batch, const std::string& reason) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store_.db().Cached("INSERT OR IGNORE INTO quarantine(received_at, origin, scope, "
                                  "seq, hlc, reason, hash, body, signature) "
                                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, store_.clock().NowMicros())
      .BindBlob(2, batch.origin)
      .Bind(3, batch.scope)
      .Bind(4, static_cast<int64_t>(batch.seq))
      .Bind(5, static_cast<int64_t>(batch.hlc))
      .Bind(6, reason)
      .BindBlob(7, sync::HashBody(signed_batch.body))
      .BindBlob(8, signed_batch.body)
      .BindBlob(9, signed_batch.signature);
  OUTPOST_RETURN_IF_ERROR(st->Run());
  return Status::PermissionDenied("quarantined: " + reason);
}

Status TrustPolicy::VerifyBatch(const sync::ChangeBatch& batch,
                                const sync::SignedBatch& signed_batch) {
  const std::string author = "node " + UuidToString(batch.origin);
  // 1. Signed at all.
  if (signed_batch.signature.size() != crypto::kSignatureSize) {
    return Refuse(
        batch, Status::Unauthenticated(author + ": batch is not signed (signature of " +
                                       std::to_string(signed_batch.signature.size()) + " bytes)"));
  }
  // 2. Who is the author?
  internal::TrustedNode node;
  if (batch.origin == hq_.node_id) {
    node.cert = hq_;
  } else {
    auto loaded =
        internal::LoadTrustedNode(store_.db(), crypto::VerifyKey(hq_.signing_key), batch.origin);
    if (!loaded.ok()) return Refuse(batch, loaded.status());
    if (!*loaded) {
      return Status::Unavailable(author + ": no certificate for this author here yet");
    }
    node = std::move(**loaded);
  }
  // 3. Signed by the author's key.
  const Bytes input = sync::SigningInput(signed_batch.body);
  const Certificate* used = &node.cert;
  if (!crypto::VerifyKey(node.cert.signing_key).Verify(input, signed_batch.signature).ok()) {
    bool prev_ok =
        node.prev &&
        crypto::VerifyKey(node.prev->signing_key).Verify(input, signed_batch.signature).ok();
    if (!prev_ok) {
      return Refuse(batch, Status::Unauthenticated(
                               author + ": signature does not verify with its key (epoch " +
                               std::to_string(node.cert.epoch) +
                               "): forged, altered or attributed to the wrong author"));
    }
    int64_t grace_end = node.cert.valid_from + options_.rotation_grace_micros;
    if (store_.clock().NowMicros() > grace_end) {
      return Refuse(batch, Status::Unauthenticated(
                               author + ": signed with its previous key (epoch " +
                               std::to_string(node.prev->epoch) + "), no longer accepted since " +
                               FormatUtcMicros(grace_end) + " (rotation grace)"));
    }
    used = &*node.prev;
  }
  // 4. Revoked: what it made afterwards is kept aside, not merged.
  const int64_t when = BatchMicros(batch.hlc);
  if (node.revocation && when > node.revocation->time) {
    return Quarantine(batch, signed_batch,
                      author + " was revoked at " + FormatUtcMicros(node.revocation->time) + " (" +
                          node.revocation->reason + "); batch made at " + FormatUtcMicros(when));
  }
  // 5. Within what its certificate allows.
  if (when > used->valid_until) {
    return Refuse(batch,
                  Status::PermissionDenied(author + ": batch made at " + FormatUtcMicros(when) +
                                           ", after its certificate "
                                           "expired at " +
                                           FormatUtcMicros(used->valid_until)));
  }
  if (!used->MayWrite(batch.scope)) {
    return Refuse(batch, Status::PermissionDenied(
                             author + " (" + std::string(RoleName(used->role)) + " " + used->site +
                             ") may not write scope \"" + batch.scope + "\""));
  }
  if (batch.scope != "shared") {
    for (const auto& row : batch.rows) {
      const schema::Table* t = store_.catalogue().FindById(row.table);
      if (t != nullptr && t->scope == schema::ScopeRule::kShared) {
        return Refuse(batch, Status::PermissionDenied(author + ": writes table " + t->name +
                                                      ", which only HQ writes (scope shared), in "
                                                      "scope \"" +
                                                      batch.scope + "\""));
      }
    }
  }
  // 6. An audit entry speaks for the node that signed it: an entry naming
  //    another node would be counted in that node's chain (HQ's own next
  //    entry would chain onto it; `audit verify` would blame the wrong node).
  for (const auto& row : batch.rows) {
    if (row.table != schema::kAuditEntryTableId) continue;
    const sync::ColumnChange* node_col = nullptr;
    for (const auto& c : row.columns) {
      if (c.column == schema::columns::audit_entry::kNode) node_col = &c;
    }
    const Bytes* named = node_col ? std::get_if<Bytes>(&node_col->value) : nullptr;
    if (named == nullptr || named->size() != batch.origin.size() ||
        !std::equal(named->begin(), named->end(), batch.origin.begin())) {
      std::string who = "no node";
      if (named != nullptr && named->size() == 16) {
        sync::NodeId id;
        std::copy(named->begin(), named->end(), id.begin());
        who = "node " + UuidToString(id);
      }
      return Refuse(batch, Status::PermissionDenied(
                               author + ": audit_entry " + UuidToString(row.id) + " names " + who +
                               " as its author; a node writes only its own audit entries"));
    }
  }
  if (auto st = store_.db().Cached(
          "INSERT INTO node_seen VALUES(?, ?) ON CONFLICT(node) DO UPDATE SET hlc = "
          "max(hlc, excluded.hlc)");
      st.ok()) {
    (*st)->BindBlob(1, batch.origin).Bind(2, sync::HlcPhysicalMillis(batch.hlc));
    (void)(*st)->Run();  // a hint for `keys list`; never a reason to refuse
  }
  return Status::Ok();
}

Result<sync::NodeId> TrustPolicy::AuthorizePeer(const sync::KxPublicKey& remote_static) {
  const int64_t now = store_.clock().NowMicros();
  if (remote_static == hq_.kx_key) {
    if (now > hq_.valid_until) {
      return Status::PermissionDenied("HQ's certificate expired at " +
                                      FormatUtcMicros(hq_.valid_until));
    }
    return hq_.node_id;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           store_.db().Cached("SELECT id FROM node_registry WHERE kx_key = ? OR "
                                              "prev_kx_key = ?"));
  st->BindBlob(1, remote_static).BindBlob(2, remote_static);
  std::vector<sync::NodeId> candidates;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(0);
    if (b.size() != 16) continue;
    sync::NodeId id;
    std::copy(b.begin(), b.end(), id.begin());
    candidates.push_back(id);
  }
  const std::string key = "kx key " + crypto::Fingerprint(remote_static);
  for (const auto& id : candidates) {
    OUTPOST_ASSIGN_OR_RETURN(
        auto node, internal::LoadTrustedNode(store_.db(), crypto::VerifyKey(hq_.signing_key), id));
    if (!node) continue;
    const Certificate* cert = nullptr;
    if (node->cert.kx_key == remote_static) {
      cert = &node->cert;
    } else if (node->prev && node->prev->kx_key == remote_static) {
      if (now > node->cert.valid_from + options_.rotation_grace_micros) {
        return Status::Unauthenticated(key + " is node " + UuidToString(id) +
                                       "'s previous key, past its rotation grace period");
      }
      cert = &*node->prev;
    } else {
      continue;  // the column matched but the signed certificate does not
    }
    if (node->revocation) {
      return Status::PermissionDenied(
          "node " + UuidToString(id) + " was revoked at " +
          FormatUtcMicros(node->revocation->time) + " (" + node->revocation->reason +
          "): it can no longer sync; set up a new node and enroll it (operator guide, "
          "section 8)");
    }
    if (now > cert->valid_until) {
      return Status::PermissionDenied("node " + UuidToString(id) + ": certificate expired at " +
                                      FormatUtcMicros(cert->valid_until));
    }
    return id;
  }
  return Status::Unauthenticated(key + " belongs to no enrolled node");
}

bool TrustPolicy::MayRead(const sync::NodeId& peer, const std::string& scope) {
  if (peer == hq_.node_id) return hq_.MayRead(scope);
  if (peer == SelfId()) {
    // This node's own rights come from the certificate it installed: its
    // registry row arrives in "shared", which it must be able to receive
    // first.
    auto own = LoadOwnCertificate(store_);
    return own.ok() && *own && (*own)->MayRead(scope);
  }
  auto node = internal::LoadTrustedNode(store_.db(), crypto::VerifyKey(hq_.signing_key), peer);
  if (!node.ok() || !*node || (*node)->revocation) return false;
  return (*node)->cert.MayRead(scope);
}

Result<std::vector<QuarantinedBatch>> TrustPolicy::Quarantined() const {
  return ListQuarantine(store_, INT64_MAX);
}

Result<std::vector<TrustLogEntry>> TrustPolicy::Log() const {
  return ListTrustLog(store_, INT64_MAX);
}

Result<std::vector<QuarantinedBatch>> ListQuarantine(Store& store, int64_t limit) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      store.db().Prepare("SELECT origin, scope, seq, hlc, reason, received_at FROM "
                         "(SELECT * FROM quarantine ORDER BY id DESC LIMIT ?) ORDER BY id"));
  st->Bind(1, limit);
  std::vector<QuarantinedBatch> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    QuarantinedBatch q;
    auto o = st->Blob(0);
    if (o.size() == 16) std::copy(o.begin(), o.end(), q.origin.begin());
    q.scope = std::string(st->Text(1));
    q.seq = static_cast<uint64_t>(st->Int(2));
    q.hlc = static_cast<sync::HlcTime>(st->Int(3));
    q.reason = std::string(st->Text(4));
    q.received_at = st->Int(5);
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<TrustLogEntry>> ListTrustLog(Store& store, int64_t limit) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      store.db().Prepare("SELECT time, code, message, origin, scope, seq FROM "
                         "(SELECT * FROM trust_log ORDER BY id DESC LIMIT ?) ORDER BY id"));
  st->Bind(1, limit);
  std::vector<TrustLogEntry> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    TrustLogEntry e{st->Int(0), std::string(st->Text(1)), std::string(st->Text(2))};
    if (auto o = st->Blob(3); o.size() == 16) {
      sync::NodeId id;
      std::copy(o.begin(), o.end(), id.begin());
      e.origin = id;
    }
    if (!st->IsNull(4)) e.scope = std::string(st->Text(4));
    if (!st->IsNull(5)) e.seq = static_cast<uint64_t>(st->Int(5));
    out.push_back(std::move(e));
  }
  return out;
}

Result<sync::MergeReport> MergeTrusted(Store& store, TrustPolicy& policy,
                                       std::span<const sync::SignedBatch> batches) {
  OUTPOST_ASSIGN_OR_RETURN(sync::MergeReport report,
                           store.replica().Merge(batches, policy.Verifier()));
  std::vector<const Status*> conflicts;
  for (const auto& s : report.refused) {
    if (s.code() == Code::kConflict) conflicts.push_back(&s);
  }
  if (conflicts.empty()) return report;
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Prepare("INSERT INTO trust_log(time, code, message) VALUES(?, ?, ?)"));
  for (const Status* s : conflicts) {
    st->Reset();
    st->Bind(1, store.clock().NowMicros()).Bind(2, CodeName(s->code())).Bind(3, s->message());
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  st.reset();
  TrimTrustLog(store.db(), nullptr);
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return report;
}

}  // namespace outpost::node
