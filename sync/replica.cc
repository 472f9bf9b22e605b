// Replica: opening the store, the node and scope indexes, pruning,
// compaction, extraction and the digest. Local writes are in writer.cc,
// merge in replica_merge.cc, sealing in replica_seal.cc, the store's schema
// in replica_schema.cc (docs/architecture.md lists the files of sync/).
#include "sync/replica.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>

#include "sync/live_rows.h"
#include "sync/row_sql.h"

namespace outpost::sync {

using internal::ById;
using internal::ColumnList;
using internal::ReadValue;
using schema::Column;
using schema::Table;
using schema::Value;

namespace {

std::string Quote(std::string_view name) { return QuoteIdentifier(name); }

void HashU64(crypto_generichash_state* h, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  crypto_generichash_update(h, b, 8);
}

void HashValue(crypto_generichash_state* h, const Value& v) {
  uint8_t tag = static_cast<uint8_t>(v.index());
  crypto_generichash_update(h, &tag, 1);
  switch (v.index()) {
    case 1:
      HashU64(h, static_cast<uint64_t>(std::get<int64_t>(v)));
      break;
    case 2: {
      double d = std::get<double>(v);
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      HashU64(h, bits);
      break;
    }
    case 3: {
      const auto& s = std::get<std::string>(v);
      HashU64(h, s.size());
      crypto_generichash_update(h, reinterpret_cast<const uint8_t*>(s.data()), s.size());
      break;
    }
    case 4: {
      const auto& b = std::get<Bytes>(v);
      HashU64(h, b.size());
      crypto_generichash_update(h, b.data(), b.size());
      break;
    }
    default:
      break;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Open, indexes, the clock

Result<std::unique_ptr<Replica>> Replica::Open(Db& db, const schema::Catalogue& catalogue,
                                               const NodeId& self, Clock& clock,
                                               ReplicaOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  std::unique_ptr<Replica> r(new Replica(db, catalogue, self, clock, options));
  OUTPOST_RETURN_IF_ERROR(r->CreateOrMigrate());
  OUTPOST_RETURN_IF_ERROR(CreateLiveViews(db, catalogue));
  return r;
}

Status Replica::ReloadIndices() const {
  {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             db_.Prepare("SELECT idx, node_id FROM crdt_node ORDER BY idx"));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      NodeId id{};
      auto b = st->Blob(1);
      if (b.size() != 16) return Status::Corruption("crdt_node: node id is not 16 bytes");
      std::memcpy(id.data(), b.data(), 16);
      uint32_t idx = static_cast<uint32_t>(st->Int(0));
      if (nodes_.size() <= idx) nodes_.resize(idx + 1);
      nodes_[idx] = id;
      node_index_[id] = idx;
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT idx, name FROM crdt_scope"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    scope_index_[std::string(st->Text(1))] = static_cast<uint32_t>(st->Int(0));
  }
  return Status::Ok();
}

Result<NodeId> Replica::NodeAt(uint32_t idx) const {
  static const NodeId kNone{};
  if (idx >= nodes_.size() || nodes_[idx] == kNone) OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  if (idx >= nodes_.size() || nodes_[idx] == kNone) {
    return Status::Corruption("crdt_node: no node with index " + std::to_string(idx));
  }
  return nodes_[idx];
}

Result<uint32_t> Replica::NodeIndex(const NodeId& id) {
  auto it = node_index_.find(id);
  if (it != node_index_.end()) return it->second;
  OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  it = node_index_.find(id);
  if (it != node_index_.end()) return it->second;
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("INSERT INTO crdt_node(node_id) VALUES(?)"));
  st->BindBlob(1, id);
  OUTPOST_RETURN_IF_ERROR(st->Run());
  uint32_t idx = static_cast<uint32_t>(db_.LastInsertRowid());
  if (nodes_.size() <= idx) nodes_.resize(idx + 1);
  nodes_[idx] = id;
  node_index_[id] = idx;
  return idx;
}

Result<uint32_t> Replica::ScopeIndex(const std::string& scope) {
  auto it = scope_index_.find(scope);
  if (it != scope_index_.end()) return it->second;
  OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  it = scope_index_.find(scope);
  if (it != scope_index_.end()) return it->second;
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("INSERT INTO crdt_scope(name) VALUES(?)"));
  st->Bind(1, std::string_view(scope));
  OUTPOST_RETURN_IF_ERROR(st->Run());
  uint32_t idx = static_cast<uint32_t>(db_.LastInsertRowid());
  scope_index_[scope] = idx;
  return idx;
}

Result<std::string> Replica::ScopeName(int64_t idx) const {
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (const auto& [name, i] : scope_index_) {
      if (i == idx) return name;
    }
    if (attempt == 0) OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  }
  return Status::Corruption("scope index " + std::to_string(idx) + " is not known");
}

Result<bool> Replica::NodeAfter(uint32_t a, uint32_t b) const {
  OUTPOST_ASSIGN_OR_RETURN(NodeId id_a, NodeAt(a));
  OUTPOST_ASSIGN_OR_RETURN(NodeId id_b, NodeAt(b));
  return id_a > id_b;
}

Status Replica::SaveClock() {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db_.Cached("INSERT INTO crdt_meta VALUES('hlc', ?) ON "
                                      "CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, static_cast<int64_t>(hlc_.last()));
  return st->Run();
}

Status Replica::CountChange(const internal::ChangedRowSet& rows) {
  return internal::RecordCommit(db_, rows, options_.max_journal_rows);
}

Result<int64_t> Replica::ChangeCount() const {
  return db_.QueryInt("SELECT coalesce((SELECT value FROM crdt_meta WHERE key = 'changes'), 0)");
}

Result<std::optional<std::vector<ChangedRow>>> Replica::ChangedRowsSince(int64_t count) const {
  return internal::ReadJournal(db_, count);
}

// ---------------------------------------------------------------------------
// Version vectors, pruning, compaction, extraction

Result<VersionVector> Replica::GetVersionVector() const { return log_.ReadVersionVector(); }

Result<std::optional<std::pair<uint32_t, uint32_t>>> Replica::FindChain(
    const NodeId& origin, const std::string& scope) const {
  using Chain = std::optional<std::pair<uint32_t, uint32_t>>;
  auto n = node_index_.find(origin);
  auto sc = scope_index_.find(scope);
  if (n == node_index_.end() || sc == scope_index_.end()) {
    OUTPOST_RETURN_IF_ERROR(ReloadIndices());
    n = node_index_.find(origin);
    sc = scope_index_.find(scope);
  }
  if (n == node_index_.end() || sc == scope_index_.end()) return Chain();
  return Chain(std::make_pair(n->second, sc->second));
}

Result<int64_t> Replica::PruneLog(const VersionVector& acked) {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  int64_t dropped = 0;
  for (const auto& [key, seq] : acked.seqs) {
    OUTPOST_ASSIGN_OR_RETURN(auto chain, FindChain(key.first, key.second));
    if (!chain) continue;
    OUTPOST_ASSIGN_OR_RETURN(int64_t n, log_.Prune(chain->first, chain->second, seq, self_idx_));
    dropped += n;
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return dropped;
}

Result<int64_t> Replica::CompactTombstones(const VersionVector& acked) {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  std::vector<std::pair<int64_t, Bytes>> due;
  for (const auto& [key, seq] : acked.seqs) {
    OUTPOST_ASSIGN_OR_RETURN(auto chain, FindChain(key.first, key.second));
    if (!chain) continue;
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        db_.Cached("SELECT tbl, id FROM crdt_tomb WHERE origin = ? AND scope = ? AND seq <= ?"));
    st->Bind(1, static_cast<int64_t>(chain->first)).Bind(2, static_cast<int64_t>(chain->second));
    st->Bind(3, static_cast<int64_t>(std::min<uint64_t>(seq, INT64_MAX)));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      auto id = st->Blob(1);
      due.emplace_back(st->Int(0), Bytes(id.begin(), id.end()));
    }
  }
  int64_t compacted = 0;
  for (const auto& [tbl, id] : due) {
    const Table* t = catalogue_.FindById(static_cast<uint16_t>(tbl));
    if (t != nullptr) {
      // Keep id, scope and causal length (invariant 8, docs/crdt.md); drop values and
      // versions. `_v` = x'00' is the encoding of no versions.
      std::string sql = "UPDATE " + Quote(t->name) + " SET ";
      for (const auto& c : t->columns) sql += Quote(c.name) + " = NULL, ";
      sql += "_v = x'00' WHERE id = ? AND _cl % 2 = 0";
      OUTPOST_ASSIGN_OR_RETURN(auto up, db_.Cached(sql));
      up->BindBlob(1, id);
      OUTPOST_RETURN_IF_ERROR(up->Run());
      compacted += db_.Changes();
    }
    OUTPOST_ASSIGN_OR_RETURN(
        auto ex, db_.Cached("DELETE FROM crdt_extra WHERE tbl = ? AND id = ? AND col != 0"));
    ex->Bind(1, tbl).BindBlob(2, id);
    OUTPOST_RETURN_IF_ERROR(ex->Run());
    OUTPOST_ASSIGN_OR_RETURN(auto del,
                             db_.Cached("DELETE FROM crdt_tomb WHERE tbl = ? AND id = ?"));
    del->Bind(1, tbl).BindBlob(2, id);
    OUTPOST_RETURN_IF_ERROR(del->Run());
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return compacted;
}

Result<std::vector<OutgoingBatch>> Replica::BatchesFor(
    const VersionVector& peer, const std::function<bool(const std::string&)>& allowed,
    size_t max_bytes) const {
  OUTPOST_ASSIGN_OR_RETURN(VersionVector mine, GetVersionVector());
  std::vector<OutgoingBatch> out;
  size_t bytes = 0;
  for (const auto& [key, seq] : mine.seqs) {
    // Named references, not a structured binding: the lambda below captures
    // them, which clang 14 (scripts/fuzz) refuses for bindings.
    const auto& origin = std::get<0>(key);
    const auto& scope = std::get<1>(key);
    if (!out.empty() && bytes >= max_bytes) break;
    uint64_t have = peer.Get(origin, scope);
    if (have >= seq || !allowed(scope)) continue;
    OUTPOST_RETURN_IF_ERROR(log_.ForEachAfter(
        origin, scope, have,
        [&](uint64_t s, std::span<const uint8_t> body, std::span<const uint8_t> sig) {
          OutgoingBatch& ob = out.emplace_back();
          ob.origin = origin;
          ob.scope = scope;
          ob.seq = s;
          ob.batch.body.assign(body.begin(), body.end());
          ob.batch.signature.assign(sig.begin(), sig.end());
          bytes += ob.batch.body.size() + ob.batch.signature.size();
          return bytes < max_bytes;
        }));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Digest and reads

Result<std::map<std::string, std::string>> Replica::TableDigests(
    const std::optional<std::string>& scope) const {
  std::map<std::string, std::string> out;
  std::optional<int64_t> sidx;
  if (scope) {
    auto it = scope_index_.find(*scope);
    if (it == scope_index_.end()) {
      OUTPOST_RETURN_IF_ERROR(ReloadIndices());
      it = scope_index_.find(*scope);
    }
    sidx = it == scope_index_.end() ? -1 : static_cast<int64_t>(it->second);
  }
  std::vector<const Table*> tables;
  for (const auto& t : catalogue_.tables()) tables.push_back(&t);
  std::sort(tables.begin(), tables.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const Table* t : tables) {
    auto cols = ById(*t);
    std::string sql = "SELECT id, _cl";
    for (const Column* c : cols) sql += ", " + Quote(c->name);
    sql += " FROM " + Quote(t->name);
    if (sidx) sql += " WHERE _scope = " + std::to_string(*sidx);
    sql += " ORDER BY id";
    OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Prepare(sql));
    crypto_generichash_state h;
    crypto_generichash_init(&h, nullptr, 0, 32);
    HashU64(&h, t->id);
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      auto id = st->Blob(0);
      crypto_generichash_update(&h, id.data(), id.size());
      uint64_t cl = static_cast<uint64_t>(st->Int(1));
      HashU64(&h, cl);
      // A tombstone's values are local (invariant 7, docs/crdt.md): only id and length.
      if (cl % 2 == 0) continue;
      for (size_t i = 0; i < cols.size(); ++i) {
        HashU64(&h, cols[i]->id);
        HashValue(&h, ReadValue(*st, static_cast<int>(i) + 2));
      }
    }
    Hash d;
    crypto_generichash_final(&h, d.data(), d.size());
    out[t->name] = ToHex(d);
  }
  return out;
}

Result<Hash> Replica::Digest(const std::optional<std::string>& scope) const {
  OUTPOST_ASSIGN_OR_RETURN(auto tables, TableDigests(scope));
  crypto_generichash_state h;
  crypto_generichash_init(&h, nullptr, 0, 32);
  for (const auto& [name, hex] : tables) {
    crypto_generichash_update(&h, reinterpret_cast<const uint8_t*>(name.data()), name.size());
    crypto_generichash_update(&h, reinterpret_cast<const uint8_t*>(hex.data()), hex.size());
  }
  Hash d;
  crypto_generichash_final(&h, d.data(), d.size());
  return d;
}

Result<int64_t> Replica::CountLive(const Table& t) const {
  return db_.QueryInt("SELECT count(*) FROM " + Quote(t.name) + " WHERE _cl % 2 = 1");
}

Result<std::map<std::string, int64_t>> Replica::CountLiveByScope(const Table& t) const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT _scope, count(*) FROM " + Quote(t.name) +
                                                " WHERE _cl % 2 = 1 GROUP BY _scope"));
  std::map<std::string, int64_t> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    OUTPOST_ASSIGN_OR_RETURN(std::string scope, ScopeName(st->Int(0)));
    out[scope] = st->Int(1);
  }
  return out;
}

Result<std::vector<std::string>> Replica::ScopeNames() const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT name FROM crdt_scope ORDER BY name"));
  std::vector<std::string> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.emplace_back(st->Text(0));
  }
  return out;
}

Result<std::vector<Value>> Replica::ReadRow(const Table& t, const Uuid& id, bool* deleted) const {
  std::string sql = "SELECT _cl" + ColumnList(t) + " FROM " + Quote(t.name) + " WHERE id = ?";
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(sql));
  st->BindBlob(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound(t.name + " " + UuidToString(id) + " does not exist");
  if (deleted) *deleted = st->Int(0) % 2 == 0;
  std::vector<Value> out;
  for (size_t i = 0; i < t.columns.size(); ++i)
    out.push_back(ReadValue(*st, static_cast<int>(i) + 1));
  return out;
}

}  // namespace outpost::sync
