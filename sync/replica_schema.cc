// The store's schema: Replica::CreateOrMigrate creates the CRDT's own
// tables (crdt_*), checks the store belongs to this node and is not from a
// newer schema or store format, creates the replicated tables or adds the
// columns a newer catalogue brought, and moves values held aside for them
// into place (docs/crdt.md, "Schema evolution"). All in one transaction.
//
//   CreateOrMigrate
//    |- CreateCrdtTables
//    |- CheckOwner            crdt_meta 'self'
//    |- CheckSchemaVersion    crdt_meta 'schema_version' (refuse newer)
//    |- CheckStoreFormat      crdt_meta 'store_format' (refuse newer)
//    |- CreateOrAlterTables   the catalogue's tables and columns
//    |- load indexes, clock
//    `- ReplayHeldValues      crdt_extra rows of tables/columns now known,
//        |- ReadHeldRows      grouped into row changes
//        `- ReplayHeldRow     checked and applied as a merge would, or set
//                             aside in crdt_replay_refused
#include <algorithm>
#include <cstring>

#include "sync/replica.h"
#include "sync/row_sql.h"

namespace outpost::sync {

using schema::Table;

namespace {

// Store format: 2 since local writes are named in crdt_pending and sealed
// later, and `_v` writes runs of column ids (docs/crdt.md). A binary that
// does not know a store's format would lose its pending writes or misread
// `_v`: refused, touching nothing. (Binaries before format 2 do not check.)
constexpr int64_t kStoreFormat = 2;

constexpr char kCrdtTables[] = R"sql(
    CREATE TABLE IF NOT EXISTS crdt_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS crdt_node(idx INTEGER PRIMARY KEY, node_id BLOB NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS crdt_scope(idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS crdt_batch(
      origin INTEGER NOT NULL, scope INTEGER NOT NULL, seq INTEGER NOT NULL,
      hash BLOB NOT NULL, hlc INTEGER NOT NULL, applied INTEGER NOT NULL,
      body BLOB NOT NULL, sig BLOB NOT NULL);
    CREATE UNIQUE INDEX IF NOT EXISTS crdt_batch_key ON crdt_batch(origin, scope, seq);
    CREATE TABLE IF NOT EXISTS crdt_vv(
      origin INTEGER NOT NULL, scope INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,
      PRIMARY KEY(origin, scope)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS crdt_extra(
      tbl INTEGER NOT NULL, id BLOB NOT NULL, col INTEGER NOT NULL, scope INTEGER NOT NULL,
      cl INTEGER NOT NULL, value, hlc INTEGER NOT NULL, origin INTEGER NOT NULL,
      PRIMARY KEY(tbl, id, col)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS crdt_tomb(
      tbl INTEGER NOT NULL, id BLOB NOT NULL, origin INTEGER NOT NULL, scope INTEGER NOT NULL,
      seq INTEGER NOT NULL, PRIMARY KEY(tbl, id)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS crdt_tomb_by_batch ON crdt_tomb(origin, scope, seq);
    CREATE TABLE IF NOT EXISTS crdt_pending(
      scope INTEGER NOT NULL, hlc INTEGER NOT NULL, rows BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS crdt_changed(
      seq INTEGER PRIMARY KEY, n INTEGER NOT NULL, rows BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS crdt_replay_refused(
      tbl INTEGER NOT NULL, id BLOB NOT NULL, scope INTEGER NOT NULL, origin INTEGER NOT NULL,
      reason TEXT NOT NULL);
  )sql";

Status SetMeta(Db& db, const char* key, int64_t value) {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Prepare("INSERT INTO crdt_meta VALUES(?, ?) ON "
                                      "CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, std::string_view(key)).Bind(2, value);
  return st->Run();
}

// A store belongs to one node for life.
Status CheckOwner(Db& db, const NodeId& self) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT value FROM crdt_meta WHERE key = 'self'"));
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) {
    OUTPOST_ASSIGN_OR_RETURN(auto ins, db.Prepare("INSERT INTO crdt_meta VALUES('self', ?)"));
    ins->BindBlob(1, self);
    return ins->Run();
  }
  auto b = st->Blob(0);
  if (b.size() == 16 && std::memcmp(b.data(), self.data(), 16) == 0) return Status::Ok();
  return Status::FailedPrecondition(
      "this store belongs to node " +
      (b.size() == 16 ? UuidToString(*reinterpret_cast<const Uuid*>(b.data())) : std::string("?")) +
      ", not " + UuidToString(self));
}

// The schema version the store was written by; a store from the future is
// refused, touching nothing.
Result<uint32_t> CheckSchemaVersion(Db& db, uint32_t ours) {
  uint32_t stored = 0;
  auto v = db.QueryInt("SELECT value FROM crdt_meta WHERE key = 'schema_version'");
  if (v.ok()) stored = static_cast<uint32_t>(*v);
  if (stored > ours) {
    return Status::FailedPrecondition(
        "the store was written by schema version " + std::to_string(stored) +
        " and this outpost knows only up to version " + std::to_string(ours) +
        "; upgrade outpost to open it (nothing was changed)");
  }
  return stored;
}

Status CheckStoreFormat(Db& db) {
  auto f = db.QueryInt("SELECT value FROM crdt_meta WHERE key = 'store_format'");
  if (f.ok() && *f > kStoreFormat) {
    return Status::FailedPrecondition(
        "the store has format " + std::to_string(*f) + " and this outpost knows only up to " +
        std::to_string(kStoreFormat) + "; upgrade outpost to open it (nothing was changed)");
  }
  if (f.ok() && *f == kStoreFormat) return Status::Ok();
  return SetMeta(db, "store_format", kStoreFormat);
}

// Replicated tables: create, or add the columns a newer schema brought.
Status CreateOrAlterTables(Db& db, const schema::Catalogue& catalogue) {
  for (const Table& t : catalogue.tables()) {
    const std::string name = QuoteIdentifier(t.name);
    OUTPOST_ASSIGN_OR_RETURN(auto info, db.Prepare("PRAGMA table_info(" + name + ")"));
    std::vector<std::string> have;
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, info->Step());
      if (!row) break;
      have.emplace_back(info->Text(1));
    }
    if (have.empty()) {
      std::string sql = "CREATE TABLE " + name + "(id BLOB PRIMARY KEY NOT NULL";
      for (const auto& c : t.columns) {
        sql += ", " + QuoteIdentifier(c.name) + " " + internal::SqlType(c.type);
      }
      sql += ", _scope INTEGER NOT NULL, _cl INTEGER NOT NULL, _v BLOB NOT NULL) WITHOUT ROWID";
      OUTPOST_RETURN_IF_ERROR(db.Exec(sql));
      continue;
    }
    for (const auto& c : t.columns) {
      if (std::find(have.begin(), have.end(), c.name) != have.end()) continue;
      OUTPOST_RETURN_IF_ERROR(db.Exec("ALTER TABLE " + name + " ADD COLUMN " +
                                      QuoteIdentifier(c.name) + " " + internal::SqlType(c.type)));
    }
  }
  return Status::Ok();
}

}  // namespace

// One row change per row, scope, incarnation and author, rebuilt from the
// crdt_extra entries of a table now known.
struct Replica::HeldRow {
  RowChange rc;
  uint32_t origin = 0, scope = 0;
  bool has_origin = false;
  std::vector<uint16_t> cols;  // crdt_extra entries it came from
};

Status Replica::CreateOrMigrate() {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  OUTPOST_RETURN_IF_ERROR(db_.Exec(kCrdtTables));
  OUTPOST_RETURN_IF_ERROR(CheckOwner(db_, self_));
  OUTPOST_ASSIGN_OR_RETURN(uint32_t stored_version, CheckSchemaVersion(db_, catalogue_.version()));
  OUTPOST_RETURN_IF_ERROR(CheckStoreFormat(db_));
  OUTPOST_RETURN_IF_ERROR(CreateOrAlterTables(db_, catalogue_));
  for (const Table& t : catalogue_.tables()) {
    const std::string name = QuoteIdentifier(t.name);
    table_sql_[t.id] =
        TableSql{internal::InsertSql(t), "SELECT _scope, _cl, _v FROM " + name + " WHERE id = ?",
                 "SELECT _cl, _v" + internal::ColumnList(t) + " FROM " + name + " WHERE id = ?"};
  }
  OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  OUTPOST_ASSIGN_OR_RETURN(self_idx_, NodeIndex(self_));
  auto last = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'hlc'");
  if (last.ok()) hlc_.Restore(static_cast<HlcTime>(*last));
  // Values held aside for columns or tables this schema now knows: move them
  // into place, with their own versions (docs/crdt.md, "Schema evolution").
  if (stored_version < catalogue_.version()) {
    for (const Table& t : catalogue_.tables()) OUTPOST_RETURN_IF_ERROR(ReplayHeldValues(t));
    OUTPOST_RETURN_IF_ERROR(
        SetMeta(db_, "schema_version", static_cast<int64_t>(catalogue_.version())));
  }
  return txn->Commit();
}

Status Replica::ReplayHeldValues(const Table& t) {
  OUTPOST_ASSIGN_OR_RETURN(std::vector<HeldRow> held, ReadHeldRows(t));
  for (const HeldRow& h : held) OUTPOST_RETURN_IF_ERROR(ReplayHeldRow(t, h));
  return Status::Ok();
}

Result<std::vector<Replica::HeldRow>> Replica::ReadHeldRows(const Table& t) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db_.Prepare("SELECT id, col, scope, cl, value, hlc, origin FROM crdt_extra WHERE tbl = ? "
                  "ORDER BY id, col"));
  st->Bind(1, static_cast<int64_t>(t.id));
  // A row's marker, column 0, joins the first group of its row, so a row
  // arrives whole, as its batch carried it.
  std::vector<HeldRow> held;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    const auto col = static_cast<uint16_t>(st->Int(1));
    if (col != 0 && t.FindColumnById(col) == nullptr) continue;  // still unknown
    auto b = st->Blob(0);
    if (b.size() != 16) return Status::Corruption("crdt_extra: id is not 16 bytes");
    Uuid id;
    std::memcpy(id.data(), b.data(), 16);
    const auto cl = static_cast<uint32_t>(st->Int(3));
    const auto scope = static_cast<uint32_t>(st->Int(2));
    const auto origin = static_cast<uint32_t>(st->Int(6));
    HeldRow* m = held.empty() ? nullptr : &held.back();
    if (m == nullptr || m->rc.id != id || m->scope != scope || m->rc.causal_length != cl ||
        (col != 0 && m->has_origin && m->origin != origin)) {
      m = &held.emplace_back();
      m->rc.table = t.id;
      m->rc.id = id;
      m->rc.causal_length = cl;
      m->scope = scope;
      m->origin = origin;
    }
    if (col != 0) {
      m->rc.columns.push_back({col, static_cast<HlcTime>(st->Int(5)), internal::ReadValue(*st, 4)});
      m->origin = origin;
      m->has_origin = true;
    }
    m->cols.push_back(col);
  }
  return held;
}

// Checked as a merge checks it (what could not be checked while the table
// was unknown): the table's scope rule, then ApplyRow's types, append-only
// and scope checks. A row that fails is set aside in crdt_replay_refused and
// the store opens anyway.
Status Replica::ReplayHeldRow(const Table& t, const HeldRow& h) {
  Status refused;
  if (t.scope == schema::ScopeRule::kShared) {
    OUTPOST_ASSIGN_OR_RETURN(std::string scope_name, ScopeName(h.scope));
    if (scope_name != "shared") {
      refused = Status::PermissionDenied(t.name + " row " + UuidToString(h.rc.id) +
                                         ": a table only HQ writes (scope shared), held "
                                         "in scope \"" +
                                         scope_name + "\"");
    }
  }
  if (refused.ok()) {
    OUTPOST_ASSIGN_OR_RETURN(auto sp, internal::Savepoint::Begin(db_));
    auto applied = ApplyRow(h.rc, h.origin, h.scope, 0);
    if (applied.ok()) {
      OUTPOST_RETURN_IF_ERROR(sp->Release());
    } else {
      refused = applied.status();  // sp rolls the row back
    }
  }
  if (!refused.ok()) {
    OUTPOST_ASSIGN_OR_RETURN(auto ins,
                             db_.Cached("INSERT INTO crdt_replay_refused(tbl, id, scope, origin, "
                                        "reason) VALUES(?, ?, ?, ?, ?)"));
    ins->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, h.rc.id);
    ins->Bind(3, static_cast<int64_t>(h.scope)).Bind(4, static_cast<int64_t>(h.origin));
    ins->Bind(5, refused.message());
    OUTPOST_RETURN_IF_ERROR(ins->Run());
  }
  for (uint16_t col : h.cols) {
    OUTPOST_ASSIGN_OR_RETURN(
        auto del, db_.Cached("DELETE FROM crdt_extra WHERE tbl = ? AND id = ? AND col = ?"));
    del->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, h.rc.id);
    del->Bind(3, static_cast<int64_t>(col));
    OUTPOST_RETURN_IF_ERROR(del->Run());
  }
  return Status::Ok();
}

}  // namespace outpost::sync
