#include "sync/peer_ledger.h"

#include <cstring>

namespace outpost::sync {
namespace {
Status Touch(Db& db, const NodeId& peer) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("INSERT INTO sync_peer_status(peer) VALUES(?) "
                                              "ON CONFLICT(peer) DO NOTHING"));
  st->BindBlob(1, peer);
  return st->Run();
}
}  // namespace

Result<std::unique_ptr<PeerLedger>> PeerLedger::Open(Db& db) {
  OUTPOST_RETURN_IF_ERROR(db.Exec(R"sql(
    CREATE TABLE IF NOT EXISTS sync_peer(
      peer BLOB NOT NULL, origin BLOB NOT NULL, scope TEXT NOT NULL, seq INTEGER NOT NULL,
      PRIMARY KEY(peer, origin, scope)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS sync_peer_status(
      peer BLOB PRIMARY KEY, last_success INTEGER NOT NULL DEFAULT 0,
      last_attempt INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '');
    CREATE TABLE IF NOT EXISTS sync_address(
      name TEXT PRIMARY KEY, address TEXT NOT NULL, peer BLOB);
  )sql"));
  return std::unique_ptr<PeerLedger>(new PeerLedger(db));
}

Result<VersionVector> PeerLedger::Known(const NodeId& peer) const {
  VersionVector vv;
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db_.Cached("SELECT origin, scope, seq FROM sync_peer WHERE peer = ?"));
  st->BindBlob(1, peer);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(0);
    if (b.size() != 16) return Status::Corruption("sync_peer.origin: not 16 bytes");
    NodeId o;
    std::memcpy(o.data(), b.data(), 16);
    vv.Set(o, std::string(st->Text(1)), static_cast<uint64_t>(st->Int(2)));
  }
  return vv;
}

Status PeerLedger::Advance(const NodeId& peer, const VersionVector& seen) {
  if (seen.seqs.empty()) return Status::Ok();
  bool own = !db_.InTransaction();
  std::unique_ptr<Transaction> txn;
  if (own) {
    OUTPOST_ASSIGN_OR_RETURN(txn, Transaction::Begin(db_));
  }
  OUTPOST_RETURN_IF_ERROR(Touch(db_, peer));
  for (const auto& [key, seq] : seen.seqs) {
    OUTPOST_ASSIGN_OR_RETURN(
        auto st, db_.Cached("INSERT INTO sync_peer VALUES(?, ?, ?, ?) ON CONFLICT DO UPDATE "
                            "SET seq = max(seq, excluded.seq)"));
    st->BindBlob(1, peer).BindBlob(2, key.first).Bind(3, std::string_view(key.second));
    st->Bind(4, static_cast<int64_t>(seq));
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  return own ? txn->Commit() : Status::Ok();
}

Status PeerLedger::RecordSuccess(const NodeId& peer, int64_t micros) {
  OUTPOST_RETURN_IF_ERROR(Touch(db_, peer));
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("UPDATE sync_peer_status SET last_success = ?, "
                                               "last_attempt = ?, last_error = '' WHERE peer = ?"));
  st->Bind(1, micros).Bind(2, micros).BindBlob(3, peer);
  return st->Run();
}

Status PeerLedger::RecordError(const NodeId& peer, int64_t micros, const std::string& error) {
  OUTPOST_RETURN_IF_ERROR(Touch(db_, peer));
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db_.Cached("UPDATE sync_peer_status SET last_attempt = ?, last_error = ? WHERE peer = ?"));
  st->Bind(1, micros).Bind(2, std::string_view(error)).BindBlob(3, peer);
  return st->Run();
}

Status PeerLedger::AddAddress(const std::string& name, const std::string& address) {
  OUTPOST_ASSIGN_OR_RETURN(auto sel, db_.Cached("SELECT address FROM sync_address WHERE name = ?"));
  sel->Bind(1, std::string_view(name));
  OUTPOST_ASSIGN_OR_RETURN(bool row, sel->Step());
  if (row) {
    if (sel->Text(0) == address) return Status::Ok();
    return Status::AlreadyExists("peer \"" + name + "\" already has address " +
                                 std::string(sel->Text(0)));
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db_.Cached("INSERT INTO sync_address(name, address) VALUES(?, ?)"));
  st->Bind(1, std::string_view(name)).Bind(2, std::string_view(address));
  return st->Run();
}

Status PeerLedger::RemoveAddress(const std::string& name) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("DELETE FROM sync_address WHERE name = ?"));
  st->Bind(1, std::string_view(name));
  OUTPOST_RETURN_IF_ERROR(st->Run());
  if (db_.Changes() == 0) {
    return Status::NotFound("peer \"" + name + "\" is not in the address book");
  }
  return Status::Ok();
}

Status PeerLedger::SetAddressPeer(const std::string& name, const NodeId& peer) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("UPDATE sync_address SET peer = ? WHERE name = ?"));
  st->BindBlob(1, peer).Bind(2, std::string_view(name));
  OUTPOST_RETURN_IF_ERROR(st->Run());
  return Touch(db_, peer);
}

Result<std::vector<std::pair<std::string, std::string>>> PeerLedger::Addresses() const {
  std::vector<std::pair<std::string, std::string>> out;
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db_.Cached("SELECT name, address FROM sync_address ORDER BY name"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.emplace_back(std::string(st->Text(0)), std::string(st->Text(1)));
  }
  return out;
}

Result<std::vector<PeerRecord>> PeerLedger::List() const {
  std::vector<PeerRecord> out;
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db_.Cached("SELECT s.peer, s.last_success, s.last_attempt, s.last_error, "
                          "coalesce(a.name, ''), coalesce(a.address, '') FROM sync_peer_status s "
                          "LEFT JOIN sync_address a ON a.peer = s.peer ORDER BY s.peer"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    PeerRecord r;
    auto b = st->Blob(0);
    if (b.size() != 16) return Status::Corruption("sync_peer_status.peer: not 16 bytes");
    std::memcpy(r.id.data(), b.data(), 16);
    r.last_success_micros = st->Int(1);
    r.last_attempt_micros = st->Int(2);
    r.last_error = std::string(st->Text(3));
    r.name = std::string(st->Text(4));
    r.address = std::string(st->Text(5));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace outpost::sync
