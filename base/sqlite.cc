#include "base/sqlite.h"

#include <sqlite3.h>

namespace outpost {

// " (database /path/outpost.db)" when the connection has a file, so that an
// I/O error or a full disk names the store it happened to.
static std::string OnFile(sqlite3* db) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if (file == nullptr || *file == '\0') return "";
  return std::string(" (database ") + file + ")";
}

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  int primary = rc & 0xff;
  if (primary == SQLITE_OK || primary == SQLITE_ROW || primary == SQLITE_DONE) {
    return Status::Ok();
  }
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(msg + " (another process is writing to this store; try again)");
    case SQLITE_CONSTRAINT:
      return Status::Conflict(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_FULL:
      return Status::IoError(msg + OnFile(db) + ": disk full; free space and retry");
    case SQLITE_IOERR:
      return Status::IoError(msg + OnFile(db));
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IoError(msg);
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return Status::InvalidArgument(msg);
    default:
      return Status::Internal(msg);
  }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

static void Keep(int& slot, int rc) {
  if (rc != SQLITE_OK && slot == SQLITE_OK) slot = rc;
}

Stmt& Stmt::BindNull(int i) {
  Keep(bind_rc_, sqlite3_bind_null(stmt_, i));
  return *this;
}
Stmt& Stmt::Bind(int i, int64_t v) {
  Keep(bind_rc_, sqlite3_bind_int64(stmt_, i, v));
  return *this;
}
Stmt& Stmt::Bind(int i, double v) {
  Keep(bind_rc_, sqlite3_bind_double(stmt_, i, v));
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view text) {
  Keep(bind_rc_,
       sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::span<const uint8_t> blob) {
  // A zero-length blob must still bind as a blob, not NULL.
  static const uint8_t kEmpty = 0;
  Keep(bind_rc_, sqlite3_bind_blob64(stmt_, i, blob.empty() ? &kEmpty : blob.data(), blob.size(),
                                     SQLITE_TRANSIENT));
  return *this;
}

Result<bool> Stmt::Step() {
  if (bind_rc_ != SQLITE_OK) {
    int rc = bind_rc_;
    bind_rc_ = SQLITE_OK;
    return SqliteStatus(rc, db_->raw(), "bind");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteStatus(rc, db_->raw(), "step");
  sqlite3_reset(stmt_);
  return s;
}

Status Stmt::Run() {
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

int Stmt::ColumnCount() const { return sqlite3_column_count(stmt_); }
int Stmt::ColumnType(int col) const { return sqlite3_column_type(stmt_, col); }
bool Stmt::IsNull(int col) const { return ColumnType(col) == SQLITE_NULL; }
int64_t Stmt::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::Double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string_view Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::string Stmt::TextOrEmpty(int col) const {
  return IsNull(col) ? std::string() : std::string(Text(col));
}
std::span<const uint8_t> Stmt::Blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}
std::string_view Stmt::ColumnName(int col) const {
  const char* n = sqlite3_column_name(stmt_, col);
  return n ? n : "";
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, const DbOptions& options) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags,
                           options.vfs.empty() ? nullptr : options.vfs.c_str());
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, raw, "open " + path);
    sqlite3_close_v2(raw);
    return s;
  }
  std::unique_ptr<Db> db(new Db(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  if (!options.read_only) {
    // journal_mode=WAL is persistent; it needs the write lock once.
    auto mode = db->QueryText("PRAGMA journal_mode=WAL");
    if (!mode.ok()) return mode.status().WithContext("open " + path);
  }
  OUTPOST_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  OUTPOST_RETURN_IF_ERROR(db->SetDurability(options.durability));
  return db;
}

Db::~Db() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  return SqliteStatus(rc, db_, "exec");
}

Result<std::unique_ptr<Stmt>> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_, "prepare \"" + std::string(sql.substr(0, 80)) + "\"");
  }
  return std::unique_ptr<Stmt>(new Stmt(this, st));
}

Result<StmtRef> Db::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, Prepare(sql));
    it = cache_.emplace(sql, std::move(st)).first;
  }
  it->second->Reset();
  return StmtRef(it->second.get());
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, Prepare(sql));
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound("no row for: " + std::string(sql));
  return st->Int(0);
}

Result<std::string> Db::QueryText(std::string_view sql) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, Prepare(sql));
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound("no row for: " + std::string(sql));
  return std::string(st->Text(0));
}

Status Db::SetDurability(Durability d) {
  return Exec(d == Durability::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

int64_t Db::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::Changes() const { return sqlite3_changes(db_); }
bool Db::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<std::unique_ptr<Transaction>> Transaction::Begin(Db& db, TxnMode mode) {
  OUTPOST_RETURN_IF_ERROR(db.Exec(mode == TxnMode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status s = db_.Exec("COMMIT");
  if (s.ok()) done_ = true;
  return s;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

}  // namespace outpost
