#include "node/sync_service.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "base/file.h"
#include "node/registry.h"
#include "node/registry_internal.h"

namespace outpost::node {
namespace {

constexpr const char* kSyncLogSql = R"sql(
  CREATE TABLE IF NOT EXISTS sync_log(
    id INTEGER PRIMARY KEY,
    direction TEXT NOT NULL,
    peer BLOB,
    address TEXT NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT NOT NULL,
    batches_sent INTEGER NOT NULL,
    batches_received INTEGER NOT NULL,
    bytes_out INTEGER NOT NULL,
    bytes_in INTEGER NOT NULL,
    column_changes INTEGER NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    last_refusal TEXT NOT NULL DEFAULT ''))sql";

// For FailingSince and status's last attempt per address: status runs
// them per peer, and the daemon every poll, over up to kSyncLogKeep rows.
constexpr const char* kSyncLogIndexSql = R"sql(
  CREATE INDEX IF NOT EXISTS sync_log_by_peer ON sync_log(peer, id);
  CREATE INDEX IF NOT EXISTS sync_log_by_address ON sync_log(address, id))sql";

// Keeps the log bounded: the newest this many entries.
constexpr int64_t kSyncLogKeep = 10'000;

constexpr const char* kSyncRefusedSql = R"sql(
  CREATE TABLE IF NOT EXISTS sync_refused(
    address TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_error TEXT NOT NULL))sql";
// Unproven connections: the most recently seen this many addresses are kept;
// counts are written at most once a kRefusedFlushMicros; at most
// kRefusedPendingMax addresses are counted between two writes (the rest
// under "(other addresses)").
constexpr int64_t kRefusedKeep = 1000;
constexpr int64_t kRefusedFlushMicros = 1'000'000;
constexpr size_t kRefusedPendingMax = 1000;
constexpr size_t kRefusedErrorMax = 300;

Result<crypto::NodeSecrets> CopySecrets(const crypto::NodeSecrets& keys) {
  crypto::SecretBytes blob = crypto::SerializeNodeSecrets(keys);
  return crypto::ParseNodeSecrets(blob.span());
}

void FillFromStats(TransferRecord& t, const sync::SessionStats& s) {
  t.batches_sent = s.batches_sent;
  t.batches_received = s.batches_received;
  t.bytes_out = s.bytes_out;
  t.bytes_in = s.bytes_in;
  t.column_changes = s.column_changes;
  t.refused = s.refused;
  t.last_refusal = s.last_refusal;
}

// When the current run of failures with a peer began: the first failed
// transfer after the last successful one, matched by the address dialled or
// by the peer's id. 0 if the log has none.
Result<int64_t> FailingSince(Db& db, const std::string& address,
                             const std::optional<sync::NodeId>& peer) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("WITH m AS (SELECT id, started, ok FROM sync_log WHERE "
                         "(direction = 'out' AND ?1 <> '' AND address = ?1) OR peer = ?2) "
                         "SELECT coalesce(min(started), 0) FROM m WHERE ok = 0 AND id > "
                         "(SELECT coalesce(max(id), 0) FROM m WHERE ok = 1)"));
  st->Bind(1, std::string_view(address));
  if (peer) {
    st->BindBlob(2, *peer);
  } else {
    st->BindNull(2);
  }
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : 0;
}

}  // namespace

SyncService::~SyncService() { StopServing(); }

Result<SyncService::Handle> SyncService::OpenHandle(const std::string& dir,
                                                    const crypto::NodeSecrets& keys, Clock& clock,
                                                    Random& random, const TrustOptions& trust) {
  Handle h;
  OUTPOST_ASSIGN_OR_RETURN(h.store, Store::Open(dir, clock, random));
  OUTPOST_RETURN_IF_ERROR(h.store->db().Exec(kSyncLogSql));
  OUTPOST_RETURN_IF_ERROR(h.store->db().Exec(kSyncLogIndexSql));
  OUTPOST_RETURN_IF_ERROR(h.store->db().Exec(kSyncRefusedSql));
  OUTPOST_ASSIGN_OR_RETURN(crypto::NodeSecrets copy, CopySecrets(keys));
  OUTPOST_ASSIGN_OR_RETURN(h.policy, TrustPolicy::Create(*h.store, std::move(copy), trust));
  OUTPOST_ASSIGN_OR_RETURN(h.ledger, sync::PeerLedger::Open(h.store->db()));
  return h;
}

Result<std::unique_ptr<SyncService>> SyncService::Open(const std::string& dir,
                                                       const crypto::NodeSecrets& keys,
                                                       Clock& clock, Random& random,
                                                       SyncServiceOptions options) {
  std::unique_ptr<SyncService> s(new SyncService(clock, random, std::move(options)));
  OUTPOST_ASSIGN_OR_RETURN(s->client_, OpenHandle(dir, keys, clock, random, s->options_.trust));
  OUTPOST_ASSIGN_OR_RETURN(s->server_, OpenHandle(dir, keys, clock, random, s->options_.trust));
  s->kx_ = keys.kx.Clone();
  return s;
}

Status SyncService::LogTransfer(Store& store, TransferRecord& t) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("INSERT INTO sync_log(direction, peer, address, started, "
                                 "finished, ok, error, batches_sent, batches_received, "
                                 "bytes_out, bytes_in, column_changes, refused, last_refusal) "
                                 "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  st->Bind(1, std::string_view(t.direction));
  if (t.peer) {
    st->BindBlob(2, *t.peer);
  } else {
    st->BindNull(2);
  }
  st->Bind(3, std::string_view(t.address)).Bind(4, t.started).Bind(5, t.finished);
  st->Bind(6, int64_t{t.ok ? 1 : 0}).Bind(7, std::string_view(t.error));
  st->Bind(8, static_cast<int64_t>(t.batches_sent))
      .Bind(9, static_cast<int64_t>(t.batches_received));
  st->Bind(10, static_cast<int64_t>(t.bytes_out)).Bind(11, static_cast<int64_t>(t.bytes_in));
  st->Bind(12, static_cast<int64_t>(t.column_changes));
  st->Bind(13, static_cast<int64_t>(t.refused)).Bind(14, std::string_view(t.last_refusal));
  OUTPOST_RETURN_IF_ERROR(st->Run());
  OUTPOST_ASSIGN_OR_RETURN(t.id, store.db().QueryInt("SELECT last_insert_rowid()"));
  if (t.id % 1000 == 0) {
    OUTPOST_RETURN_IF_ERROR(
        store.db().Exec("DELETE FROM sync_log WHERE id <= " + std::to_string(t.id - kSyncLogKeep)));
  }
  return Status::Ok();
}

Status SyncService::LockDataDir() {
  if (daemon_lock_) return Status::Ok();
  const std::string& dir = client_.store->dir();
  auto lock = FileLock::Acquire(dir + "/outpost.lock");
  if (!lock.ok()) {
    if (lock.status().code() != Code::kFailedPrecondition) return lock.status();
    return Status::FailedPrecondition(
        "data directory " + dir +
        " is in use by another daemon (`outpost serve` or `outpost run`): " +
        lock.status().message() + "; stop that one first");
  }
  daemon_lock_ = std::move(*lock);
  return Status::Ok();
}

Status SyncService::Serve(const std::string& listen) {
  if (server_loop_) return Status::FailedPrecondition("already serving");
  OUTPOST_RETURN_IF_ERROR(LockDataDir());
  listen_ = listen;
  Handle* h = &server_;
  Clock* clock = &clock_;
  Random* random = &random_;
  const crypto::KxKeyPair* kx = &*kx_;
  sync::SessionOptions session_options = options_.session;
  sync::LogSink log = options_.log;
  sync::SessionFactory factory = [this, h, clock, random, kx, session_options,
                                  log](const std::string& address) -> Result<sync::HostedSession> {
    sync::SessionEnv env{&h->store->replica(), h->policy.get(), h->ledger.get(), clock, random};
    OUTPOST_ASSIGN_OR_RETURN(
        auto session, sync::Session::Create(sync::SessionRole::kResponder, env, *kx, std::nullopt,
                                            session_options));
    sync::HostedSession hosted;
    hosted.session = std::move(session);
    hosted.describe_peer = [h](const sync::Session& s) {
      return s.peer() ? NodeDisplayName(*h->store, *s.peer()) : std::string("?");
    };
    int64_t started = clock->NowMicros();
    hosted.on_finish = [this, h, clock, started, log, address](const Status& s,
                                                               const sync::Session& session) {
      if (!s.ok() && !session.peer_proven()) {
        // Not a transfer: nobody proved who they are (transport.h).
        NoteRefused(*h->store, address, s.ToString());
        return;
      }
      if (log && !session.stats().rotation.empty() && session.peer()) {
        log("key rotation presented by " + UuidToString(*session.peer()) + ": " +
            session.stats().rotation);
      }
      TransferRecord t;
      t.direction = "in";
      t.peer = session.peer();
      t.address = address;
      t.started = started;
      t.finished = clock->NowMicros();
      t.ok = s.ok();
      t.error = s.ok() ? "" : s.ToString();
      FillFromStats(t, session.stats());
      (void)LogTransfer(*h->store, t);
    };
    return hosted;
  };
  OUTPOST_ASSIGN_OR_RETURN(
      server_loop_, sync::Server::Start(listen, std::move(factory), options_.limits, options_.log));
  return Status::Ok();
}

void SyncService::NoteRefused(Store& store, const std::string& address, const std::string& error) {
  std::lock_guard<std::mutex> lock(refused_mu_);
  int64_t now = clock_.NowMicros();
  std::string key = address;
  if (refused_pending_.size() >= kRefusedPendingMax && refused_pending_.count(key) == 0) {
    key = "(other addresses)";
  }
  RefusedConnection& r = refused_pending_[key];
  if (r.count == 0) {
    r.address = key;
    r.first_seen = now;
  }
  ++r.count;
  r.last_seen = now;
  r.last_error = error.substr(0, kRefusedErrorMax);
  if (now - refused_flushed_ >= kRefusedFlushMicros) (void)FlushRefused(store);
}

Status SyncService::FlushRefused(Store& store) {
  refused_flushed_ = clock_.NowMicros();
  if (refused_pending_.empty()) return Status::Ok();
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("INSERT INTO sync_refused(address, first_seen, last_seen, count, "
                                 "last_error) VALUES(?,?,?,?,?) ON CONFLICT(address) DO UPDATE SET "
                                 "last_seen = excluded.last_seen, count = count + excluded.count, "
                                 "last_error = excluded.last_error"));
  for (const auto& [address, r] : refused_pending_) {
    st->Bind(1, std::string_view(r.address)).Bind(2, r.first_seen).Bind(3, r.last_seen);
    st->Bind(4, static_cast<int64_t>(r.count)).Bind(5, std::string_view(r.last_error));
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(
      "DELETE FROM sync_refused WHERE address NOT IN (SELECT address FROM sync_refused ORDER BY "
      "last_seen DESC LIMIT " +
      std::to_string(kRefusedKeep) + ")"));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  refused_pending_.clear();
  return Status::Ok();
}

Result<std::vector<RefusedConnection>> SyncService::RefusedConnections() {
  std::lock_guard<std::mutex> lock(refused_mu_);
  OUTPOST_ASSIGN_OR_RETURN(auto stored, ListRefusedConnections(*client_.store));
  std::map<std::string, RefusedConnection> all;
  for (auto& r : stored) all[r.address] = std::move(r);
  for (const auto& [address, p] : refused_pending_) {
    RefusedConnection& r = all[address];
    if (r.count == 0) {
      r = p;
      continue;
    }
    r.count += p.count;
    r.last_seen = p.last_seen;
    r.last_error = p.last_error;
  }
  std::vector<RefusedConnection> out;
  for (auto& [address, r] : all) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const RefusedConnection& a, const RefusedConnection& b) {
    return a.last_seen > b.last_seen;
  });
  return out;
}

Status SyncService::SetNextKeys(const crypto::NodeSecrets& next) {
  OUTPOST_ASSIGN_OR_RETURN(crypto::NodeSecrets copy, CopySecrets(next));
  return client_.policy->SetNextKeys(std::move(copy));
}

Status SyncService::SwitchToRotatedKeys() {
  const crypto::NodeSecrets& now = client_.policy->keys();
  std::string listen;
  if (server_loop_) {
    // The server's thread owns server_ while it runs: stop it first.
    // Same port, even if the first Serve asked for any free one.
    auto at = sync::ParseHostPort(listen_);
    const std::string host =
        at.ok() ? (at->first.find(':') != std::string::npos ? "[" + at->first + "]" : at->first)
                : "";
    listen = at.ok() ? host + ":" + std::to_string(server_loop_->port()) : listen_;
    StopServing();
  }
  OUTPOST_ASSIGN_OR_RETURN(crypto::NodeSecrets copy, CopySecrets(now));
  OUTPOST_ASSIGN_OR_RETURN(server_.policy,
                           TrustPolicy::Create(*server_.store, std::move(copy), options_.trust));
  kx_ = now.kx.Clone();
  if (!listen.empty()) return Serve(listen);
  return Status::Ok();
}

uint16_t SyncService::port() const { return server_loop_ ? server_loop_->port() : 0; }

void SyncService::StopServing() {
  if (!server_loop_) return;
  server_loop_.reset();  // joins the server thread: server_ is this thread's now
  std::lock_guard<std::mutex> lock(refused_mu_);
  if (server_.store) (void)FlushRefused(*server_.store);
}

const sync::ServerCounters* SyncService::server_counters() const {
  return server_loop_ ? &server_loop_->counters() : nullptr;
}

Status SyncService::AddPeer(const std::string& name, const std::string& address) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return Status::InvalidArgument("peer name \"" + name +
                                   "\": 1-64 letters, digits, '.', '_' or '-'");
  }
  OUTPOST_RETURN_IF_ERROR(sync::ParseHostPort(address).status());
  return client_.ledger->AddAddress(name, address);
}

Result<std::vector<SyncTarget>> SyncService::Targets() {
  std::vector<SyncTarget> out;
  OUTPOST_ASSIGN_OR_RETURN(auto book, client_.ledger->Addresses());
  for (auto& [name, address] : book) out.push_back({name, address});
  const Certificate& hq = client_.policy->hq();
  bool is_hq = client_.store->identity().role == Role::kHq;
  // HQ's address from the certificate, unless the address book names HQ
  // ("hq") or already has that address: an admin's entry wins.
  if (!is_hq && !hq.hq_address.empty() &&
      std::none_of(out.begin(), out.end(), [&](const SyncTarget& t) {
        return t.address == hq.hq_address || t.name == "hq";
      })) {
    out.push_back({"hq", hq.hq_address});
  }
  return out;
}

Result<std::optional<crypto::PublicKeyBytes>> SyncService::PinFor(const std::string& address,
                                                                  const std::string& name) {
  const Certificate& hq = client_.policy->hq();
  if (client_.store->identity().role != Role::kHq && !hq.hq_address.empty() &&
      address == hq.hq_address) {
    return std::optional<crypto::PublicKeyBytes>(hq.kx_key);
  }
  if (name.empty()) return std::optional<crypto::PublicKeyBytes>();
  // The address-book name "hq" means HQ, whose key is pinned.
  if (name == "hq" && client_.store->identity().role != Role::kHq) {
    return std::optional<crypto::PublicKeyBytes>(hq.kx_key);
  }
  OUTPOST_ASSIGN_OR_RETURN(auto peers, client_.ledger->List());
  for (const auto& p : peers) {
    if (p.name != name || p.id == sync::NodeId{}) continue;
    if (p.id == hq.node_id) return std::optional<crypto::PublicKeyBytes>(hq.kx_key);
    OUTPOST_ASSIGN_OR_RETURN(auto entries, ListRegistry(*client_.store));
    for (const auto& e : entries) {
      if (e.id == p.id && !e.revoked) return std::optional<crypto::PublicKeyBytes>(e.kx_key);
    }
  }
  return std::optional<crypto::PublicKeyBytes>();
}

Result<TransferRecord> SyncService::SyncWith(const std::string& peer) {
  std::string name, address = peer;
  OUTPOST_ASSIGN_OR_RETURN(auto book, client_.ledger->Addresses());
  for (auto& [n, a] : book) {
    if (n == peer) {
      name = n;
      address = a;
    } else if (a == peer) {
      name = n;
    }
  }
  // "hq" with no address-book entry: HQ at the address its certificate
  // gives (what the daemon dials after `keys install`, with no `peers add`).
  const Certificate& hq_cert = client_.policy->hq();
  if (name.empty() && peer == "hq" && client_.store->identity().role != Role::kHq &&
      !hq_cert.hq_address.empty()) {
    address = hq_cert.hq_address;
  }
  TransferRecord t;
  t.direction = "out";
  t.address = address;
  t.started = clock_.NowMicros();
  // A failure before any session (a name or address that does not resolve)
  // is a transfer that failed too: logged, so `transfers` and `status` show it.
  auto fail_early = [&](Status s) -> Status {
    t.finished = clock_.NowMicros();
    t.error = s.ToString();
    (void)LogTransfer(*client_.store, t);
    return s.WithContext("sync with " + peer);
  };
  if (name.empty() && address.find(':') == std::string::npos) {
    return fail_early(Status::NotFound("peer \"" + peer +
                                       "\": no such peer name (add it with `outpost peers add NAME "
                                       "HOST:PORT`) and not a HOST:PORT address"));
  }
  if (Status s = sync::ParseHostPort(address).status(); !s.ok()) return fail_early(s);
  OUTPOST_ASSIGN_OR_RETURN(auto pin, PinFor(address, name));

  sync::SessionEnv env{&client_.store->replica(), client_.policy.get(), client_.ledger.get(),
                       &clock_, &random_};
  sync::SessionOptions session_options = options_.session;
  session_options.peer_label = address;
  OUTPOST_ASSIGN_OR_RETURN(auto session, sync::Session::Create(sync::SessionRole::kInitiator, env,
                                                               *kx_, pin, session_options));
  t.started = clock_.NowMicros();
  auto result = sync::RunClient(address, *session, options_.limits, options_.log);
  t.finished = clock_.NowMicros();
  t.peer = session->peer();
  FillFromStats(t, session->stats());
  t.rotation = session->stats().rotation;
  t.ok = result.ok();
  if (!result.ok()) t.error = result.status().ToString();
  if (client_.policy->rotated() && client_.policy->keys().kx.PublicKey() != kx_->PublicKey()) {
    // The certificate for the new keys is installed (even if the session
    // failed afterwards): from now on this node is its new keys.
    t.rotated = true;
    Status s = SwitchToRotatedKeys();
    if (!s.ok()) t.rotation += "; switching the service to the new keys failed: " + s.ToString();
  }
  if (!t.rotation.empty() && options_.log) options_.log("key rotation: " + t.rotation);
  if (t.peer && !name.empty()) (void)client_.ledger->SetAddressPeer(name, *t.peer);
  if (!t.peer && !result.ok()) {
    // Never got as far as the handshake: charge the failure to the node we
    // meant to reach, when we know which one, so `status` shows it.
    std::optional<sync::NodeId> meant;
    if (pin && *pin == client_.policy->hq().kx_key) meant = client_.policy->hq().node_id;
    auto peers = client_.ledger->List();
    if (!meant && peers.ok() && !name.empty()) {
      for (const auto& p : *peers) {
        if (p.name == name && p.id != sync::NodeId{}) meant = p.id;
      }
    }
    if (meant) (void)client_.ledger->RecordError(*meant, t.finished, result.status().ToString());
  }
  OUTPOST_RETURN_IF_ERROR(LogTransfer(*client_.store, t));
  if (!result.ok()) return result.status().WithContext("sync with " + peer);
  return t;
}

sync::BundleEnv SyncService::ClientBundleEnv() {
  return {&client_.store->replica(),
          client_.policy.get(),
          client_.ledger.get(),
          &*kx_,
          &clock_,
          &random_};
}

Result<sync::BundleInfo> SyncService::ExportBundle(const std::string& to,
                                                   const std::string& out_path) {
  // HQ is known from its pinned certificate even before the registry came.
  const Certificate& hq = client_.policy->hq();
  sync::NodeId id{};
  std::optional<crypto::PublicKeyBytes> kx;
  if (to == "hq" || to == hq.name || to == UuidToString(hq.node_id)) {
    id = hq.node_id;
    kx = hq.kx_key;
  } else {
    OUTPOST_ASSIGN_OR_RETURN(id, FindNode(*client_.store, to));
    OUTPOST_ASSIGN_OR_RETURN(auto entries, ListRegistry(*client_.store));
    for (const auto& e : entries) {
      if (e.id != id) continue;
      if (e.revoked) return Status::PermissionDenied("--to: node \"" + to + "\" is revoked");
      kx = e.kx_key;
    }
  }
  if (id == client_.store->identity().id) {
    return Status::InvalidArgument("--to: \"" + to + "\" is this node");
  }
  if (!kx) return Status::NotFound("--to: node \"" + to + "\" has no certificate here");
  sync::BundleEnv env = ClientBundleEnv();
  TransferRecord t;
  t.direction = "bundle-export";
  t.peer = id;
  t.address = out_path;
  t.started = clock_.NowMicros();
  sync::BundleInfo info;
  OUTPOST_ASSIGN_OR_RETURN(
      Bytes file,
      sync::ExportBundle(env, id, *kx, &info,
                         std::min<uint64_t>(options_.max_bundle_bytes, sync::kMaxBundleBytes)));
  OUTPOST_RETURN_IF_ERROR(WriteFileAtomic(out_path, file, 0600).WithContext("--out"));
  t.finished = clock_.NowMicros();
  t.ok = true;
  t.batches_sent = info.batches;
  t.bytes_out = file.size();
  OUTPOST_RETURN_IF_ERROR(LogTransfer(*client_.store, t));
  return info;
}

Result<sync::BundleInfo> SyncService::ImportBundle(const std::string& path) {
  // The size is checked before anything is read (ReadFile stats first).
  const uint64_t cap = std::min<uint64_t>(options_.max_bundle_bytes, sync::kMaxBundleBytes);
  OUTPOST_ASSIGN_OR_RETURN(Bytes file, ReadFile(path, cap));
  sync::BundleEnv env = ClientBundleEnv();
  TransferRecord t;
  t.direction = "bundle-import";
  t.address = path;
  t.started = clock_.NowMicros();
  auto info = sync::ImportBundle(env, file);
  t.finished = clock_.NowMicros();
  t.ok = info.ok();
  t.bytes_in = file.size();
  if (info.ok()) {
    t.peer = info->from;
    t.batches_received = info->batches;
    t.column_changes = info->merge.column_changes;
    t.refused = info->merge.refused.size();
    if (!info->merge.refused.empty()) t.last_refusal = info->merge.refused.back().ToString();
  } else {
    t.error = info.status().ToString();
  }
  OUTPOST_RETURN_IF_ERROR(LogTransfer(*client_.store, t));
  if (!info.ok()) return info.status().WithContext(path);
  return info;
}

Result<std::vector<PeerStatus>> SyncService::PeerStatuses() {
  return ListPeerStatuses(*client_.store);
}

Result<std::vector<PeerStatus>> ListPeerStatuses(Store& store) {
  OUTPOST_RETURN_IF_ERROR(EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(auto ledger, sync::PeerLedger::Open(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(auto records, ledger->List());
  // Writes not sealed yet count as the batches they will make: this runs
  // without the node's key (outpost status), so it plans the seal, a read.
  OUTPOST_ASSIGN_OR_RETURN(sync::VersionVector mine, store.replica().VersionVectorIfSealed());
  OUTPOST_ASSIGN_OR_RETURN(auto registry, ListRegistry(store));
  OUTPOST_ASSIGN_OR_RETURN(std::optional<Certificate> hq, LoadHqCertificate(store));
  const sync::NodeId& self = store.identity().id;
  // What a node may read, by its certificate (no keys needed).
  OUTPOST_ASSIGN_OR_RETURN(std::optional<Certificate> own, LoadOwnCertificate(store));
  auto may_read = [&](const sync::NodeId& node, const std::string& scope) {
    if (!hq) return false;
    if (node == hq->node_id) return hq->MayRead(scope);
    if (node == self) return own && own->MayRead(scope);
    auto t = internal::LoadTrustedNode(store.db(), crypto::VerifyKey(hq->signing_key), node);
    return t.ok() && *t && !(*t)->revocation && (*t)->cert.MayRead(scope);
  };
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogSql));
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogIndexSql));
  // HQ: an enrolled node that never connected is a peer too (its lag is
  // everything it may read), so a crossing that never came shows.
  std::vector<sync::PeerRecord> never;
  if (store.identity().role == Role::kHq) {
    for (const auto& e : registry) {
      if (e.id == self || std::any_of(records.begin(), records.end(),
                                      [&](const sync::PeerRecord& r) { return r.id == e.id; })) {
        continue;
      }
      sync::PeerRecord r;
      r.id = e.id;
      never.push_back(std::move(r));
    }
  }
  const size_t reached = records.size();
  records.insert(records.end(), never.begin(), never.end());
  std::vector<PeerStatus> out;
  for (size_t i = 0; i < records.size(); ++i) {
    const sync::PeerRecord& r = records[i];
    PeerStatus p;
    p.never_connected = i >= reached;
    p.id = r.id;
    p.name = r.name;
    p.address = r.address;
    p.last_success = r.last_success_micros;
    p.last_attempt = r.last_attempt_micros;
    p.last_error = r.last_error;
    // HQ as reached through its certificate (no address-book entry): its
    // name and address come from the certificate until the registry came.
    if (store.identity().role != Role::kHq && hq && r.id == hq->node_id) {
      if (p.address.empty()) p.address = hq->hq_address;
      if (p.name.empty()) p.name = hq->name;
    }
    if (!p.last_error.empty()) {
      OUTPOST_ASSIGN_OR_RETURN(p.failing_since, FailingSince(store.db(), p.address, r.id));
    }
    if (r.id != sync::NodeId{}) {
      for (const auto& e : registry) {
        if (e.id != r.id) continue;
        if (p.name.empty()) p.name = e.name;
        if (e.revoked) p.revoked_at = e.revoked_at;
      }
      OUTPOST_ASSIGN_OR_RETURN(sync::VersionVector known, ledger->Known(r.id));
      for (const auto& [key, seq] : mine.seqs) {
        if (!may_read(r.id, key.second)) continue;
        uint64_t theirs = known.Get(key.first, key.second);
        if (seq > theirs) p.pending_out += static_cast<int64_t>(seq - theirs);
      }
      for (const auto& [key, seq] : known.seqs) {
        if (!may_read(self, key.second)) continue;
        uint64_t have = mine.Get(key.first, key.second);
        if (seq > have) p.pending_in += static_cast<int64_t>(seq - have);
      }
    }
    out.push_back(std::move(p));
  }
  // Addresses never reached (no peer id learnt yet): their last attempt and
  // error come from the transfer log, so a site that cannot reach HQ says so.
  OUTPOST_ASSIGN_OR_RETURN(auto book, ledger->Addresses());
  std::vector<std::pair<std::string, std::string>> unreached;
  for (const auto& [name, address] : book) {
    bool linked = std::any_of(out.begin(), out.end(), [&address = address](const PeerStatus& p) {
      return p.address == address;
    });
    if (!linked) unreached.emplace_back(name, address);
  }
  bool hq_unreached = store.identity().role != Role::kHq && hq && !hq->hq_address.empty() &&
                      std::none_of(out.begin(), out.end(),
                                   [&](const PeerStatus& p) { return p.id == hq->node_id; });
  if (hq_unreached) unreached.emplace_back("hq", hq->hq_address);
  for (const auto& [name, address] : unreached) {
    PeerStatus p;
    p.name = name;
    p.address = address;
    p.pending_out = -1;  // unknown: what the peer holds is learnt at the first contact
    if (hq_unreached && name == "hq" && address == hq->hq_address) {
      p.id = hq->node_id;
      p.pending_out = 0;  // HQ is known to hold nothing of ours yet
      for (const auto& [key, seq] : mine.seqs) {
        if (hq->MayRead(key.second)) p.pending_out += static_cast<int64_t>(seq);
      }
    }
    OUTPOST_ASSIGN_OR_RETURN(
        auto st, store.db().Cached("SELECT started, ok, error FROM sync_log WHERE direction = "
                                   "'out' AND address = ? ORDER BY id DESC LIMIT 1"));
    st->Bind(1, std::string_view(address));
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) {
      p.last_attempt = st->Int(0);
      if (st->Int(1) != 0) p.last_success = st->Int(0);
      p.last_error = std::string(st->Text(2));
    }
    if (!p.last_error.empty()) {
      OUTPOST_ASSIGN_OR_RETURN(p.failing_since, FailingSince(store.db(), address, std::nullopt));
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<TransferRecord>> SyncService::Transfers(int64_t limit) {
  return ListTransfers(*client_.store, limit);
}

Result<std::vector<RefusedConnection>> ListRefusedConnections(Store& store) {
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncRefusedSql));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("SELECT address, first_seen, last_seen, count, last_error "
                                 "FROM sync_refused ORDER BY last_seen DESC, address"));
  std::vector<RefusedConnection> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    RefusedConnection r;
    r.address = std::string(st->Text(0));
    r.first_seen = st->Int(1);
    r.last_seen = st->Int(2);
    r.count = static_cast<uint64_t>(st->Int(3));
    r.last_error = std::string(st->Text(4));
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

constexpr const char* kTransferColumns =
    "SELECT id, direction, peer, address, started, finished, ok, error, batches_sent, "
    "batches_received, bytes_out, bytes_in, column_changes, refused, last_refusal FROM sync_log ";

// The rows of a query that selects kTransferColumns.
Result<std::vector<TransferRecord>> ReadTransfers(Stmt& st) {
  std::vector<TransferRecord> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    TransferRecord t;
    t.id = st.Int(0);
    t.direction = std::string(st.Text(1));
    auto b = st.Blob(2);
    if (b.size() == 16) {
      sync::NodeId id;
      std::memcpy(id.data(), b.data(), 16);
      t.peer = id;
    }
    t.address = std::string(st.Text(3));
    t.started = st.Int(4);
    t.finished = st.Int(5);
    t.ok = st.Int(6) != 0;
    t.error = std::string(st.Text(7));
    t.batches_sent = static_cast<uint64_t>(st.Int(8));
    t.batches_received = static_cast<uint64_t>(st.Int(9));
    t.bytes_out = static_cast<uint64_t>(st.Int(10));
    t.bytes_in = static_cast<uint64_t>(st.Int(11));
    t.column_changes = static_cast<uint64_t>(st.Int(12));
    t.refused = static_cast<uint64_t>(st.Int(13));
    t.last_refusal = std::string(st.Text(14));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<std::vector<TransferRecord>> ListTransfers(Store& store, int64_t limit) {
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogSql));
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogIndexSql));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached(std::string(kTransferColumns) + "ORDER BY id DESC LIMIT ?"));
  st->Bind(1, limit);
  return ReadTransfers(*st);
}

Result<std::vector<TransferRecord>> ListPeerTransfers(Store& store, const sync::NodeId& peer,
                                                      int64_t before_id, int64_t limit) {
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogSql));
  OUTPOST_RETURN_IF_ERROR(store.db().Exec(kSyncLogIndexSql));
  // sync_log_by_peer(peer, id) serves both the filter and the order.
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached(std::string(kTransferColumns) +
                                 "WHERE peer = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"));
  st->BindBlob(1, peer);
  st->Bind(2, before_id > 0 ? before_id : std::numeric_limits<int64_t>::max()).Bind(3, limit);
  return ReadTransfers(*st);
}

Status SyncService::SealOwn() {
  TrustPolicy* policy = client_.policy.get();
  return client_.store->replica()
      .Seal([policy](std::span<const uint8_t> input) { return policy->Sign(input); })
      .status();
}

Result<DaemonStats> SyncService::RunDaemon(const DaemonOptions& options,
                                           const std::atomic<bool>& stop) {
  using std::chrono::milliseconds;
  OUTPOST_RETURN_IF_ERROR(LockDataDir());
  if (!options.listen.empty()) OUTPOST_RETURN_IF_ERROR(Serve(options.listen));
  struct PeerState {
    int64_t next_due = 0;  // micros; 0: now
    int failures = 0;
    int64_t last_session = 0;
    bool waiting_noted = false;
  };
  std::map<std::string, PeerState> state;  // by address
  DaemonStats stats;
  const int64_t interval = options.interval.count() * 1000;
  const int64_t poll = std::max<int64_t>(options.poll.count(), 10) * 1000;

  while (!stop.load()) {
    OUTPOST_ASSIGN_OR_RETURN(auto targets, Targets());
    // The officers' writes since the last poll become signed batches here,
    // off their path, before the peers' lag is read.
    OUTPOST_RETURN_IF_ERROR(SealOwn());
    OUTPOST_ASSIGN_OR_RETURN(auto statuses, PeerStatuses());
    int64_t now = clock_.NowMicros();
    for (const auto& target : targets) {
      if (stop.load()) break;
      PeerState& ps = state[target.address];
      bool due = now >= ps.next_due;
      if (!due && ps.failures == 0) {
        // Sooner when local changes wait for this peer (at most once a poll).
        for (const auto& s : statuses) {
          if ((s.name == target.name || s.address == target.address) && s.pending_out > 0 &&
              now - ps.last_session >= poll) {
            due = true;
          }
        }
      }
      if (!due) continue;
      ++stats.sessions;
      auto r = SyncWith(target.name.empty() ? target.address : target.name);
      now = clock_.NowMicros();
      ps.last_session = now;
      if (r.ok()) {
        ps.failures = 0;
        ps.next_due = now + interval;
        if (options_.log) {
          options_.log("sync with " + target.name + " (" + target.address + "): sent " +
                       std::to_string(r->batches_sent) + " batches, received " +
                       std::to_string(r->batches_received));
        }
      } else {
        ++stats.failures;
        ps.failures = std::min(ps.failures + 1, 30);
        int64_t base = options.backoff_base.count() * 1000;
        int64_t cap = options.backoff_cap.count() * 1000;
        int64_t delay = base;
        for (int i = 1; i < ps.failures && delay < cap; ++i) delay *= 2;
        delay = std::min(delay, cap);
        // Jitter: uniformly in [delay/2, delay], so many sites cut off by one
        // outage do not all come back in the same second.
        uint64_t draw = random_.Next64();
        int64_t half = delay / 2;
        int64_t jitter =
            half > 0 ? static_cast<int64_t>(draw % static_cast<uint64_t>(half + 1)) : 0;
        ps.next_due = now + half + jitter;
        if (options_.log) {
          options_.log("sync with " + target.name + " (" + target.address +
                       ") failed: " + r.status().ToString() + "; retry in " +
                       std::to_string((half + jitter) / 1000) + " ms");
        }
      }
    }
    // Sleep one poll period, in small steps so a stop request is quick.
    for (int64_t slept = 0; slept < poll && !stop.load(); slept += 50'000) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  StopServing();
  return stats;
}

}  // namespace outpost::node
