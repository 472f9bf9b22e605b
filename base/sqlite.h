// RAII wrapper over SQLite: the database handle, prepared statements (with a
// per-connection cache), and transactions that roll back unless committed.
//
// Thread safety: a Db and its statements belong to one thread at a time.
// Errors: SQLite result codes are translated here, once:
//   SQLITE_BUSY / SQLITE_LOCKED -> kBusy (after the busy timeout expired)
//   SQLITE_CONSTRAINT           -> kConflict
//   SQLITE_CORRUPT / NOTADB     -> kCorruption
//   SQLITE_IOERR / FULL / CANTOPEN / READONLY -> kIoError (I/O errors and
//                                   a full disk name the database file)
//   anything else               -> kInternal
#ifndef OUTPOST_BASE_SQLITE_H_
#define OUTPOST_BASE_SQLITE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace outpost {

// Translates a SQLite result code (with the connection's message when given).
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

enum class Durability {
  kFull,    // synchronous=FULL: a commit survives a power cut
  kNormal,  // synchronous=NORMAL: survives a process crash; bulk loads
};

struct DbOptions {
  bool create = true;
  bool read_only = false;
  int busy_timeout_ms = 5000;
  Durability durability = Durability::kFull;
  // The name of a registered SQLite VFS to open the file through (e.g. a
  // fault-injecting shim in tests); empty: SQLite's default VFS. The VFS
  // must stay registered while the Db is open.
  std::string vfs;
};

class Db;

// A prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Stmt {
 public:
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& BindNull(int i);
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, double v);
  Stmt& Bind(int i, std::string_view text);              // bound as TEXT, copied
  Stmt& BindBlob(int i, std::span<const uint8_t> blob);  // copied
  // Binding errors (index out of range) are bugs; they surface at Step().

  // true: a row is ready; false: done. Errors are translated.
  Result<bool> Step();
  // Steps to completion, expecting no rows.
  Status Run();
  void Reset();  // resets and clears bindings

  int ColumnCount() const;
  int ColumnType(int col) const;  // SQLITE_INTEGER, ... SQLITE_NULL
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  std::string_view Text(int col) const;          // valid until the next Step/Reset
  std::string TextOrEmpty(int col) const;        // a copy; "" when NULL
  std::span<const uint8_t> Blob(int col) const;  // same lifetime
  std::string_view ColumnName(int col) const;

  sqlite3_stmt* raw() { return stmt_; }

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;
};

// A cached statement checked out of Db::Cached(); resets on scope exit.
class StmtRef {
 public:
  explicit StmtRef(Stmt* s) : s_(s) {}
  StmtRef(StmtRef&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  StmtRef(const StmtRef&) = delete;
  ~StmtRef() {
    if (s_) s_->Reset();
  }
  Stmt* operator->() { return s_; }
  Stmt& operator*() { return *s_; }

 private:
  Stmt* s_;
};

// `name` as an SQL identifier in double quotes, inner quotes doubled.
std::string QuoteIdentifier(std::string_view name);

class Db {
 public:
  // Opens (or creates) the database at `path` in WAL mode with foreign keys
  // on. ":memory:" opens a private in-memory database.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, const DbOptions& options = {});
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements that return no rows needed by the caller.
  Status Exec(std::string_view sql);
  // A fresh statement owned by the caller.
  Result<std::unique_ptr<Stmt>> Prepare(std::string_view sql);
  // A statement from the per-connection cache (prepared once per SQL text).
  Result<StmtRef> Cached(const std::string& sql);

  // Single-value conveniences for setup code and tests.
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  Status SetDurability(Durability d);
  int64_t LastInsertRowid() const;
  int Changes() const;
  bool InTransaction() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

enum class TxnMode { kDeferred, kImmediate };

// BEGIN on construction; ROLLBACK in the destructor unless Commit() succeeded.
// Use kImmediate for writers: the write lock is taken up front, so a busy
// store fails here (after the busy timeout) rather than midway.
class Transaction {
 public:
  static Result<std::unique_ptr<Transaction>> Begin(Db& db, TxnMode mode = TxnMode::kImmediate);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Commit();

 private:
  explicit Transaction(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

}  // namespace outpost

#endif  // OUTPOST_BASE_SQLITE_H_
