#include "node/registry.h"

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "node/registry_internal.h"
#include "schema/column_ids.h"
#include "schema/validators.h"

namespace outpost::node {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxRequestFileBytes = 256 * 1024;

namespace reg = schema::columns::node_registry;

Bytes ToBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

sync::ColumnValue Col(uint16_t id, schema::Value v) { return sync::ColumnValue{id, std::move(v)}; }

const schema::Table& RegistryTable(Store& store) {
  const schema::Table* t = store.catalogue().Find("node_registry");
  // The table is part of the domain catalogue this binary was built with.
  assert(t != nullptr);
  return *t;
}

std::vector<sync::ColumnValue> CertificateColumns(const Certificate& c, const Envelope& env) {
  return {
      Col(reg::kName, c.name),
      Col(reg::kRole, std::string(RoleName(c.role))),
      Col(reg::kSite, c.site),
      Col(reg::kSigningKey, ToBytes(c.signing_key)),
      Col(reg::kKxKey, ToBytes(c.kx_key)),
      Col(reg::kEpoch, static_cast<int64_t>(c.epoch)),
      Col(reg::kValidFrom, c.valid_from),
      Col(reg::kValidUntil, c.valid_until),
      Col(reg::kCertificate, EncodeEnvelope(env)),
      Col(reg::kStatus, std::string("active")),
  };
}

Status SignOwnBatches(Store& store, const crypto::NodeSecrets& keys) {
  return store.replica()
      .Seal([&](std::span<const uint8_t> input) {
        auto sig = keys.signing.Sign(input);
        return Bytes(sig.begin(), sig.end());
      })
      .status();
}

Status RequireRole(Store& store, Role role, std::string_view what) {
  if (store.identity().role != role) {
    return Status::FailedPrecondition(
        std::string(what) + " runs on the " + (role == Role::kHq ? "HQ node" : "site node") +
        "; this node is " + std::string(RoleName(store.identity().role)) + " (" +
        store.identity().name + ")");
  }
  return Status::Ok();
}

// The HQ certificate pinned here, as the key that verifies everything else.
Result<Certificate> RequireHq(Store& store) {
  OUTPOST_ASSIGN_OR_RETURN(auto hq, LoadHqCertificate(store));
  if (!hq) {
    return Status::FailedPrecondition(
        "no HQ certificate is pinned here: run `outpost keys install CERT --hq-fingerprint FP`");
  }
  return *hq;
}

Status CheckKeysMatch(Store& store, const crypto::NodeSecrets& keys) {
  OUTPOST_ASSIGN_OR_RETURN(PublicKeys pub, LoadPublicKeys(store));
  if (keys.signing.PublicKey().bytes() != pub.signing || keys.kx.PublicKey() != pub.kx) {
    return Status::FailedPrecondition(
        "the unlocked key file does not hold this node's current keys (key_state says " +
        crypto::Fingerprint(pub.signing) + ")");
  }
  return Status::Ok();
}

Status PromoteNextKeyFile(const std::string& dir) {
  std::error_code ec;
  fs::rename(NextKeyFilePath(dir), KeyFilePath(dir), ec);
  if (ec) {
    return Status::IoError("cannot move " + NextKeyFilePath(dir) + " to " + KeyFilePath(dir) +
                           ": " + ec.message());
  }
  return Status::Ok();
}

bool SameKeys(const crypto::NodeSecrets& keys, const PublicKeys& pub) {
  return keys.signing.PublicKey().bytes() == pub.signing && keys.kx.PublicKey() == pub.kx;
}

}  // namespace

// ---- Local tables ----------------------------------------------------------

Status EnsureKeyTables(Db& db) {
  OUTPOST_ASSIGN_OR_RETURN(
      int64_t n, db.QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('key_state', 'quarantine', 'trust_log', 'node_seen', "
                             "'key_history')"));
  if (n == 5) return Status::Ok();
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db));
  OUTPOST_RETURN_IF_ERROR(db.Exec(R"sql(
    CREATE TABLE IF NOT EXISTS key_history(key BLOB PRIMARY KEY, node BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS key_state(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS quarantine(
      id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, origin BLOB NOT NULL,
      scope TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, reason TEXT NOT NULL,
      hash BLOB NOT NULL UNIQUE, body BLOB NOT NULL, signature BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS trust_log(
      id INTEGER PRIMARY KEY, time INTEGER NOT NULL, origin BLOB, scope TEXT, seq INTEGER,
      code TEXT NOT NULL, message TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS trust_log_by_origin ON trust_log(origin, id);
    CREATE TABLE IF NOT EXISTS node_seen(node BLOB PRIMARY KEY, hlc INTEGER NOT NULL) WITHOUT ROWID;
  )sql"));
  return txn->Commit();
}

namespace internal {

Result<std::optional<Bytes>> GetKeyState(Db& db, std::string_view key) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT value FROM key_state WHERE key = ?"));
  st->Bind(1, key);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<Bytes>();
  return std::optional<Bytes>(ToBytes(st->Blob(0)));
}

Status PutKeyState(Db& db, std::string_view key, std::span<const uint8_t> value) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("INSERT INTO key_state VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value"));
  st->Bind(1, key).BindBlob(2, value);
  return st->Run();
}

Status DeleteKeyState(Db& db, std::string_view key) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("DELETE FROM key_state WHERE key = ?"));
  st->Bind(1, key);
  return st->Run();
}

Result<std::optional<RegistryRow>> ReadRegistryRow(Db& db, const sync::NodeId& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Cached("SELECT certificate, revocation, prev_certificate FROM "
                                     "live_node_registry WHERE id = ?"));
  st->BindBlob(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<RegistryRow>();
  RegistryRow r;
  r.certificate = ToBytes(st->Blob(0));
  if (!st->IsNull(1)) r.revocation = ToBytes(st->Blob(1));
  if (!st->IsNull(2)) r.prev_certificate = ToBytes(st->Blob(2));
  return std::optional<RegistryRow>(std::move(r));
}

Result<std::optional<TrustedNode>> LoadTrustedNode(Db& db, const crypto::VerifyKey& hq_key,
                                                   const sync::NodeId& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto row, ReadRegistryRow(db, id));
  if (!row) return std::optional<TrustedNode>();
  const std::string who = "node_registry " + UuidToString(id);
  TrustedNode n;
  {
    OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(row->certificate));
    auto cert = OpenCertificate(env, hq_key);
    if (!cert.ok()) return cert.status().WithContext(who + ".certificate");
    n.cert = std::move(*cert);
  }
  if (n.cert.node_id != id) {
    return Status::Unauthenticated(who + ".certificate: is the certificate of node " +
                                   UuidToString(n.cert.node_id));
  }
  if (row->prev_certificate) {
    OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(*row->prev_certificate));
    auto prev = OpenCertificate(env, hq_key);
    if (!prev.ok()) return prev.status().WithContext(who + ".prev_certificate");
    if (prev->node_id != id || prev->epoch >= n.cert.epoch) {
      return Status::Unauthenticated(who + ".prev_certificate: not an earlier epoch of this node");
    }
    n.prev = std::move(*prev);
  }
  if (row->revocation) {
    OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(*row->revocation));
    auto rev = OpenRevocation(env, hq_key);
    if (!rev.ok()) return rev.status().WithContext(who + ".revocation");
    if (rev->node_id != id) {
      return Status::Unauthenticated(who + ".revocation: revokes another node");
    }
    n.revocation = std::move(*rev);
  }
  return std::optional<TrustedNode>(std::move(n));
}

}  // namespace internal

using internal::GetKeyState;
using internal::PutKeyState;

// ---- Init ------------------------------------------------------------------

Result<InitResult> InitNode(const std::string& dir, const Identity& identity,
                            std::string_view passphrase, Clock& clock, Random& random,
                            const InitOptions& options) {
  if (passphrase.empty()) return Status::InvalidArgument("passphrase: must not be empty");
  std::error_code ec;
  if (fs::exists(KeyFilePath(dir), ec)) {
    return Status::AlreadyExists("a key file already exists at " + KeyFilePath(dir) +
                                 " (node keys are never overwritten)");
  }
  crypto::NodeSecrets keys = GenerateNodeSecrets(random);
  OUTPOST_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                           Store::Create(dir, identity, clock, random));
  // From here a failure removes the new, empty store so that `init` can be
  // run again.
  auto fail = [&](Status s) -> Status {
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(Store::DbPath(dir) + suffix, ec);
    fs::remove(KeyFilePath(dir), ec);
    return s;
  };
  Status s = [&]() -> Status {
    OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store->db()));
    OUTPOST_RETURN_IF_ERROR(WriteKeyFile(KeyFilePath(dir), keys, passphrase, options.pwhash));
    OUTPOST_ASSIGN_OR_RETURN(auto writer, store->replica().BeginWrite());
    Db& db = store->db();
    OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "signing_public", keys.signing.PublicKey().bytes()));
    OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "kx_public", keys.kx.PublicKey()));
    if (store->identity().role == Role::kHq) {
      if (options.hq_valid_days < 1 || options.hq_valid_days > 36500) {
        return Status::InvalidArgument(
            "HQ certificate validity: " + std::to_string(options.hq_valid_days) +
            " days is outside 1..36500");
      }
      const Identity& me = store->identity();
      Certificate c;
      c.node_id = me.id;
      c.name = me.name;
      c.role = Role::kHq;
      c.site = me.site;
      c.signing_key = keys.signing.PublicKey().bytes();
      c.kx_key = keys.kx.PublicKey();
      c.epoch = 1;
      c.valid_from = clock.NowMicros();
      c.valid_until = c.valid_from + options.hq_valid_days * kMicrosPerDay;
      c.read_scopes = DefaultReadScopes(Role::kHq, me.site);
      c.write_scopes = DefaultWriteScopes(Role::kHq, me.site);
      c.hq_address = options.hq_address;
      Envelope env = SignCertificate(c, keys.signing);
      c.hq_signing_key = keys.signing.PublicKey().bytes();
      Bytes env_bytes = EncodeEnvelope(env);
      OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "certificate", env_bytes));
      OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "hq_certificate", env_bytes));
      auto cols = CertificateColumns(c, env);
      OUTPOST_RETURN_IF_ERROR(writer->Insert(RegistryTable(*store), me.id, "shared", cols));
    }
    OUTPOST_RETURN_IF_ERROR(writer->Commit());
    return SignOwnBatches(*store, keys);
  }();
  if (!s.ok()) return fail(s);
  InitResult out;
  out.signing_fingerprint = crypto::Fingerprint(keys.signing.PublicKey().bytes());
  out.kx_fingerprint = crypto::Fingerprint(keys.kx.PublicKey());
  out.store = std::move(store);
  return out;
}

// ---- Loading ---------------------------------------------------------------

Result<PublicKeys> LoadPublicKeys(Store& store) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(auto s, GetKeyState(store.db(), "signing_public"));
  OUTPOST_ASSIGN_OR_RETURN(auto k, GetKeyState(store.db(), "kx_public"));
  if (!s || !k || s->size() != 32 || k->size() != 32) {
    return Status::FailedPrecondition(
        "this store has no node keys (made before key management?): "
        "run `outpost init` in a new data directory");
  }
  PublicKeys p;
  std::copy(s->begin(), s->end(), p.signing.begin());
  std::copy(k->begin(), k->end(), p.kx.begin());
  return p;
}

namespace {

Result<std::optional<Certificate>> LoadStoredCertificate(Store& store, std::string_view key,
                                                         bool self_signed_hq) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(auto bytes, GetKeyState(store.db(), key));
  if (!bytes) return std::optional<Certificate>();
  OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(*bytes));
  OUTPOST_ASSIGN_OR_RETURN(Certificate unverified, DecodeCertificate(env.body));
  // The pinned HQ certificate verifies itself (it was checked against the
  // admin's fingerprint when installed); the node's own against it.
  crypto::VerifyKey signer(unverified.hq_signing_key);
  if (!self_signed_hq) {
    OUTPOST_ASSIGN_OR_RETURN(auto hq, LoadStoredCertificate(store, "hq_certificate", true));
    if (!hq) return Status::Corruption("key_state: a certificate is installed but no HQ is pinned");
    signer = crypto::VerifyKey(hq->signing_key);
  }
  auto cert = OpenCertificate(env, signer);
  if (!cert.ok()) return cert.status().WithContext("key_state." + std::string(key));
  return std::optional<Certificate>(std::move(*cert));
}

}  // namespace

Result<std::optional<Certificate>> LoadOwnCertificate(Store& store) {
  return LoadStoredCertificate(store, "certificate", false);
}

Result<std::optional<Certificate>> LoadHqCertificate(Store& store) {
  return LoadStoredCertificate(store, "hq_certificate", true);
}

// ---- Requests --------------------------------------------------------------

Result<Bytes> MakeEnrollmentRequest(Store& store, const crypto::NodeSecrets& keys) {
  OUTPOST_RETURN_IF_ERROR(CheckKeysMatch(store, keys));
  const Identity& me = store.identity();
  EnrollmentRequest req;
  req.node_id = me.id;
  req.name = me.name;
  req.role = me.role;
  req.site = me.site;
  req.signing_key = keys.signing.PublicKey().bytes();
  req.kx_key = keys.kx.PublicKey();
  req.time = store.clock().NowMicros();
  return EncodeEnvelope(SignEnrollmentRequest(req, keys.signing));
}

namespace {

struct CheckedRequest {
  RequestSummary summary;
  std::optional<EnrollmentRequest> enrollment;
  std::optional<RotationStatement> rotation;
  std::optional<internal::TrustedNode> existing;
};

// docs/keys.md, "One key, one node": `key` (the request's `field`) must not
// be a key HQ holds, nor a key any other node holds or held (the registry's
// current and previous keys, and key_history: every key HQ ever certified).
// kAlreadyExists names the node it belongs to.
Status CheckKeyUnclaimed(Store& hq, const Certificate& hq_cert, const sync::NodeId& node,
                         const crypto::PublicKeyBytes& key, std::string_view field) {
  const std::string what = std::string(field) + ": " + crypto::Fingerprint(key);
  const std::string rule = "; every node needs keys of its own, never used by another";
  if (node != hq_cert.node_id && (key == hq_cert.signing_key || key == hq_cert.kx_key)) {
    return Status::AlreadyExists(what + " is HQ's key" + rule);
  }
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, hq.db().Cached("SELECT id, name FROM node_registry WHERE id != ?1 AND "
                              "(signing_key = ?2 OR kx_key = ?2 OR prev_signing_key = ?2 OR "
                              "prev_kx_key = ?2) LIMIT 1"));
  st->BindBlob(1, node).BindBlob(2, key);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (row) {
    auto id = st->Blob(0);
    Uuid other{};
    if (id.size() == 16) std::copy(id.begin(), id.end(), other.begin());
    return Status::AlreadyExists(what + " is, or was, a key of node " + UuidToString(other) + " (" +
                                 std::string(st->Text(1)) + ")" + rule);
  }
  OUTPOST_ASSIGN_OR_RETURN(
      auto hist, hq.db().Cached("SELECT node FROM key_history WHERE key = ? AND node != ?"));
  hist->BindBlob(1, key).BindBlob(2, node);
  OUTPOST_ASSIGN_OR_RETURN(row, hist->Step());
  if (row) {
    auto id = hist->Blob(0);
    Uuid other{};
    if (id.size() == 16) std::copy(id.begin(), id.end(), other.begin());
    return Status::AlreadyExists(what + " was a key of node " + UuidToString(other) + rule);
  }
  return Status::Ok();
}

Status CheckKeysUnclaimed(Store& hq, const Certificate& hq_cert, const sync::NodeId& node,
                          const crypto::PublicKeyBytes& signing, const crypto::PublicKeyBytes& kx,
                          std::string_view what) {
  OUTPOST_RETURN_IF_ERROR(
      CheckKeyUnclaimed(hq, hq_cert, node, signing, std::string(what) + ".signingKey"));
  return CheckKeyUnclaimed(hq, hq_cert, node, kx, std::string(what) + ".kxKey");
}

Result<CheckedRequest> CheckRequest(Store& hq, std::span<const uint8_t> bytes) {
  OUTPOST_RETURN_IF_ERROR(RequireRole(hq, Role::kHq, "enrolling a node"));
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq_cert, RequireHq(hq));
  crypto::VerifyKey hq_key(hq_cert.signing_key);
  OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(bytes));
  CheckedRequest out;
  RequestSummary& s = out.summary;
  s.kind = env.kind;
  if (env.kind == kKindEnrollment) {
    OUTPOST_ASSIGN_OR_RETURN(EnrollmentRequest req, OpenEnrollmentRequest(env));
    if (req.role != Role::kSite) {
      return Status::InvalidArgument("request.role: \"hq\" is refused: a network has one HQ");
    }
    OUTPOST_RETURN_IF_ERROR(schema::ValidateSiteCode("request.site", req.site));
    if (req.name.empty() || req.name.size() > 100) {
      return Status::InvalidArgument("request.name: must be 1 to 100 bytes");
    }
    if (req.node_id == hq.identity().id) {
      return Status::InvalidArgument("request.nodeId: is HQ's own id");
    }
    OUTPOST_ASSIGN_OR_RETURN(out.existing, internal::LoadTrustedNode(hq.db(), hq_key, req.node_id));
    s.node_id = req.node_id;
    s.name = req.name;
    s.role = req.role;
    s.site = req.site;
    s.signing_fingerprint = crypto::Fingerprint(req.signing_key);
    s.kx_fingerprint = crypto::Fingerprint(req.kx_key);
    s.epoch = 1;
    if (out.existing) {
      const auto& ex = *out.existing;
      if (ex.revocation) {
        return Status::PermissionDenied("node " + UuidToString(req.node_id) +
                                        " was revoked; a revoked node id is never re-enrolled "
                                        "(run `outpost init` in a new data directory)");
      }
      if (ex.cert.signing_key != req.signing_key || ex.cert.kx_key != req.kx_key) {
        return Status::AlreadyExists("node " + UuidToString(req.node_id) +
                                     " is enrolled with other keys; new keys come with "
                                     "`outpost keys rotate`");
      }
      s.epoch = ex.cert.epoch;  // a renewal keeps the epoch
    }
    OUTPOST_RETURN_IF_ERROR(
        CheckKeysUnclaimed(hq, hq_cert, req.node_id, req.signing_key, req.kx_key, "request"));
    out.enrollment = std::move(req);
  } else if (env.kind == kKindRotation) {
    OUTPOST_ASSIGN_OR_RETURN(RotationStatement unverified, DecodeRotation(env.body));
    OUTPOST_ASSIGN_OR_RETURN(out.existing,
                             internal::LoadTrustedNode(hq.db(), hq_key, unverified.node_id));
    if (!out.existing) {
      return Status::NotFound("rotation for node " + UuidToString(unverified.node_id) +
                              ", which is not enrolled here");
    }
    const auto& ex = *out.existing;
    if (ex.revocation) {
      return Status::PermissionDenied("node " + UuidToString(unverified.node_id) +
                                      " is revoked; its rotation is refused");
    }
    if (unverified.old_epoch != ex.cert.epoch) {
      return Status::Conflict("rotation.oldEpoch: " + std::to_string(unverified.old_epoch) +
                              " but the node's current epoch is " + std::to_string(ex.cert.epoch));
    }
    OUTPOST_ASSIGN_OR_RETURN(RotationStatement rot,
                             OpenRotation(env, crypto::VerifyKey(ex.cert.signing_key)));
    OUTPOST_RETURN_IF_ERROR(CheckKeysUnclaimed(hq, hq_cert, rot.node_id, rot.new_signing_key,
                                               rot.new_kx_key, "rotation"));
    s.node_id = rot.node_id;
    s.name = ex.cert.name;
    s.role = ex.cert.role;
    s.site = ex.cert.site;
    s.signing_fingerprint = crypto::Fingerprint(rot.new_signing_key);
    s.kx_fingerprint = crypto::Fingerprint(rot.new_kx_key);
    s.epoch = ex.cert.epoch + 1;
    out.rotation = std::move(rot);
  } else {
    return Status::InvalidArgument("request file holds a \"" + env.kind +
                                   "\" document, not an enrollment request or rotation statement");
  }
  return out;
}

}  // namespace

Result<RequestSummary> InspectRequest(Store& hq, std::span<const uint8_t> request) {
  OUTPOST_ASSIGN_OR_RETURN(CheckedRequest c, CheckRequest(hq, request));
  return c.summary;
}

Result<Issued> Enroll(Store& hq, const crypto::NodeSecrets& hq_keys,
                      std::span<const uint8_t> request, const EnrollOptions& options) {
  if (options.valid_days < 1 || options.valid_days > 3650) {
    return Status::InvalidArgument("--valid-days: " + std::to_string(options.valid_days) +
                                   " is outside 1..3650");
  }
  OUTPOST_ASSIGN_OR_RETURN(CheckedRequest c, CheckRequest(hq, request));
  OUTPOST_RETURN_IF_ERROR(CheckKeysMatch(hq, hq_keys));
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq_cert, RequireHq(hq));
  int64_t now = hq.clock().NowMicros();

  Certificate cert;
  cert.node_id = c.summary.node_id;
  cert.name = c.summary.name;
  cert.role = c.summary.role;
  cert.site = c.summary.site;
  cert.epoch = c.summary.epoch;
  cert.valid_from = now;
  cert.valid_until = now + options.valid_days * kMicrosPerDay;
  cert.read_scopes = DefaultReadScopes(cert.role, cert.site);
  cert.write_scopes = DefaultWriteScopes(cert.role, cert.site);
  cert.hq_address = hq_cert.hq_address;
  if (c.enrollment) {
    cert.signing_key = c.enrollment->signing_key;
    cert.kx_key = c.enrollment->kx_key;
  } else {
    // The new signing key signed the statement (OpenRotation); the new kx
    // key proves itself to HQ's (docs/keys.md, "Rotation").
    const RotationStatement& rot = *c.rotation;
    if (rot.kx_proof.empty()) {
      return Status::Unauthenticated(
          "rotation.kxProof: missing: the statement does not prove possession of its new "
          "key-exchange key " +
          crypto::Fingerprint(rot.new_kx_key) + " (run `outpost keys rotate` again to remake it)");
    }
    OUTPOST_ASSIGN_OR_RETURN(Bytes want, RotationKxProof(rot, hq_keys.kx, rot.new_kx_key));
    if (rot.kx_proof.size() != want.size() ||
        sodium_memcmp(rot.kx_proof.data(), want.data(), want.size()) != 0) {
      return Status::Unauthenticated(
          "rotation.kxProof: does not prove possession of the new "
          "key-exchange key " +
          crypto::Fingerprint(rot.new_kx_key));
    }
    cert.signing_key = rot.new_signing_key;
    cert.kx_key = rot.new_kx_key;
  }
  Envelope env = SignCertificate(cert, hq_keys.signing);
  cert.hq_signing_key = hq_keys.signing.PublicKey().bytes();

  const schema::Table& table = RegistryTable(hq);
  std::vector<sync::ColumnValue> cols = CertificateColumns(cert, env);
  OUTPOST_ASSIGN_OR_RETURN(auto writer, hq.replica().BeginWrite());
  if (c.rotation) {
    // The certificate it replaces stays valid for the grace period.
    OUTPOST_ASSIGN_OR_RETURN(auto row, internal::ReadRegistryRow(hq.db(), cert.node_id));
    if (!row) return Status::Internal("registry row vanished during rotation");
    cols.push_back(Col(reg::kPrevSigningKey, ToBytes(c.existing->cert.signing_key)));
    cols.push_back(Col(reg::kPrevKxKey, ToBytes(c.existing->cert.kx_key)));
    cols.push_back(Col(reg::kPrevValidUntil, now + options.rotation_grace_micros));
    cols.push_back(Col(reg::kPrevCertificate, row->certificate));
  }
  if (c.existing) {
    OUTPOST_RETURN_IF_ERROR(writer->Update(table, cert.node_id, cols));
  } else {
    OUTPOST_RETURN_IF_ERROR(writer->Insert(table, cert.node_id, "shared", cols));
  }
  {
    // Every key certified, for ever: the registry keeps only the current
    // and the previous ones.
    OUTPOST_ASSIGN_OR_RETURN(
        auto hist, hq.db().Cached("INSERT OR IGNORE INTO key_history(key, node) VALUES(?, ?)"));
    for (const auto* key : {&cert.signing_key, &cert.kx_key}) {
      hist->Reset();
      hist->BindBlob(1, *key).BindBlob(2, cert.node_id);
      OUTPOST_RETURN_IF_ERROR(hist->Run());
    }
  }
  OUTPOST_RETURN_IF_ERROR(writer->Commit());
  OUTPOST_RETURN_IF_ERROR(SignOwnBatches(hq, hq_keys));

  OUTPOST_ASSIGN_OR_RETURN(auto hq_env_bytes, GetKeyState(hq.db(), "hq_certificate"));
  OUTPOST_ASSIGN_OR_RETURN(Envelope hq_env, DecodeEnvelope(*hq_env_bytes));
  Issued out;
  out.certificate = std::move(cert);
  out.certificate_file = EncodeCertificateFile(CertificateFile{env, hq_env});
  return out;
}

// ---- Install ---------------------------------------------------------------

Result<Installed> InstallCertificate(Store& store, std::span<const uint8_t> file,
                                     std::string_view hq_fingerprint) {
  OUTPOST_RETURN_IF_ERROR(
      crypto::ParseFingerprint(hq_fingerprint).status().WithContext("--hq-fingerprint"));
  OUTPOST_ASSIGN_OR_RETURN(CertificateFile f, DecodeCertificateFile(file));
  // 1. HQ: the key the admin pinned by fingerprint, self-signed.
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq_claim, DecodeCertificate(f.hq_certificate.body));
  if (!crypto::MatchesFingerprint(hq_claim.signing_key, hq_fingerprint)) {
    return Status::Unauthenticated("--hq-fingerprint: " + std::string(hq_fingerprint) +
                                   " does not match the HQ key in the certificate file (" +
                                   crypto::Fingerprint(hq_claim.signing_key) +
                                   "); do not install it, and ask HQ for the fingerprint again");
  }
  crypto::VerifyKey hq_key(hq_claim.signing_key);
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq, OpenCertificate(f.hq_certificate, hq_key));
  if (hq.role != Role::kHq || hq.signing_key != hq.hq_signing_key) {
    return Status::Unauthenticated("HQ certificate: not a self-signed HQ certificate");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto pinned, LoadHqCertificate(store));
  if (pinned && pinned->signing_key != hq.signing_key) {
    return Status::Unauthenticated("HQ certificate: this node already trusts HQ key " +
                                   crypto::Fingerprint(pinned->signing_key) +
                                   "; a certificate from another HQ is refused");
  }
  // 2. The node's certificate, signed by that HQ.
  auto cert_or = OpenCertificate(f.certificate, hq_key);
  if (!cert_or.ok()) {
    return cert_or.status().WithContext("node certificate (must be signed by the pinned HQ)");
  }
  Certificate cert = std::move(*cert_or);
  const Identity& me = store.identity();
  if (cert.node_id != me.id) {
    return Status::InvalidArgument("certificate.nodeId: " + UuidToString(cert.node_id) +
                                   " is not this node (" + UuidToString(me.id) + ")");
  }
  if (cert.role != me.role || cert.site != me.site) {
    return Status::InvalidArgument("certificate: role " + std::string(RoleName(cert.role)) +
                                   " at " + cert.site + " does not match this node (" +
                                   std::string(RoleName(me.role)) + " at " + me.site + ")");
  }
  int64_t now = store.clock().NowMicros();
  if (now > cert.valid_until || now > hq.valid_until) {
    return Status::PermissionDenied("certificate: expired at " +
                                    FormatUtcMicros(std::min(cert.valid_until, hq.valid_until)));
  }
  if (now + 5 * 60 * 1000000LL < cert.valid_from) {
    return Status::PermissionDenied("certificate: not valid before " +
                                    FormatUtcMicros(cert.valid_from) +
                                    " (is this node's clock right?)");
  }
  // 3. For which of our keys?
  OUTPOST_ASSIGN_OR_RETURN(PublicKeys cur, LoadPublicKeys(store));
  OUTPOST_ASSIGN_OR_RETURN(auto next_s, GetKeyState(store.db(), "next_signing_public"));
  OUTPOST_ASSIGN_OR_RETURN(auto next_k, GetKeyState(store.db(), "next_kx_public"));
  bool for_current = cert.signing_key == cur.signing && cert.kx_key == cur.kx;
  bool for_next =
      next_s && next_k && ToBytes(cert.signing_key) == *next_s && ToBytes(cert.kx_key) == *next_k;
  if (!for_current && !for_next) {
    return Status::InvalidArgument(
        "certificate.signingKey: " + crypto::Fingerprint(cert.signing_key) +
        " is not a key this node holds (current " + crypto::Fingerprint(cur.signing) + ")");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store.db()));
  Db& db = store.db();
  OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "certificate", EncodeEnvelope(f.certificate)));
  OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "hq_certificate", EncodeEnvelope(f.hq_certificate)));
  if (for_next) {
    OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "signing_public", cert.signing_key));
    OUTPOST_RETURN_IF_ERROR(PutKeyState(db, "kx_public", cert.kx_key));
    OUTPOST_RETURN_IF_ERROR(internal::DeleteKeyState(db, "next_signing_public"));
    OUTPOST_RETURN_IF_ERROR(internal::DeleteKeyState(db, "next_kx_public"));
    OUTPOST_RETURN_IF_ERROR(internal::DeleteKeyState(db, "rotation_statement"));
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  if (for_next) {
    // Make the new keys current: the rename is atomic (the old sealed file
    // is unlinked by it), so the node has its old or its new key file, never
    // neither. A crash between the commit and the rename leaves key_state
    // naming the keys still in node.key.next: UnlockNodeKeys finishes it.
    OUTPOST_RETURN_IF_ERROR(PromoteNextKeyFile(store.dir()));
  }
  return Installed{std::move(cert), std::move(hq), for_next};
}

// ---- Revoke ----------------------------------------------------------------

Result<Revocation> RevokeNode(Store& hq, const crypto::NodeSecrets& hq_keys,
                              const sync::NodeId& node, std::string reason) {
  OUTPOST_RETURN_IF_ERROR(RequireRole(hq, Role::kHq, "revoking a node"));
  OUTPOST_RETURN_IF_ERROR(CheckKeysMatch(hq, hq_keys));
  if (reason.empty() || reason.size() > 200) {
    return Status::InvalidArgument("--reason: must be 1 to 200 bytes");
  }
  if (node == hq.identity().id) {
    return Status::InvalidArgument("NODE: HQ cannot revoke itself");
  }
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq_cert, RequireHq(hq));
  OUTPOST_ASSIGN_OR_RETURN(
      auto existing,
      internal::LoadTrustedNode(hq.db(), crypto::VerifyKey(hq_cert.signing_key), node));
  if (!existing) return Status::NotFound("node " + UuidToString(node) + " is not enrolled");
  if (existing->revocation) {
    return Status::AlreadyExists("node " + UuidToString(node) + " was already revoked at " +
                                 FormatUtcMicros(existing->revocation->time));
  }
  Revocation rev;
  rev.node_id = node;
  rev.epoch = existing->cert.epoch;
  rev.reason = std::move(reason);
  rev.time = hq.clock().NowMicros();
  Envelope env = SignRevocation(rev, hq_keys.signing);
  std::vector<sync::ColumnValue> cols = {
      Col(reg::kStatus, std::string("revoked")),
      Col(reg::kRevokedAt, rev.time),
      Col(reg::kReason, rev.reason),
      Col(reg::kRevocation, EncodeEnvelope(env)),
  };
  OUTPOST_ASSIGN_OR_RETURN(auto writer, hq.replica().BeginWrite());
  OUTPOST_RETURN_IF_ERROR(writer->Update(RegistryTable(hq), node, cols));
  OUTPOST_RETURN_IF_ERROR(writer->Commit());
  OUTPOST_RETURN_IF_ERROR(SignOwnBatches(hq, hq_keys));
  return rev;
}

// ---- Rotate ----------------------------------------------------------------

Result<Bytes> RotateKeys(Store& store, const crypto::NodeSecrets& current,
                         std::string_view passphrase, Random& random,
                         const crypto::PwhashParams& pwhash) {
  if (store.identity().role == Role::kHq) {
    return Status::FailedPrecondition(
        "HQ's key is pinned by every site; rotating it is a re-enrollment of the network "
        "(docs/keys.md, \"HQ key\"), not `keys rotate`");
  }
  OUTPOST_RETURN_IF_ERROR(CheckKeysMatch(store, current));
  OUTPOST_ASSIGN_OR_RETURN(auto cert, LoadOwnCertificate(store));
  if (!cert) {
    return Status::FailedPrecondition(
        "this node has no certificate yet: enroll first (`outpost keys request`)");
  }
  // A pending rotation is resumed, never replaced: HQ may have certified
  // its keys already (a cut before the answer arrived), and new keys would
  // then have no way to a certificate.
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq, RequireHq(store));
  OUTPOST_ASSIGN_OR_RETURN(auto pending, PendingRotation(store));
  std::error_code ec;
  std::optional<crypto::NodeSecrets> next;
  RotationStatement rot;
  if (pending && fs::exists(NextKeyFilePath(store.dir()), ec)) {
    OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(*pending));
    OUTPOST_ASSIGN_OR_RETURN(rot, DecodeRotation(env.body));
    if (!rot.kx_proof.empty()) return *pending;
    // Made before statements carried a kx proof: the same keys, proved.
    OUTPOST_ASSIGN_OR_RETURN(next, ReadKeyFile(NextKeyFilePath(store.dir()), passphrase));
  } else {
    next = GenerateNodeSecrets(random);
    OUTPOST_RETURN_IF_ERROR(
        WriteKeyFile(NextKeyFilePath(store.dir()), *next, passphrase, pwhash, /*overwrite=*/true));
    rot.node_id = store.identity().id;
    rot.old_epoch = cert->epoch;
    rot.new_signing_key = next->signing.PublicKey().bytes();
    rot.new_kx_key = next->kx.PublicKey();
    rot.time = store.clock().NowMicros();
  }
  OUTPOST_ASSIGN_OR_RETURN(rot.kx_proof, RotationKxProof(rot, next->kx, hq.kx_key));
  Bytes statement = EncodeEnvelope(SignRotation(rot, current.signing, next->signing));
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store.db()));
  OUTPOST_RETURN_IF_ERROR(
      PutKeyState(store.db(), "next_signing_public", next->signing.PublicKey().bytes()));
  OUTPOST_RETURN_IF_ERROR(PutKeyState(store.db(), "next_kx_public", next->kx.PublicKey()));
  OUTPOST_RETURN_IF_ERROR(PutKeyState(store.db(), "rotation_statement", statement));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return statement;
}

Result<std::optional<Bytes>> PendingRotation(Store& store) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  return GetKeyState(store.db(), "rotation_statement");
}

Result<Issued> IssueRotation(Store& hq, const crypto::NodeSecrets& hq_keys,
                             const sync::NodeId& peer, std::span<const uint8_t> statement,
                             int64_t rotation_grace_micros) {
  OUTPOST_RETURN_IF_ERROR(RequireRole(hq, Role::kHq, "certifying a rotation"));
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq_cert, RequireHq(hq));
  const crypto::VerifyKey hq_key(hq_cert.signing_key);
  OUTPOST_ASSIGN_OR_RETURN(Envelope env, DecodeEnvelope(statement));
  if (env.kind != kKindRotation) {
    return Status::InvalidArgument("rotate.statement: a \"" + env.kind +
                                   "\" document, not a rotation statement");
  }
  OUTPOST_ASSIGN_OR_RETURN(RotationStatement unverified, DecodeRotation(env.body));
  if (unverified.node_id != peer) {
    return Status::PermissionDenied("rotation.nodeId: " + UuidToString(unverified.node_id) +
                                    " is not the authenticated peer " + UuidToString(peer));
  }
  OUTPOST_ASSIGN_OR_RETURN(auto existing, internal::LoadTrustedNode(hq.db(), hq_key, peer));
  if (!existing) {
    return Status::NotFound("rotation for node " + UuidToString(peer) +
                            ", which is not enrolled here");
  }
  if (existing->revocation) {
    return Status::PermissionDenied("node " + UuidToString(peer) +
                                    " is revoked; its rotation is refused");
  }
  const Certificate& cur = existing->cert;
  if (cur.epoch == unverified.old_epoch + 1 && existing->prev &&
      existing->prev->epoch == unverified.old_epoch &&
      cur.signing_key == unverified.new_signing_key && cur.kx_key == unverified.new_kx_key) {
    // Already certified: the answer the peer did not receive, again.
    OUTPOST_RETURN_IF_ERROR(
        OpenRotation(env, crypto::VerifyKey(existing->prev->signing_key)).status());
    OUTPOST_ASSIGN_OR_RETURN(auto row, internal::ReadRegistryRow(hq.db(), peer));
    if (!row) return Status::Internal("registry row vanished during rotation");
    OUTPOST_ASSIGN_OR_RETURN(Envelope cert_env, DecodeEnvelope(row->certificate));
    OUTPOST_ASSIGN_OR_RETURN(auto hq_env_bytes, GetKeyState(hq.db(), "hq_certificate"));
    OUTPOST_ASSIGN_OR_RETURN(Envelope hq_env, DecodeEnvelope(*hq_env_bytes));
    Issued out;
    out.certificate = cur;
    out.certificate_file = EncodeCertificateFile(CertificateFile{cert_env, hq_env});
    return out;
  }
  EnrollOptions options;
  options.rotation_grace_micros = rotation_grace_micros;
  const int64_t days = (cur.valid_until - cur.valid_from) / kMicrosPerDay;
  options.valid_days = static_cast<int>(std::clamp<int64_t>(days, 1, 3650));
  return Enroll(hq, hq_keys, statement, options);
}

Result<Installed> CompleteRotation(Store& store, std::span<const uint8_t> certificate_file) {
  OUTPOST_ASSIGN_OR_RETURN(auto pending, PendingRotation(store));
  OUTPOST_ASSIGN_OR_RETURN(auto next_s, GetKeyState(store.db(), "next_signing_public"));
  if (!pending || !next_s) {
    return Status::FailedPrecondition("no key rotation is pending on this node");
  }
  OUTPOST_ASSIGN_OR_RETURN(Certificate hq, RequireHq(store));
  OUTPOST_ASSIGN_OR_RETURN(CertificateFile f, DecodeCertificateFile(certificate_file));
  OUTPOST_ASSIGN_OR_RETURN(Certificate unverified, DecodeCertificate(f.certificate.body));
  if (ToBytes(unverified.signing_key) != *next_s) {
    return Status::InvalidArgument(
        "certificate.signingKey: " + crypto::Fingerprint(unverified.signing_key) +
        " is not the key of the pending rotation");
  }
  OUTPOST_ASSIGN_OR_RETURN(Installed inst, InstallCertificate(store, certificate_file,
                                                              crypto::Fingerprint(hq.signing_key)));
  if (!inst.rotated) {
    return Status::Internal("certificate for the pending keys was not installed as a rotation");
  }
  return inst;
}

Result<UnlockedKeys> UnlockNodeKeys(Store& store, std::string_view passphrase) {
  OUTPOST_ASSIGN_OR_RETURN(PublicKeys pub, LoadPublicKeys(store));
  const std::string dir = store.dir();
  std::error_code ec;
  const bool has_next = fs::exists(NextKeyFilePath(dir), ec);
  OUTPOST_ASSIGN_OR_RETURN(crypto::NodeSecrets current, ReadKeyFile(KeyFilePath(dir), passphrase));
  std::optional<crypto::NodeSecrets> next;
  if (has_next) {
    OUTPOST_ASSIGN_OR_RETURN(next, ReadKeyFile(NextKeyFilePath(dir), passphrase));
  }
  if (!SameKeys(current, pub)) {
    if (next && SameKeys(*next, pub)) {
      // The certificate of the rotation was installed; the rename was not.
      OUTPOST_RETURN_IF_ERROR(PromoteNextKeyFile(dir));
      return UnlockedKeys{std::move(*next), std::nullopt};
    }
    return Status::FailedPrecondition(KeyFilePath(dir) +
                                      " does not hold this node's current keys (key_state says " +
                                      crypto::Fingerprint(pub.signing) + ")");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto next_s, GetKeyState(store.db(), "next_signing_public"));
  if (next && (!next_s || ToBytes(next->signing.PublicKey().bytes()) != *next_s)) {
    next.reset();  // a stale file no rotation refers to: not used
  }
  return UnlockedKeys{std::move(current), std::move(next)};
}

// ---- Listing ---------------------------------------------------------------

Result<std::vector<RegistryEntry>> ListRegistry(Store& store) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      store.db().Prepare("SELECT r.id, r.name, r.role, r.site, r.signing_key, r.kx_key, r.epoch, "
                         "r.valid_from, r.valid_until, r.status, r.revoked_at, r.reason, "
                         "r.prev_valid_until, s.hlc FROM live_node_registry r "
                         "LEFT JOIN node_seen s ON s.node = r.id ORDER BY r.role, r.name, r.id"));
  std::vector<RegistryEntry> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    RegistryEntry e;
    auto id = st->Blob(0);
    auto sk = st->Blob(4);
    auto kk = st->Blob(5);
    if (id.size() != 16 || sk.size() != 32 || kk.size() != 32) {
      return Status::Corruption("node_registry: a row has a malformed id or key");
    }
    std::copy(id.begin(), id.end(), e.id.begin());
    e.name = std::string(st->Text(1));
    e.role = st->Text(2) == "hq" ? Role::kHq : Role::kSite;
    e.site = std::string(st->Text(3));
    std::copy(sk.begin(), sk.end(), e.signing_key.begin());
    std::copy(kk.begin(), kk.end(), e.kx_key.begin());
    e.epoch = static_cast<uint32_t>(st->Int(6));
    e.valid_from = st->Int(7);
    e.valid_until = st->Int(8);
    e.revoked = st->Text(9) == "revoked";
    if (!st->IsNull(10)) e.revoked_at = st->Int(10);
    e.reason = std::string(st->Text(11));
    if (!st->IsNull(12)) e.prev_valid_until = st->Int(12);
    if (!st->IsNull(13)) e.last_seen = st->Int(13);
    out.push_back(std::move(e));
  }
  return out;
}

std::string NodeDisplayName(Store& store, const sync::NodeId& id) {
  auto entries = ListRegistry(store);
  if (entries.ok()) {
    for (const auto& e : *entries) {
      if (e.id == id) return e.name;
    }
  }
  return UuidToString(id);
}

Result<sync::NodeId> FindNode(Store& store, std::string_view id_or_name) {
  OUTPOST_ASSIGN_OR_RETURN(auto all, ListRegistry(store));
  if (auto id = ParseUuid(id_or_name); id.ok()) {
    for (const auto& e : all) {
      if (e.id == *id) return e.id;
    }
    return Status::NotFound("NODE: no node " + std::string(id_or_name) + " in the registry");
  }
  std::optional<sync::NodeId> found;
  for (const auto& e : all) {
    if (e.name == id_or_name) {
      if (found) {
        return Status::InvalidArgument("NODE: \"" + std::string(id_or_name) +
                                       "\" names several nodes; give the node id");
      }
      found = e.id;
    }
  }
  if (!found) {
    return Status::NotFound("NODE: no node named \"" + std::string(id_or_name) +
                            "\" in the registry (see `outpost keys list`)");
  }
  return *found;
}

}  // namespace outpost::node
