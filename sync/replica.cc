#include "sync/replica.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sync/column_versions.h"
#include "sync/live_rows.h"

namespace outpost::sync {

using schema::Column;
using schema::ColumnType;
using schema::Table;
using schema::Value;

// ---------------------------------------------------------------------------
// VersionVector

uint64_t VersionVector::Get(const NodeId& origin, const std::string& scope) const {
  auto it = seqs.find({origin, scope});
  return it == seqs.end() ? 0 : it->second;
}

void VersionVector::Set(const NodeId& origin, const std::string& scope, uint64_t seq) {
  seqs[{origin, scope}] = seq;
}

VersionVector CommonVersions(std::span<const VersionVector> peers) {
  VersionVector out;
  if (peers.empty()) return out;
  for (const auto& [key, seq] : peers[0].seqs) {
    uint64_t m = seq;
    for (const auto& p : peers.subspan(1)) {
      auto it = p.seqs.find(key);
      m = it == p.seqs.end() ? 0 : std::min(m, it->second);
      if (m == 0) break;
    }
    if (m > 0) out.seqs[key] = m;
  }
  return out;
}

namespace {

std::string Quote(std::string_view name) { return QuoteIdentifier(name); }

const char* SqlType(ColumnType t) {
  switch (t) {
    case ColumnType::kText:
      return "TEXT";
    case ColumnType::kReal:
      return "REAL";
    case ColumnType::kId:
    case ColumnType::kBlob:
      return "BLOB";
    case ColumnType::kInteger:
    case ColumnType::kBool:
    case ColumnType::kTime:
      return "INTEGER";
  }
  return "";
}

void BindValue(Stmt& st, int i, const Value& v) {
  switch (v.index()) {
    case 0:
      st.BindNull(i);
      break;
    case 1:
      st.Bind(i, std::get<int64_t>(v));
      break;
    case 2:
      st.Bind(i, std::get<double>(v));
      break;
    case 3:
      st.Bind(i, std::string_view(std::get<std::string>(v)));
      break;
    case 4:
      st.BindBlob(i, std::get<Bytes>(v));
      break;
  }
}

Value ReadValue(const Stmt& st, int col) {
  switch (st.ColumnType(col)) {
    case SQLITE_INTEGER:
      return st.Int(col);
    case SQLITE_FLOAT:
      return st.Double(col);
    case SQLITE_TEXT:
      return std::string(st.Text(col));
    case SQLITE_BLOB: {
      auto b = st.Blob(col);
      return Bytes(b.begin(), b.end());
    }
    default:
      return Value{};
  }
}

// The same value, borrowed from the statement's current row (valid until it
// steps or resets).
ValueRef ReadValueRef(const Stmt& st, int col) {
  ValueRef v;
  switch (st.ColumnType(col)) {
    case SQLITE_INTEGER:
      v.kind = 1;
      v.i = st.Int(col);
      break;
    case SQLITE_FLOAT:
      v.kind = 2;
      v.d = st.Double(col);
      break;
    case SQLITE_TEXT: {
      v.kind = 3;
      std::string_view t = st.Text(col);
      v.bytes = {reinterpret_cast<const uint8_t*>(t.data()), t.size()};
      break;
    }
    case SQLITE_BLOB:
      v.kind = 4;
      v.bytes = st.Blob(col);
      break;
    default:
      break;
  }
  return v;
}

// A value (received from a peer, or given locally) must have the column's
// storage type.
inline bool TypeFits(const Column& c, const Value& v) {
  switch (c.type) {
    case ColumnType::kText:
      return v.index() == 0 || (v.index() == 3 && std::get<std::string>(v).size() <= c.max_len);
    case ColumnType::kInteger:
    case ColumnType::kBool:
    case ColumnType::kTime:
      return v.index() == 0 || v.index() == 1;
    case ColumnType::kReal:
      return v.index() == 0 || v.index() == 1 ||
             (v.index() == 2 && std::isfinite(std::get<double>(v)));
    case ColumnType::kId:
      return v.index() == 0 || (v.index() == 4 && std::get<Bytes>(v).size() == 16);
    case ColumnType::kBlob:
      return v.index() == 0 || v.index() == 4;
  }
  return false;
}

Status WrongType(const Table& t, const Column& c) {
  return Status::InvalidArgument(t.name + "." + c.name +
                                 ": value of the wrong type or size for a " + SqlType(c.type) +
                                 " column");
}

inline Status CheckType(const Table& t, const Column& c, const Value& v) {
  return TypeFits(c, v) ? Status::Ok() : WrongType(t, c);
}

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

std::string ColumnList(const Table& t) {
  std::string s;
  for (const auto& c : t.columns) {
    s += ", ";
    s += Quote(c.name);
  }
  return s;
}

std::string InsertSql(const Table& t) {
  std::string sql =
      "INSERT INTO " + Quote(t.name) + "(id" + ColumnList(t) + ", _scope, _cl, _v) VALUES(?";
  for (size_t i = 0; i < t.columns.size() + 3; ++i) sql += ", ?";
  return sql + ")";
}

// Columns in ascending id order: the canonical order of the digest.
std::vector<const Column*> ById(const Table& t) {
  std::vector<const Column*> cols;
  for (const auto& c : t.columns) cols.push_back(&c);
  std::sort(cols.begin(), cols.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return cols;
}

int ColumnPosition(const Table& t, const Column* c) {
  return static_cast<int>(c - t.columns.data());
}

struct RowMeta {
  bool exists = false;
  int64_t scope = 0;
  uint32_t cl = 0;
  ColumnVersions versions;
};

// `sql` is the table's precomputed "SELECT _scope, _cl, _v ... WHERE id = ?".
Result<RowMeta> LoadMeta(Db& db, const std::string& sql, const Table& t, const Uuid& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached(sql));
  st->BindBlob(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  RowMeta m;
  if (!row) return m;
  m.exists = true;
  m.scope = st->Int(0);
  m.cl = static_cast<uint32_t>(st->Int(1));
  if (!ColumnVersions::Decode(st->Blob(2), &m.versions)) {
    return Status::Corruption(t.name + " row " + UuidToString(id) +
                              ": column versions are unreadable");
  }
  return m;
}

// UPDATE t SET c1 = ?, ..., _cl = ?, _v = ? WHERE id = ?
Status WriteRow(Db& db, const Table& t, const Uuid& id,
                const std::vector<const ColumnChange*>& cols,
                const std::vector<const Column*>& defs, uint32_t cl, const ColumnVersions& v) {
  std::string sql = "UPDATE " + Quote(t.name) + " SET ";
  for (const Column* c : defs) sql += Quote(c->name) + " = ?, ";
  sql += "_cl = ?, _v = ? WHERE id = ?";
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached(sql));
  int i = 1;
  for (const ColumnChange* c : cols) BindValue(*st, i++, c->value);
  st->Bind(i++, static_cast<int64_t>(cl));
  st->BindBlob(i++, v.Encode());
  st->BindBlob(i++, id);
  return st->Run();
}

class Savepoint {
 public:
  static Result<std::unique_ptr<Savepoint>> Begin(Db& db) {
    OUTPOST_RETURN_IF_ERROR(db.Exec("SAVEPOINT batch"));
    return std::unique_ptr<Savepoint>(new Savepoint(db));
  }
  ~Savepoint() {
    if (!done_) (void)db_.Exec("ROLLBACK TO batch; RELEASE batch");
  }
  Status Release() {
    Status s = db_.Exec("RELEASE batch");
    if (s.ok()) done_ = true;
    return s;
  }

 private:
  explicit Savepoint(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

// A column's stamp is never after its batch's: the skew check and the
// receiver's clock (Observe) see only the batch's stamp, so a later column
// stamp would slip a far-future time past both (docs/crdt.md, merge invariant 9).
Status StampsWithinBatch(const ChangeBatch& batch) {
  for (const auto& row : batch.rows) {
    for (const auto& c : row.columns) {
      if (c.hlc > batch.hlc) {
        return Status::InvalidArgument(
            "row " + UuidToString(row.id) + " column " + std::to_string(c.column) + ": stamp " +
            std::to_string(c.hlc) + " is after the batch's stamp " + std::to_string(batch.hlc));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------
// Open / migrate

Result<std::unique_ptr<Replica>> Replica::Open(Db& db, const schema::Catalogue& catalogue,
                                               const NodeId& self, Clock& clock,
                                               ReplicaOptions options) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  std::unique_ptr<Replica> r(new Replica(db, catalogue, self, clock, options));
  OUTPOST_RETURN_IF_ERROR(r->CreateOrMigrate());
  OUTPOST_RETURN_IF_ERROR(CreateLiveViews(db, catalogue));
  return r;
}

Status Replica::CreateOrMigrate() {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  OUTPOST_RETURN_IF_ERROR(db_.Exec(R"sql(
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
    CREATE TABLE IF NOT EXISTS crdt_replay_refused(
      tbl INTEGER NOT NULL, id BLOB NOT NULL, scope INTEGER NOT NULL, origin INTEGER NOT NULL,
      reason TEXT NOT NULL);
  )sql"));

  // Node identity: a store belongs to one node for life.
  {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             db_.Prepare("SELECT value FROM crdt_meta WHERE key = 'self'"));
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) {
      auto b = st->Blob(0);
      if (b.size() != 16 || std::memcmp(b.data(), self_.data(), 16) != 0) {
        return Status::FailedPrecondition(
            "this store belongs to node " +
            (b.size() == 16 ? UuidToString(*reinterpret_cast<const Uuid*>(b.data()))
                            : std::string("?")) +
            ", not " + UuidToString(self_));
      }
    } else {
      OUTPOST_ASSIGN_OR_RETURN(auto ins, db_.Prepare("INSERT INTO crdt_meta VALUES('self', ?)"));
      ins->BindBlob(1, self_);
      OUTPOST_RETURN_IF_ERROR(ins->Run());
    }
  }
  // Schema version: refuse a store from the future, touching nothing.
  uint32_t stored_version = 0;
  {
    auto v = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'schema_version'");
    if (v.ok()) stored_version = static_cast<uint32_t>(*v);
    if (stored_version > catalogue_.version()) {
      return Status::FailedPrecondition(
          "the store was written by schema version " + std::to_string(stored_version) +
          " and this outpost knows only up to version " + std::to_string(catalogue_.version()) +
          "; upgrade outpost to open it (nothing was changed)");
    }
  }
  // Store format: 2 since local writes are named in crdt_pending and sealed
  // later, and `_v` writes runs of column ids (docs/crdt.md). A binary that
  // does not know a store's format would lose its pending writes or misread
  // `_v`: refused, touching nothing. (Binaries before format 2 do not check.)
  {
    constexpr int64_t kStoreFormat = 2;
    auto f = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'store_format'");
    if (f.ok() && *f > kStoreFormat) {
      return Status::FailedPrecondition(
          "the store has format " + std::to_string(*f) + " and this outpost knows only up to " +
          std::to_string(kStoreFormat) + "; upgrade outpost to open it (nothing was changed)");
    }
    if (!f.ok() || *f < kStoreFormat) {
      OUTPOST_ASSIGN_OR_RETURN(auto st,
                               db_.Prepare("INSERT INTO crdt_meta VALUES('store_format', ?) ON "
                                           "CONFLICT(key) DO UPDATE SET value = excluded.value"));
      st->Bind(1, kStoreFormat);
      OUTPOST_RETURN_IF_ERROR(st->Run());
    }
  }

  // Replicated tables: create, or add the columns a newer schema brought.
  for (const Table& t : catalogue_.tables()) {
    OUTPOST_ASSIGN_OR_RETURN(auto info, db_.Prepare("PRAGMA table_info(" + Quote(t.name) + ")"));
    std::vector<std::string> have;
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, info->Step());
      if (!row) break;
      have.emplace_back(info->Text(1));
    }
    if (have.empty()) {
      std::string sql = "CREATE TABLE " + Quote(t.name) + "(id BLOB PRIMARY KEY NOT NULL";
      for (const auto& c : t.columns) sql += ", " + Quote(c.name) + " " + SqlType(c.type);
      sql += ", _scope INTEGER NOT NULL, _cl INTEGER NOT NULL, _v BLOB NOT NULL) WITHOUT ROWID";
      OUTPOST_RETURN_IF_ERROR(db_.Exec(sql));
    } else {
      for (const auto& c : t.columns) {
        if (std::find(have.begin(), have.end(), c.name) == have.end()) {
          OUTPOST_RETURN_IF_ERROR(db_.Exec("ALTER TABLE " + Quote(t.name) + " ADD COLUMN " +
                                           Quote(c.name) + " " + SqlType(c.type)));
        }
      }
    }
  }

  for (const Table& t : catalogue_.tables()) {
    table_sql_[t.id] =
        TableSql{InsertSql(t), "SELECT _scope, _cl, _v FROM " + Quote(t.name) + " WHERE id = ?",
                 "SELECT _cl, _v" + ColumnList(t) + " FROM " + Quote(t.name) + " WHERE id = ?"};
  }

  // Load node and scope indexes.
  OUTPOST_RETURN_IF_ERROR(ReloadIndices());
  OUTPOST_ASSIGN_OR_RETURN(self_idx_, NodeIndex(self_));
  {
    auto last = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'hlc'");
    if (last.ok()) hlc_.Restore(static_cast<HlcTime>(*last));
  }

  // Values held aside for columns or tables this schema now knows: move them
  // into place, with their own versions (docs/crdt.md, "Schema evolution").
  if (stored_version < catalogue_.version()) {
    for (const Table& t : catalogue_.tables()) {
      OUTPOST_ASSIGN_OR_RETURN(
          auto st,
          db_.Prepare("SELECT id, col, scope, cl, value, hlc, origin FROM crdt_extra WHERE tbl = ? "
                      "ORDER BY id, col"));
      st->Bind(1, static_cast<int64_t>(t.id));
      // One row change per row, scope, incarnation and author (a row's
      // marker, column 0, joins the first group of its row), so a row
      // arrives whole, as its batch carried it.
      struct Move {
        RowChange rc;
        uint32_t origin = 0, scope = 0;
        bool has_origin = false;
        std::vector<uint16_t> cols;  // crdt_extra entries it came from
      };
      std::vector<Move> moves;
      for (;;) {
        OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        uint16_t col = static_cast<uint16_t>(st->Int(1));
        if (col != 0 && t.FindColumnById(col) == nullptr) continue;  // still unknown
        auto b = st->Blob(0);
        if (b.size() != 16) return Status::Corruption("crdt_extra: id is not 16 bytes");
        Uuid id;
        std::memcpy(id.data(), b.data(), 16);
        const auto cl = static_cast<uint32_t>(st->Int(3));
        const auto scope = static_cast<uint32_t>(st->Int(2));
        const auto origin = static_cast<uint32_t>(st->Int(6));
        Move* m = moves.empty() ? nullptr : &moves.back();
        if (m == nullptr || m->rc.id != id || m->scope != scope || m->rc.causal_length != cl ||
            (col != 0 && m->has_origin && m->origin != origin)) {
          moves.emplace_back();
          m = &moves.back();
          m->rc.table = t.id;
          m->rc.id = id;
          m->rc.causal_length = cl;
          m->scope = scope;
          m->origin = origin;
        }
        if (col != 0) {
          m->rc.columns.push_back({col, static_cast<HlcTime>(st->Int(5)), ReadValue(*st, 4)});
          m->origin = origin;
          m->has_origin = true;
        }
        m->cols.push_back(col);
      }
      st.reset();
      // Checked as a merge checks them (what could not be checked while
      // the table was unknown): the table's scope rule, then ApplyRow's
      // types, append-only and scope checks. A row that fails is set aside
      // in crdt_replay_refused and the store opens anyway.
      for (auto& m : moves) {
        Status refused;
        if (t.scope == schema::ScopeRule::kShared) {
          OUTPOST_ASSIGN_OR_RETURN(std::string scope_name, ScopeName(m.scope));
          if (scope_name != "shared") {
            refused = Status::PermissionDenied(t.name + " row " + UuidToString(m.rc.id) +
                                               ": a table only HQ writes (scope shared), held "
                                               "in scope \"" +
                                               scope_name + "\"");
          }
        }
        if (refused.ok()) {
          OUTPOST_ASSIGN_OR_RETURN(auto sp, Savepoint::Begin(db_));
          auto applied = ApplyRow(m.rc, m.origin, m.scope, 0);
          if (applied.ok()) {
            OUTPOST_RETURN_IF_ERROR(sp->Release());
          } else {
            refused = applied.status();  // sp rolls the row back
          }
        }
        if (!refused.ok()) {
          OUTPOST_ASSIGN_OR_RETURN(
              auto ins, db_.Cached("INSERT INTO crdt_replay_refused(tbl, id, scope, origin, "
                                   "reason) VALUES(?, ?, ?, ?, ?)"));
          ins->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, m.rc.id);
          ins->Bind(3, static_cast<int64_t>(m.scope)).Bind(4, static_cast<int64_t>(m.origin));
          ins->Bind(5, refused.message());
          OUTPOST_RETURN_IF_ERROR(ins->Run());
        }
        for (uint16_t col : m.cols) {
          OUTPOST_ASSIGN_OR_RETURN(
              auto del, db_.Cached("DELETE FROM crdt_extra WHERE tbl = ? AND id = ? AND col = ?"));
          del->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, m.rc.id);
          del->Bind(3, static_cast<int64_t>(col));
          OUTPOST_RETURN_IF_ERROR(del->Run());
        }
      }
    }
    OUTPOST_ASSIGN_OR_RETURN(auto up,
                             db_.Prepare("INSERT INTO crdt_meta VALUES('schema_version', ?) "
                                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
    up->Bind(1, static_cast<int64_t>(catalogue_.version()));
    OUTPOST_RETURN_IF_ERROR(up->Run());
  }
  return txn->Commit();
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

const NodeId& Replica::NodeAt(uint32_t idx) const {
  static const NodeId kNone{};
  if (idx >= nodes_.size() || nodes_[idx] == kNone) (void)ReloadIndices();
  return idx < nodes_.size() ? nodes_[idx] : kNone;
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

// ---------------------------------------------------------------------------
// Local writes

Result<std::unique_ptr<Writer>> Replica::BeginWrite() {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  // The clock is read after the write lock is held, so stamps from two
  // processes sharing the store follow the commit order.
  auto last = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'hlc'");
  if (last.ok()) hlc_.Restore(static_cast<HlcTime>(*last));
  HlcTime now = hlc_.Now();
  return std::unique_ptr<Writer>(new Writer(*this, std::move(txn), now));
}

Writer::~Writer() = default;

namespace {
Status CheckColumns(const Table& t, std::span<const ColumnValue> values,
                    std::vector<const Column*>* defs) {
  for (const auto& cv : values) {
    const Column* c = t.FindColumnById(cv.column);
    if (c == nullptr) {
      return Status::InvalidArgument(t.name + ": no column with id " + std::to_string(cv.column));
    }
    OUTPOST_RETURN_IF_ERROR(CheckType(t, *c, cv.value));
    defs->push_back(c);
  }
  return Status::Ok();
}
}  // namespace

Result<uint32_t> Writer::ScopeFor(const std::string& scope) {
  for (const auto& [name, idx] : scopes_) {
    if (name == scope) return idx;
  }
  OUTPOST_ASSIGN_OR_RETURN(uint32_t idx, replica_.ScopeIndex(scope));
  scopes_.emplace_back(scope, idx);
  return idx;
}

void Writer::NotePending(const Table& t, const Uuid& id, int64_t scope_index, uint32_t cl) {
  PendingNames* names = nullptr;
  for (auto& p : pending_) {
    if (p.scope == scope_index) names = &p;
  }
  if (names == nullptr) {
    pending_.push_back({scope_index, {}, {}});
    names = &pending_.back();
    names->bytes.reserve(4096);
  }
  // table, bytes shared with the previous id (ids made together share
  // their time prefix), the rest of the id, causal length.
  size_t shared = 0;
  while (shared < 16 && id[shared] == names->last[shared]) ++shared;
  PutVarint(names->bytes, t.id);
  names->bytes.push_back(static_cast<uint8_t>(shared));
  names->bytes.insert(names->bytes.end(), id.begin() + static_cast<ptrdiff_t>(shared), id.end());
  PutVarint(names->bytes, cl);
  names->last = id;
  ++rows_;
}

Result<Stmt*> Writer::InsertStmt(const Table& t) {
  for (auto& [tid, ref] : inserts_) {
    if (tid == t.id) return &*ref;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto ref, replica_.db_.Cached(replica_.Sql(t).insert));
  inserts_.emplace_back(t.id, std::move(ref));
  return &*inserts_.back().second;
}

// The hot path of local writes (bench/crdt_bench.cc): no heap allocation for
// up to 64 columns, and one prepared statement per table held for the whole
// transaction.
Status Writer::Insert(const Table& t, const Uuid& id, const std::string& scope,
                      std::span<const ColumnValue> values) {
  constexpr size_t kSmall = 64;
  const size_t n = values.size();
  int small_pos[kSmall];
  std::vector<int> big_pos;
  int* pos = small_pos;
  if (n > kSmall) {
    big_pos.resize(n);
    pos = big_pos.data();
  }
  uint16_t cols[kSmall];
  bool ascending = n > 0 && n <= kSmall;
  for (size_t i = 0; i < n; ++i) {
    const uint16_t cid = values[i].column;
    // Catalogue columns are usually numbered 1, 2, 3... in order.
    const Column* c = cid >= 1 && cid <= t.columns.size() && t.columns[cid - 1].id == cid
                          ? &t.columns[cid - 1]
                          : t.FindColumnById(cid);
    if (c == nullptr) {
      return Status::InvalidArgument(t.name + ": no column with id " + std::to_string(cid));
    }
    if (!TypeFits(*c, values[i].value)) return WrongType(t, *c);
    pos[i] = ColumnPosition(t, c);
    if (ascending) {
      if (i > 0 && cid <= cols[i - 1]) ascending = false;
      cols[i] = cid;
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(uint32_t scope_index, ScopeFor(scope));
  uint8_t vbuf[ColumnVersions::OneWriterBound(kSmall)];
  Bytes vbig;
  std::span<const uint8_t> versions;
  if (ascending) {
    versions = {vbuf, ColumnVersions::EncodeOneWriterTo({cols, n}, hlc_, replica_.self_idx_, vbuf)};
  } else {  // no, unordered, repeated or very many columns
    ColumnVersions v;
    for (const auto& cv : values) v.Set(cv.column, hlc_, replica_.self_idx_);
    vbig = v.Encode();
    versions = vbig;
  }
  OUTPOST_ASSIGN_OR_RETURN(Stmt * st, InsertStmt(t));
  // The statement was reset, so every parameter is NULL: bind only what is
  // given.
  st->BindBlob(1, id);
  for (size_t i = 0; i < n; ++i) BindValue(*st, pos[i] + 2, values[i].value);
  const int k = static_cast<int>(t.columns.size()) + 2;
  st->Bind(k, static_cast<int64_t>(scope_index)).Bind(k + 1, int64_t{1});
  // `versions` outlives the step below: no copy.
  sqlite3_bind_blob(st->raw(), k + 2, versions.data(), static_cast<int>(versions.size()),
                    SQLITE_STATIC);
  // No lookup first: the primary key refuses an id that exists (ids are
  // fresh UUIDv7s, so this is the rare path).
  Status s = st->Run();
  st->Reset();
  if (s.code() == Code::kConflict) {
    return Status::AlreadyExists(t.name + " " + UuidToString(id) + " already exists");
  }
  OUTPOST_RETURN_IF_ERROR(s);
  NotePending(t, id, scope_index, 1);
  return Status::Ok();
}

Status Writer::Update(const Table& t, const Uuid& id, std::span<const ColumnValue> values) {
  if (t.append_only) {
    return Status::PermissionDenied(t.name + " is append-only: rows cannot be changed");
  }
  std::vector<const Column*> defs;
  OUTPOST_RETURN_IF_ERROR(CheckColumns(t, values, &defs));
  Db& db = replica_.db_;
  OUTPOST_ASSIGN_OR_RETURN(RowMeta meta, LoadMeta(db, replica_.Sql(t).meta, t, id));
  if (!meta.exists || meta.cl % 2 == 0) {
    return Status::NotFound(t.name + " " + UuidToString(id) + " does not exist");
  }
  std::vector<ColumnChange> changes;
  for (const auto& cv : values) {
    meta.versions.Set(cv.column, hlc_, replica_.self_idx_);
    changes.push_back({cv.column, hlc_, cv.value});
  }
  std::vector<const ColumnChange*> ptrs;
  for (const auto& c : changes) ptrs.push_back(&c);
  OUTPOST_RETURN_IF_ERROR(WriteRow(db, t, id, ptrs, defs, meta.cl, meta.versions));
  NotePending(t, id, meta.scope, meta.cl);
  return Status::Ok();
}

Status Writer::Delete(const Table& t, const Uuid& id, bool erase_nominal) {
  if (t.append_only) {
    return Status::PermissionDenied(t.name + " is append-only: rows cannot be deleted");
  }
  Db& db = replica_.db_;
  OUTPOST_ASSIGN_OR_RETURN(RowMeta meta, LoadMeta(db, replica_.Sql(t).meta, t, id));
  if (!meta.exists || meta.cl % 2 == 0) {
    return Status::NotFound(t.name + " " + UuidToString(id) + " does not exist");
  }
  // A new (dead) incarnation: its versions start afresh (docs/crdt.md, invariant 7); the
  // columns not erased stay behind as this node's hidden copy.
  ColumnVersions versions;
  std::vector<ColumnChange> changes;
  std::vector<const Column*> defs;
  if (erase_nominal) {
    for (const auto& c : t.columns) {
      if (t.nominal || c.nominal) {
        versions.Set(c.id, hlc_, replica_.self_idx_);
        changes.push_back({c.id, hlc_, Value{}});
        defs.push_back(&c);
      }
    }
  }
  std::vector<const ColumnChange*> ptrs;
  for (const auto& c : changes) ptrs.push_back(&c);
  uint32_t cl = meta.cl + 1;
  OUTPOST_RETURN_IF_ERROR(WriteRow(db, t, id, ptrs, defs, cl, versions));
  // The delete's batch (for CompactTombstones) is noted when it is sealed.
  NotePending(t, id, meta.scope, cl);
  return Status::Ok();
}

Status Writer::Undelete(const Table& t, const Uuid& id) {
  Db& db = replica_.db_;
  OUTPOST_ASSIGN_OR_RETURN(RowMeta meta, LoadMeta(db, replica_.Sql(t).meta, t, id));
  if (!meta.exists || meta.cl % 2 == 1) {
    return Status::NotFound(t.name + " " + UuidToString(id) + " is not a deleted row");
  }
  // A new live incarnation: every column is restamped, keeping the hidden
  // value held here, and its batch carries them all, so the row each replica
  // brings back does not depend on what it held (docs/crdt.md, invariant 7).
  ColumnVersions versions;
  for (const auto& c : t.columns) versions.Set(c.id, hlc_, replica_.self_idx_);
  uint32_t cl = meta.cl + 1;
  OUTPOST_RETURN_IF_ERROR(WriteRow(db, t, id, {}, {}, cl, versions));
  // Live again: no longer a tombstone CompactTombstones may reclaim.
  OUTPOST_RETURN_IF_ERROR(replica_.NoteTombstone(t, id, cl, replica_.self_idx_, 0, 0));
  NotePending(t, id, meta.scope, cl);
  return Status::Ok();
}

Status Writer::Commit() {
  if (!txn_) return Status::FailedPrecondition("the write was already committed or failed");
  Db& db = replica_.db_;
  for (const auto& names : pending_) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("INSERT INTO crdt_pending VALUES(?, ?, ?)"));
    st->Bind(1, names.scope).Bind(2, static_cast<int64_t>(hlc_));
    sqlite3_bind_blob(st->raw(), 3, names.bytes.data(), static_cast<int>(names.bytes.size()),
                      SQLITE_STATIC);
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             db.Cached("INSERT INTO crdt_meta VALUES('hlc', ?) ON CONFLICT(key) DO "
                                       "UPDATE SET value = excluded.value"));
    st->Bind(1, static_cast<int64_t>(replica_.hlc_.last()));
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  Status s = txn_->Commit();
  txn_.reset();
  return s;
}

// ---------------------------------------------------------------------------
// Merge

Status Replica::StoreExtra(const RowChange& row, const ColumnChange* col, uint32_t origin_idx,
                           uint32_t scope_idx) {
  uint16_t cid = col ? col->column : 0;
  HlcTime hlc = col ? col->hlc : 0;
  OUTPOST_ASSIGN_OR_RETURN(
      auto sel,
      db_.Cached("SELECT hlc, origin, cl FROM crdt_extra WHERE tbl = ? AND id = ? AND col = ?"));
  sel->Bind(1, static_cast<int64_t>(row.table))
      .BindBlob(2, row.id)
      .Bind(3, static_cast<int64_t>(cid));
  OUTPOST_ASSIGN_OR_RETURN(bool found, sel->Step());
  uint32_t cl = row.causal_length;
  if (found) {
    HlcTime cur = static_cast<HlcTime>(sel->Int(0));
    uint32_t cur_origin = static_cast<uint32_t>(sel->Int(1));
    uint32_t cur_cl = static_cast<uint32_t>(sel->Int(2));
    if (!col) {  // the row marker of an unknown table: causal length by max
      cl = std::max(cl, cur_cl);
      hlc = cur;
      origin_idx = cur_origin;
    } else {
      // Values ordered by (incarnation, HLC, node id), as in ApplyRow.
      bool wins =
          cl > cur_cl ||
          (cl == cur_cl && (hlc > cur || (hlc == cur && NodeAt(origin_idx) > NodeAt(cur_origin))));
      if (!wins) return Status::Ok();
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db_.Cached("INSERT OR REPLACE INTO crdt_extra(tbl, id, col, scope, cl, value, hlc, origin) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, static_cast<int64_t>(row.table))
      .BindBlob(2, row.id)
      .Bind(3, static_cast<int64_t>(cid));
  st->Bind(4, static_cast<int64_t>(scope_idx)).Bind(5, static_cast<int64_t>(cl));
  if (col)
    BindValue(*st, 6, col->value);
  else
    st->BindNull(6);
  st->Bind(7, static_cast<int64_t>(hlc)).Bind(8, static_cast<int64_t>(origin_idx));
  return st->Run();
}

Status Replica::NoteTombstone(const Table& t, const Uuid& id, uint32_t cl, uint32_t origin_idx,
                              uint32_t scope_idx, uint64_t seq) {
  if (cl % 2 == 1) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("DELETE FROM crdt_tomb WHERE tbl = ? AND id = ?"));
    st->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, id);
    return st->Run();
  }
  if (seq == 0) return Status::Ok();  // replayed at upgrade: its batch is unknown
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db_.Cached("INSERT OR REPLACE INTO crdt_tomb(tbl, id, origin, scope, seq) "
                          "VALUES(?, ?, ?, ?, ?)"));
  st->Bind(1, static_cast<int64_t>(t.id)).BindBlob(2, id);
  st->Bind(3, static_cast<int64_t>(origin_idx)).Bind(4, static_cast<int64_t>(scope_idx));
  st->Bind(5, static_cast<int64_t>(seq));
  return st->Run();
}

Result<size_t> Replica::ApplyRow(const RowChange& row, uint32_t origin_idx, uint32_t scope_idx,
                                 uint64_t seq) {
  const Table* t = catalogue_.FindById(row.table);
  if (t == nullptr) {
    // A table from a newer schema: hold every value aside until we know it.
    OUTPOST_RETURN_IF_ERROR(StoreExtra(row, nullptr, origin_idx, scope_idx));
    for (const auto& c : row.columns)
      OUTPOST_RETURN_IF_ERROR(StoreExtra(row, &c, origin_idx, scope_idx));
    return size_t{0};
  }
  std::vector<const ColumnChange*> known;
  std::vector<const Column*> defs;
  for (const auto& c : row.columns) {
    const Column* def = t->FindColumnById(c.column);
    if (def == nullptr) {
      OUTPOST_RETURN_IF_ERROR(StoreExtra(row, &c, origin_idx, scope_idx));
      continue;
    }
    // The context is built only on failure: formatting the id for every
    // column cost a third of the merge (bench/crdt_bench.cc).
    if (Status ts = CheckType(*t, *def, c.value); !ts.ok()) {
      return ts.WithContext("row " + UuidToString(row.id));
    }
    known.push_back(&c);
    defs.push_back(def);
  }
  OUTPOST_ASSIGN_OR_RETURN(RowMeta meta, LoadMeta(db_, Sql(*t).meta, *t, row.id));
  if (!meta.exists) {
    if (t->append_only && row.causal_length != 1) {
      return Status::PermissionDenied(t->name + " is append-only: row " + UuidToString(row.id) +
                                      " cannot be deleted");
    }
    ColumnVersions v;
    OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(Sql(*t).insert));
    st->BindBlob(1, row.id);  // Cached() reset it: the other parameters are NULL
    for (size_t i = 0; i < known.size(); ++i) {
      const ColumnVersion* cur = v.Find(known[i]->column);
      // Within one row change a column appears once; guard anyway.
      if (cur && cur->hlc > known[i]->hlc) continue;
      BindValue(*st, ColumnPosition(*t, defs[i]) + 2, known[i]->value);
      v.Set(known[i]->column, known[i]->hlc, origin_idx);
    }
    int n = static_cast<int>(t->columns.size()) + 2;
    st->Bind(n, static_cast<int64_t>(scope_idx))
        .Bind(n + 1, static_cast<int64_t>(row.causal_length));
    st->BindBlob(n + 2, v.Encode());
    OUTPOST_RETURN_IF_ERROR(st->Run());
    if (row.causal_length % 2 == 0) {
      OUTPOST_RETURN_IF_ERROR(
          NoteTombstone(*t, row.id, row.causal_length, origin_idx, scope_idx, seq));
    }
    return known.size();
  }
  if (meta.scope != scope_idx) {
    return Status::PermissionDenied(t->name + " row " + UuidToString(row.id) +
                                    " belongs to another scope than the batch");
  }
  if (t->append_only) {
    return Status::PermissionDenied(t->name + " is append-only: row " + UuidToString(row.id) +
                                    " already exists and cannot be changed");
  }
  // docs/crdt.md, invariant 7: an older incarnation cannot touch the row; a newer one
  // starts it afresh (every stored version is of the row's incarnation).
  if (row.causal_length < meta.cl) return size_t{0};
  const bool fresh = row.causal_length > meta.cl;
  if (fresh) meta.versions = ColumnVersions{};
  std::vector<const ColumnChange*> winners;
  std::vector<const Column*> winner_defs;
  for (size_t i = 0; i < known.size(); ++i) {
    const ColumnChange* c = known[i];
    const ColumnVersion* cur = meta.versions.Find(c->column);
    // Equal stamps: the higher node id wins; from the same origin, equal
    // stamps come from one transaction and the later entry wins (entries of
    // one origin are applied in chain order everywhere).
    bool wins = cur == nullptr || c->hlc > cur->hlc ||
                (c->hlc == cur->hlc &&
                 (origin_idx == cur->origin || NodeAt(origin_idx) > NodeAt(cur->origin)));
    if (!wins) continue;
    meta.versions.Set(c->column, c->hlc, origin_idx);
    winners.push_back(c);
    winner_defs.push_back(defs[i]);
  }
  if (winners.empty() && !fresh) return size_t{0};
  size_t won = winners.size();
  // A new live incarnation shows only what it wrote: the other columns read
  // NULL (a dead one keeps them as this node's hidden copy).
  std::vector<ColumnChange> nulls;
  if (fresh && row.causal_length % 2 == 1) {
    nulls.reserve(t->columns.size());
    for (const auto& c : t->columns) {
      if (std::find(winner_defs.begin(), winner_defs.end(), &c) != winner_defs.end()) continue;
      nulls.push_back({c.id, 0, Value{}});
      winners.push_back(&nulls.back());
      winner_defs.push_back(&c);
    }
  }
  OUTPOST_RETURN_IF_ERROR(
      WriteRow(db_, *t, row.id, winners, winner_defs, row.causal_length, meta.versions));
  if (fresh) {
    OUTPOST_RETURN_IF_ERROR(
        NoteTombstone(*t, row.id, row.causal_length, origin_idx, scope_idx, seq));
  }
  return won;
}

Result<Replica::ChainHead> Replica::ReadChainHead(uint32_t origin_idx, uint32_t scope_idx) {
  ChainHead head;
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db_.Cached("SELECT seq, hash FROM crdt_vv WHERE origin = ? AND scope = ?"));
  st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
  OUTPOST_ASSIGN_OR_RETURN(bool found, st->Step());
  if (found) {
    head.seq = static_cast<uint64_t>(st->Int(0));
    auto h = st->Blob(1);
    if (h.size() != 32) return Status::Corruption("crdt_vv: hash is not 32 bytes");
    std::memcpy(head.hash.data(), h.data(), 32);
  }
  return head;
}

Status Replica::WriteChainHead(uint32_t origin_idx, uint32_t scope_idx, const ChainHead& head) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db_.Cached("INSERT INTO crdt_vv VALUES(?, ?, ?, ?) ON CONFLICT(origin, scope) DO UPDATE SET "
                 "seq = excluded.seq, hash = excluded.hash"));
  st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
  st->Bind(3, static_cast<int64_t>(head.seq)).BindBlob(4, head.hash);
  return st->Run();
}

Result<size_t> Replica::ApplyBatch(const ChangeBatch& batch, uint32_t origin_idx,
                                   uint32_t scope_idx) {
  size_t n = 0;
  for (const auto& row : batch.rows) {
    OUTPOST_ASSIGN_OR_RETURN(size_t k, ApplyRow(row, origin_idx, scope_idx, batch.seq));
    n += k;
  }
  return n;
}

Result<MergeReport> Replica::Merge(std::span<const SignedBatch> batches,
                                   const BatchVerifier& verify) {
  MergeReport report;
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  const HlcTime clock_before = hlc_.last();
  for (const SignedBatch& in : batches) {
    auto decoded = DecodeBatchBody(in.body);
    if (!decoded.ok()) {
      report.refused.push_back(decoded.status());
      continue;
    }
    ChangeBatch batch = std::move(*decoded);
    std::string label = "batch " + std::to_string(batch.seq) + " of " + UuidToString(batch.origin) +
                        " in " + batch.scope;
    Status vs = verify(batch, in);
    if (!vs.ok()) {
      report.refused.push_back(vs.WithContext(label));
      continue;
    }
    Hash hash = HashBody(in.body);
    OUTPOST_ASSIGN_OR_RETURN(uint32_t origin_idx, NodeIndex(batch.origin));
    OUTPOST_ASSIGN_OR_RETURN(uint32_t scope_idx, ScopeIndex(batch.scope));

    // Where does the chain stand?
    OUTPOST_ASSIGN_OR_RETURN(ChainHead head, ReadChainHead(origin_idx, scope_idx));
    uint64_t cur_seq = head.seq;
    Hash cur_hash = head.hash;
    // Seen before (applied or buffered)? Same bytes: duplicate. Else equivocation.
    {
      OUTPOST_ASSIGN_OR_RETURN(
          auto st,
          db_.Cached(
              "SELECT hash, applied FROM crdt_batch WHERE origin = ? AND scope = ? AND seq = ?"));
      st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
      st->Bind(3, static_cast<int64_t>(batch.seq));
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (row) {
        auto h = st->Blob(0);
        if (h.size() != 32 || std::memcmp(h.data(), hash.data(), 32) != 0) {
          report.refused.push_back(Status::Conflict(
              label + ": equivocation: the author signed two different batches with this number"));
        } else {
          ++report.duplicates;
        }
        continue;
      }
    }
    if (batch.seq <= cur_seq) {  // applied long ago and since pruned
      ++report.duplicates;
      continue;
    }
    if (origin_idx == self_idx_) {
      report.refused.push_back(Status::Conflict(
          label + ": claims to be this node's own batch, which this node never wrote"));
      continue;
    }
    if (batch.seq > cur_seq + options_.max_buffered_ahead) {
      report.refused.push_back(Status::Unavailable(
          label + ": " + std::to_string(batch.seq - cur_seq) +
          " ahead of the last batch applied from its chain (" + std::to_string(cur_seq) +
          "), more than the " + std::to_string(options_.max_buffered_ahead) +
          " held while earlier ones are missing; not stored, it comes again"));
      continue;
    }
    if (batch.seq > cur_seq + 1) {  // a gap: wait for the missing batches
      OUTPOST_ASSIGN_OR_RETURN(
          auto st,
          db_.Cached("INSERT INTO crdt_batch(origin, scope, seq, hash, hlc, applied, body, sig) "
                     "VALUES(?, ?, ?, ?, ?, 0, ?, ?)"));
      st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
      st->Bind(3, static_cast<int64_t>(batch.seq)).BindBlob(4, hash);
      st->Bind(5, static_cast<int64_t>(batch.hlc)).BindBlob(6, in.body).BindBlob(7, in.signature);
      OUTPOST_RETURN_IF_ERROR(st->Run());
      ++report.buffered;
      continue;
    }
    // In order: apply it, then any buffered successors.
    bool from_buffer = false;
    for (;;) {
      Status refused;
      if (batch.prev_hash != cur_hash) {
        refused = Status::Conflict(label +
                                   ": does not follow the previous batch of its author "
                                   "(chain hash mismatch: equivocation or corruption)");
      } else {
        refused = hlc_.CheckSkew(batch.hlc).WithContext(label);
        if (refused.ok()) refused = StampsWithinBatch(batch).WithContext(label);
      }
      if (refused.ok()) {
        OUTPOST_ASSIGN_OR_RETURN(auto sp, Savepoint::Begin(db_));
        auto applied = ApplyBatch(batch, origin_idx, scope_idx);
        if (!applied.ok()) {
          refused = applied.status().WithContext(label);
        } else {
          report.column_changes += *applied;
          (void)hlc_.Observe(batch.hlc);
          if (from_buffer) {
            OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached("UPDATE crdt_batch SET applied = 1 WHERE "
                                                         "origin = ? AND scope = ? AND seq = ?"));
            st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
            st->Bind(3, static_cast<int64_t>(batch.seq));
            OUTPOST_RETURN_IF_ERROR(st->Run());
          } else {
            OUTPOST_ASSIGN_OR_RETURN(
                auto st,
                db_.Cached(
                    "INSERT INTO crdt_batch(origin, scope, seq, hash, hlc, applied, body, sig) "
                    "VALUES(?, ?, ?, ?, ?, 1, ?, ?)"));
            st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
            st->Bind(3, static_cast<int64_t>(batch.seq)).BindBlob(4, hash);
            st->Bind(5, static_cast<int64_t>(batch.hlc))
                .BindBlob(6, in.body)
                .BindBlob(7, in.signature);
            OUTPOST_RETURN_IF_ERROR(st->Run());
          }
          OUTPOST_RETURN_IF_ERROR(WriteChainHead(origin_idx, scope_idx, {batch.seq, hash}));
          OUTPOST_RETURN_IF_ERROR(sp->Release());
          ++report.applied;
          cur_seq = batch.seq;
          cur_hash = hash;
        }
      }
      if (!refused.ok()) {
        report.refused.push_back(refused);
        if (from_buffer) {  // a bad buffered batch is dropped; it may come again
          OUTPOST_ASSIGN_OR_RETURN(auto st,
                                   db_.Cached("DELETE FROM crdt_batch WHERE origin = ? AND scope = "
                                              "? AND seq = ? AND applied = 0"));
          st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
          st->Bind(3, static_cast<int64_t>(batch.seq));
          OUTPOST_RETURN_IF_ERROR(st->Run());
        }
        break;
      }
      // Next buffered batch of this chain, if it is waiting.
      OUTPOST_ASSIGN_OR_RETURN(auto st,
                               db_.Cached("SELECT body, hash FROM crdt_batch WHERE origin = ? AND "
                                          "scope = ? AND seq = ? AND applied = 0"));
      st->Bind(1, static_cast<int64_t>(origin_idx)).Bind(2, static_cast<int64_t>(scope_idx));
      st->Bind(3, static_cast<int64_t>(cur_seq + 1));
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      auto body = st->Blob(0);
      auto next = DecodeBatchBody(body);
      auto h = st->Blob(1);
      if (!next.ok() || h.size() != 32) break;  // verified on arrival; cannot happen
      std::memcpy(hash.data(), h.data(), 32);
      batch = std::move(*next);
      label = "batch " + std::to_string(batch.seq) + " of " + UuidToString(batch.origin) + " in " +
              batch.scope;
      from_buffer = true;
    }
  }
  // Only when the clock moved: a merge that applies nothing changes no byte
  // (invariant 1; tests/sync/merge_laws_test.cc).
  if (hlc_.last() != clock_before) {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             db_.Cached("INSERT INTO crdt_meta VALUES('hlc', ?) ON CONFLICT(key) "
                                        "DO UPDATE SET value = excluded.value"));
    st->Bind(1, static_cast<int64_t>(hlc_.last()));
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return report;
}

// ---------------------------------------------------------------------------
// Sealing, signing, extraction, version vectors

Result<size_t> Replica::Seal() {
  // Most calls find nothing pending: answer without taking the write lock.
  {
    OUTPOST_ASSIGN_OR_RETURN(int64_t any,
                             db_.QueryInt("SELECT EXISTS(SELECT 1 FROM crdt_pending)"));
    if (any == 0) return size_t{0};
  }
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  // The rows named since the last seal, per scope: the first and last stamp
  // they were written at here, and the causal length the last write left.
  struct Named {
    HlcTime first = 0, last = 0;
    uint32_t cl = 0;
  };
  using RowKey = std::pair<uint16_t, Uuid>;
  std::map<uint32_t, std::map<RowKey, Named>> named;
  {
    OUTPOST_ASSIGN_OR_RETURN(auto sel,
                             db_.Prepare("SELECT scope, hlc, rows FROM crdt_pending ORDER BY hlc"));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, sel->Step());
      if (!row) break;
      auto& rows = named[static_cast<uint32_t>(sel->Int(0))];
      const auto hlc = static_cast<HlcTime>(sel->Int(1));
      auto in = sel->Blob(2);
      Uuid last{};
      for (size_t pos = 0; pos < in.size();) {
        uint64_t tbl = 0, cl = 0;
        RowKey key;
        // Writer::NotePending's layout.
        bool ok = GetVarint(in, &pos, &tbl) && tbl <= UINT16_MAX && pos < in.size();
        size_t shared = ok ? in[pos++] : 0;
        ok = ok && shared <= 16 && in.size() - pos >= 16 - shared;
        if (ok) {
          std::memcpy(key.second.data(), last.data(), shared);
          std::memcpy(key.second.data() + shared, in.data() + pos, 16 - shared);
          pos += 16 - shared;
          last = key.second;
          ok = GetVarint(in, &pos, &cl) && cl >= 1 && cl <= UINT32_MAX;
        }
        if (!ok) return Status::Corruption("crdt_pending: a malformed list of written rows");
        key.first = static_cast<uint16_t>(tbl);
        auto [it, fresh] = rows.try_emplace(key, Named{hlc, hlc, static_cast<uint32_t>(cl)});
        if (!fresh) {
          it->second.last = hlc;
          it->second.cl = static_cast<uint32_t>(cl);
        }
      }
    }
  }
  size_t made = 0;
  for (const auto& [scope, rows] : named) {
    // This node's chain in the scope.
    OUTPOST_ASSIGN_OR_RETURN(ChainHead head, ReadChainHead(self_idx_, scope));
    uint64_t seq = head.seq;
    Hash prev = head.hash;
    OUTPOST_ASSIGN_OR_RETURN(std::string scope_name, ScopeName(scope));
    std::unique_ptr<BatchBodyBuilder> builder;
    HlcTime stamp = 0;
    auto flush = [&]() -> Status {
      if (!builder || builder->rows() == 0) return Status::Ok();
      std::span<const uint8_t> body = builder->FinishInPlace(seq + 1, prev);
      Hash hash = HashBody(body);
      OUTPOST_ASSIGN_OR_RETURN(
          auto st, db_.Cached("INSERT INTO crdt_batch(origin, scope, seq, hash, hlc, applied, "
                              "body, sig) VALUES(?, ?, ?, ?, ?, 1, ?, x'')"));
      st->Bind(1, static_cast<int64_t>(self_idx_)).Bind(2, static_cast<int64_t>(scope));
      st->Bind(3, static_cast<int64_t>(seq + 1)).BindBlob(4, hash);
      st->Bind(5, static_cast<int64_t>(stamp));
      sqlite3_bind_blob(st->raw(), 6, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      OUTPOST_RETURN_IF_ERROR(st->Run());
      ++seq;
      prev = hash;
      ++made;
      return Status::Ok();
    };
    // Stamp order: rows written together travel together.
    std::vector<std::pair<const RowKey*, const Named*>> order;
    order.reserve(rows.size());
    for (const auto& [key, n] : rows) order.emplace_back(&key, &n);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& x, const auto& y) { return x.second->last < y.second->last; });
    // Reused across rows: one read statement per table, checked out once.
    std::vector<std::pair<uint16_t, StmtRef>> reads;
    ColumnVersions versions;
    std::vector<std::pair<const Column*, HlcTime>> cols;
    for (const auto& [key, n] : order) {
      const Table* t = catalogue_.FindById(key->first);
      if (t == nullptr) {
        return Status::Corruption("crdt_pending: a row of unknown table " +
                                  std::to_string(key->first));
      }
      const Uuid& id = key->second;
      Stmt* row = nullptr;
      for (auto& [tid, ref] : reads) {
        if (tid == t->id) row = &*ref;
      }
      if (row == nullptr) {
        OUTPOST_ASSIGN_OR_RETURN(auto ref, db_.Cached(Sql(*t).seal));
        reads.emplace_back(t->id, std::move(ref));
        row = &*reads.back().second;
      }
      row->Reset();
      sqlite3_bind_blob(row->raw(), 1, id.data(), 16, SQLITE_STATIC);  // outlives the read
      OUTPOST_ASSIGN_OR_RETURN(bool found, row->Step());
      // A newer incarnation from another node replaced the one written here:
      // those writes lost to it on every replica, so there is nothing to send.
      if (!found || row->Int(0) != n->cl) continue;
      if (!ColumnVersions::Decode(row->Blob(1), &versions)) {
        return Status::Corruption(t->name + " row " + UuidToString(id) +
                                  ": column versions are unreadable");
      }
      // One batch per stamp: a batch's stamp is never before its columns'
      // (merge invariant 9).
      if (!builder || n->last != stamp || builder->size() >= options_.max_batch_bytes) {
        OUTPOST_RETURN_IF_ERROR(flush());
        if (!builder || n->last != stamp) {
          stamp = n->last;
          builder = std::make_unique<BatchBodyBuilder>(
              self_, scope_name, catalogue_.version(), stamp,
              std::min<size_t>(options_.max_batch_bytes + 4096, kMaxBatchBodyBytes));
        }
      }
      // This node's columns written since the row was first named; a column
      // another node has since overwritten travels in that node's batch.
      cols.clear();
      for (const ColumnVersion& v : versions.entries()) {
        if (v.origin != self_idx_ || v.hlc < n->first) continue;
        if (v.hlc > n->last) {
          // Every write here names its rows, so this cannot be: refuse to
          // seal a batch every receiver would refuse (invariant 9).
          return Status::Internal(t->name + " row " + UuidToString(id) + " column " +
                                  std::to_string(v.column) + " is stamped " +
                                  std::to_string(v.hlc) + ", after the last write named for it (" +
                                  std::to_string(n->last) + "); nothing was sealed");
        }
        const Column* c = t->FindColumnById(v.column);
        if (c != nullptr) cols.emplace_back(c, v.hlc);
      }
      builder->BeginRow(t->id, id, n->cl, cols.size());
      for (const auto& [c, hlc] : cols) {
        builder->AddColumn(c->id, hlc, ReadValueRef(*row, ColumnPosition(*t, c) + 2));
      }
      if (n->cl % 2 == 0) {
        // The batch this row goes into makes it a tombstone: number seq + 1.
        OUTPOST_RETURN_IF_ERROR(NoteTombstone(*t, id, n->cl, self_idx_, scope, seq + 1));
      }
    }
    OUTPOST_RETURN_IF_ERROR(flush());
    if (seq == head.seq) continue;  // every named row was left out
    OUTPOST_RETURN_IF_ERROR(WriteChainHead(self_idx_, scope, {seq, prev}));
  }
  OUTPOST_RETURN_IF_ERROR(db_.Exec("DELETE FROM crdt_pending"));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return made;
}

Status Replica::SignPending(const std::function<Bytes(std::span<const uint8_t>)>& sign) {
  OUTPOST_RETURN_IF_ERROR(Seal().status());
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  OUTPOST_ASSIGN_OR_RETURN(
      auto sel,
      db_.Prepare("SELECT rowid, body FROM crdt_batch WHERE origin = ? AND length(sig) = 0"));
  sel->Bind(1, static_cast<int64_t>(self_idx_));
  std::vector<std::pair<int64_t, Bytes>> sigs;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, sel->Step());
    if (!row) break;
    Bytes sig = sign(SigningInput(sel->Blob(1)));
    if (sig.size() != 64)
      return Status::Internal("signer returned " + std::to_string(sig.size()) + " bytes");
    sigs.emplace_back(sel->Int(0), std::move(sig));
  }
  sel.reset();
  for (const auto& [rowid, sig] : sigs) {
    OUTPOST_ASSIGN_OR_RETURN(auto up, db_.Cached("UPDATE crdt_batch SET sig = ? WHERE rowid = ?"));
    up->BindBlob(1, sig).Bind(2, rowid);
    OUTPOST_RETURN_IF_ERROR(up->Run());
  }
  return txn->Commit();
}

Result<VersionVector> Replica::GetVersionVector() {
  OUTPOST_RETURN_IF_ERROR(Seal().status());
  return ReadVersionVector();
}

Result<VersionVector> Replica::ReadVersionVector() const {
  VersionVector vv;
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db_.Prepare(
          "SELECT n.node_id, s.name, v.seq FROM crdt_vv v JOIN crdt_node n ON n.idx = v.origin "
          "JOIN crdt_scope s ON s.idx = v.scope"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    NodeId id{};
    auto b = st->Blob(0);
    if (b.size() != 16) return Status::Corruption("crdt_node: node id is not 16 bytes");
    std::memcpy(id.data(), b.data(), 16);
    vv.Set(id, std::string(st->Text(1)), static_cast<uint64_t>(st->Int(2)));
  }
  return vv;
}

Result<int64_t> Replica::PruneLog(const VersionVector& acked) {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  int64_t dropped = 0;
  for (const auto& [key, seq] : acked.seqs) {
    const auto& [origin, scope] = key;
    auto n = node_index_.find(origin);
    auto sc = scope_index_.find(scope);
    if (n == node_index_.end() || sc == scope_index_.end()) {
      OUTPOST_RETURN_IF_ERROR(ReloadIndices());
      n = node_index_.find(origin);
      sc = scope_index_.find(scope);
    }
    if (n == node_index_.end() || sc == scope_index_.end()) continue;
    // Own batches not yet signed have not left this node: never pruned.
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        db_.Cached(
            "DELETE FROM crdt_batch WHERE origin = ? AND scope = ? AND seq <= ? AND applied = 1 "
            "AND (origin != ? OR length(sig) > 0)"));
    st->Bind(1, static_cast<int64_t>(n->second)).Bind(2, static_cast<int64_t>(sc->second));
    st->Bind(3, static_cast<int64_t>(seq)).Bind(4, static_cast<int64_t>(self_idx_));
    OUTPOST_RETURN_IF_ERROR(st->Run());
    dropped += db_.Changes();
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return dropped;
}

Result<int64_t> Replica::CompactTombstones(const VersionVector& acked) {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  std::vector<std::pair<int64_t, Bytes>> due;
  for (const auto& [key, seq] : acked.seqs) {
    const auto& [origin, scope] = key;
    auto n = node_index_.find(origin);
    auto sc = scope_index_.find(scope);
    if (n == node_index_.end() || sc == scope_index_.end()) {
      OUTPOST_RETURN_IF_ERROR(ReloadIndices());
      n = node_index_.find(origin);
      sc = scope_index_.find(scope);
    }
    if (n == node_index_.end() || sc == scope_index_.end()) continue;
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        db_.Cached("SELECT tbl, id FROM crdt_tomb WHERE origin = ? AND scope = ? AND seq <= ?"));
    st->Bind(1, static_cast<int64_t>(n->second)).Bind(2, static_cast<int64_t>(sc->second));
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
      // Keep id, scope and causal length (docs/crdt.md, invariant 8); drop values and
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
    size_t max_bytes) {
  OUTPOST_ASSIGN_OR_RETURN(VersionVector mine, GetVersionVector());
  std::vector<OutgoingBatch> out;
  size_t bytes = 0;
  for (const auto& [key, seq] : mine.seqs) {
    const auto& [origin, scope] = key;
    uint64_t have = peer.Get(origin, scope);
    if (have >= seq || !allowed(scope)) continue;
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        db_.Cached(
            "SELECT b.seq, b.body, b.sig FROM crdt_batch b JOIN crdt_node n ON n.idx = b.origin "
            "JOIN crdt_scope s ON s.idx = b.scope WHERE n.node_id = ? AND s.name = ? AND b.seq > ? "
            "AND b.applied = 1 ORDER BY b.seq"));
    st->BindBlob(1, origin).Bind(2, std::string_view(scope)).Bind(3, static_cast<int64_t>(have));
    for (;;) {
      if (!out.empty() && bytes >= max_bytes) return out;
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      OutgoingBatch ob;
      ob.origin = origin;
      ob.scope = scope;
      ob.seq = static_cast<uint64_t>(st->Int(0));
      auto body = st->Blob(1);
      auto sig = st->Blob(2);
      ob.batch.body.assign(body.begin(), body.end());
      ob.batch.signature.assign(sig.begin(), sig.end());
      bytes += ob.batch.body.size() + ob.batch.signature.size();
      out.push_back(std::move(ob));
    }
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
      // A tombstone's values are local (docs/crdt.md, invariant 7): only id and length.
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
