#include "sync/row_sql.h"

#include <algorithm>

namespace outpost::sync::internal {

using schema::Column;
using schema::ColumnType;
using schema::Table;
using schema::Value;

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

std::string ColumnList(const Table& t) {
  std::string s;
  for (const auto& c : t.columns) {
    s += ", ";
    s += QuoteIdentifier(c.name);
  }
  return s;
}

std::string InsertSql(const Table& t) {
  std::string sql = "INSERT INTO " + QuoteIdentifier(t.name) + "(id" + ColumnList(t) +
                    ", _scope, _cl, _v) VALUES(?";
  for (size_t i = 0; i < t.columns.size() + 3; ++i) sql += ", ?";
  return sql + ")";
}

std::vector<const Column*> ById(const Table& t) {
  std::vector<const Column*> cols;
  for (const auto& c : t.columns) cols.push_back(&c);
  std::sort(cols.begin(), cols.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return cols;
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

Status WrongType(const Table& t, const Column& c) {
  return Status::InvalidArgument(t.name + "." + c.name +
                                 ": value of the wrong type or size for a " + SqlType(c.type) +
                                 " column");
}

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

Status WriteRow(Db& db, const Table& t, const Uuid& id,
                const std::vector<const ColumnChange*>& cols,
                const std::vector<const Column*>& defs, uint32_t cl, const ColumnVersions& v) {
  std::string sql = "UPDATE " + QuoteIdentifier(t.name) + " SET ";
  for (const Column* c : defs) sql += QuoteIdentifier(c->name) + " = ?, ";
  sql += "_cl = ?, _v = ? WHERE id = ?";
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached(sql));
  int i = 1;
  for (const ColumnChange* c : cols) BindValue(*st, i++, c->value);
  st->Bind(i++, static_cast<int64_t>(cl));
  st->BindBlob(i++, v.Encode());
  st->BindBlob(i++, id);
  return st->Run();
}

Status NoteTombstone(Db& db, uint16_t table, const Uuid& id, uint32_t cl, uint32_t origin_idx,
                     uint32_t scope_idx, uint64_t seq) {
  if (cl % 2 == 1) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("DELETE FROM crdt_tomb WHERE tbl = ? AND id = ?"));
    st->Bind(1, static_cast<int64_t>(table)).BindBlob(2, id);
    return st->Run();
  }
  if (seq == 0) return Status::Ok();  // replayed at upgrade: its batch is unknown
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("INSERT OR REPLACE INTO crdt_tomb(tbl, id, origin, scope, seq) "
                         "VALUES(?, ?, ?, ?, ?)"));
  st->Bind(1, static_cast<int64_t>(table)).BindBlob(2, id);
  st->Bind(3, static_cast<int64_t>(origin_idx)).Bind(4, static_cast<int64_t>(scope_idx));
  st->Bind(5, static_cast<int64_t>(seq));
  return st->Run();
}

Result<std::unique_ptr<Savepoint>> Savepoint::Begin(Db& db) {
  OUTPOST_RETURN_IF_ERROR(db.Exec("SAVEPOINT batch"));
  return std::unique_ptr<Savepoint>(new Savepoint(db));
}

Savepoint::~Savepoint() {
  if (!done_) (void)db_.Exec("ROLLBACK TO batch; RELEASE batch");
}

Status Savepoint::Release() {
  Status s = db_.Exec("RELEASE batch");
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace outpost::sync::internal
