// Internal to sync/: the SQL of replicated rows shared by the replica's
// files (replica.cc, writer.cc, replica_merge.cc, replica_seal.cc,
// replica_schema.cc). Binding and reading values, the storage type a column
// accepts, a row's hidden columns (_scope, _cl, _v: docs/crdt.md, "Model"),
// and a savepoint that rolls back unless released.
//
// The hot helpers (TypeFits, BindValue, ReadValueRef, ColumnPosition) are
// inline: the local write path calls them per column (bench/crdt_bench.cc).
//
// Thread safety: as the Replica (one thread at a time per Db).
#ifndef OUTPOST_SYNC_ROW_SQL_H_
#define OUTPOST_SYNC_ROW_SQL_H_

#include <sqlite3.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "base/status.h"
#include "schema/catalogue.h"
#include "sync/change_batch.h"
#include "sync/column_versions.h"

namespace outpost::sync::internal {

// The SQLite storage type of a catalogue column type.
const char* SqlType(schema::ColumnType t);

// ", c1, c2, ..." in catalogue order.
std::string ColumnList(const schema::Table& t);

// INSERT INTO t(id, c1.., _scope, _cl, _v) VALUES(?, ...): the id is
// parameter 1, column i (catalogue position) is i + 2, then _scope, _cl, _v.
std::string InsertSql(const schema::Table& t);

// Columns in ascending id order: the canonical order of the digest.
std::vector<const schema::Column*> ById(const schema::Table& t);

inline int ColumnPosition(const schema::Table& t, const schema::Column* c) {
  return static_cast<int>(c - t.columns.data());
}

inline void BindValue(Stmt& st, int i, const schema::Value& v) {
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

// Binds a blob that outlives the statement's next step, without a copy.
// An empty span binds an empty blob, not NULL.
inline void BindStaticBlob(Stmt& st, int i, std::span<const uint8_t> b) {
  static constexpr uint8_t kEmpty = 0;
  sqlite3_bind_blob(st.raw(), i, b.empty() ? &kEmpty : b.data(), static_cast<int>(b.size()),
                    SQLITE_STATIC);
}

// The value in column `col` of the statement's current row, copied.
schema::Value ReadValue(const Stmt& st, int col);

// The same value, borrowed from the statement's current row (valid until it
// steps or resets).
inline ValueRef ReadValueRef(const Stmt& st, int col) {
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
inline bool TypeFits(const schema::Column& c, const schema::Value& v) {
  switch (c.type) {
    case schema::ColumnType::kText:
      return v.index() == 0 || (v.index() == 3 && std::get<std::string>(v).size() <= c.max_len);
    case schema::ColumnType::kInteger:
    case schema::ColumnType::kBool:
    case schema::ColumnType::kTime:
      return v.index() == 0 || v.index() == 1;
    case schema::ColumnType::kReal:
      return v.index() == 0 || v.index() == 1 ||
             (v.index() == 2 && std::isfinite(std::get<double>(v)));
    case schema::ColumnType::kId:
      return v.index() == 0 || (v.index() == 4 && std::get<Bytes>(v).size() == 16);
    case schema::ColumnType::kBlob:
      return v.index() == 0 || v.index() == 4;
  }
  return false;
}

// kInvalidArgument naming the table, the column and its type.
Status WrongType(const schema::Table& t, const schema::Column& c);

inline Status CheckType(const schema::Table& t, const schema::Column& c, const schema::Value& v) {
  return TypeFits(c, v) ? Status::Ok() : WrongType(t, c);
}

// A row's hidden columns.
struct RowMeta {
  bool exists = false;
  int64_t scope = 0;
  uint32_t cl = 0;
  ColumnVersions versions;
};

// `sql` is the table's precomputed "SELECT _scope, _cl, _v ... WHERE id = ?".
// kCorruption if `_v` does not decode.
Result<RowMeta> LoadMeta(Db& db, const std::string& sql, const schema::Table& t, const Uuid& id);

// UPDATE t SET c1 = ?, ..., _cl = ?, _v = ? WHERE id = ?, with `cols[i]`'s
// value for `defs[i]`.
Status WriteRow(Db& db, const schema::Table& t, const Uuid& id,
                const std::vector<const ColumnChange*>& cols,
                const std::vector<const schema::Column*>& defs, uint32_t cl,
                const ColumnVersions& v);

// Records (or forgets, when the row is live again: `cl` odd) which batch
// made a row a tombstone, in crdt_tomb, for CompactTombstones. `seq` 0: the
// batch is unknown (values replayed at upgrade): nothing is recorded.
Status NoteTombstone(Db& db, uint16_t table, const Uuid& id, uint32_t cl, uint32_t origin_idx,
                     uint32_t scope_idx, uint64_t seq);

// SAVEPOINT batch ... RELEASE, rolled back on destruction unless released.
class Savepoint {
 public:
  static Result<std::unique_ptr<Savepoint>> Begin(Db& db);
  ~Savepoint();
  Status Release();

 private:
  explicit Savepoint(Db& db) : db_(db) {}
  Db& db_;
  bool done_ = false;
};

}  // namespace outpost::sync::internal

#endif  // OUTPOST_SYNC_ROW_SQL_H_
