// Local writes: Replica::BeginWrite and the Writer (sync/replica.h). Each
// write stores the row with its hidden columns and names it in the pending
// log (sync/pending_names.h); Commit stores the names with the rows, in one
// transaction (docs/crdt.md, "The change log").
#include <sqlite3.h>

#include "sync/replica.h"
#include "sync/row_sql.h"

namespace outpost::sync {

using internal::BindValue;
using internal::ColumnPosition;
using internal::LoadMeta;
using internal::RowMeta;
using internal::TypeFits;
using internal::WriteRow;
using internal::WrongType;
using schema::Column;
using schema::Table;
using schema::Value;

Result<std::unique_ptr<Writer>> Replica::BeginWrite() {
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  // The clock is read after the write lock is held, so stamps from two
  // processes sharing the store follow the commit order.
  auto last = db_.QueryInt("SELECT value FROM crdt_meta WHERE key = 'hlc'");
  if (last.ok()) hlc_.Restore(static_cast<HlcTime>(*last));
  HlcTime now = hlc_.Now();
  std::unique_ptr<Writer> w(new Writer(*this, std::move(txn), now));
  w->changed_.Reset(options_.max_journal_rows / 2);
  return w;
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
    OUTPOST_RETURN_IF_ERROR(internal::CheckType(t, *c, cv.value));
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
  changes_rows_ |= !t.append_only;  // an append-only log (audit) changes no existing row
  if (!t.append_only) changed_.Add(t.id, id);
  PendingNamesEncoder* names = nullptr;
  for (auto& p : pending_) {
    if (p.scope == scope_index) names = &p.names;
  }
  if (names == nullptr) names = &pending_.emplace_back(scope_index).names;
  names->Add(t.id, id, cl);
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
  internal::BindStaticBlob(*st, k + 2, versions);
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
  // A new (dead) incarnation: its versions start afresh (invariant 7, docs/crdt.md); the
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
  // brings back does not depend on what it held (invariant 7, docs/crdt.md).
  ColumnVersions versions;
  for (const auto& c : t.columns) versions.Set(c.id, hlc_, replica_.self_idx_);
  uint32_t cl = meta.cl + 1;
  OUTPOST_RETURN_IF_ERROR(WriteRow(db, t, id, {}, {}, cl, versions));
  // Live again: no longer a tombstone CompactTombstones may reclaim.
  OUTPOST_RETURN_IF_ERROR(internal::NoteTombstone(db, t.id, id, cl, replica_.self_idx_, 0, 0));
  NotePending(t, id, meta.scope, cl);
  return Status::Ok();
}

Status Writer::Commit() {
  if (!txn_) return Status::FailedPrecondition("the write was already committed or failed");
  Db& db = replica_.db_;
  for (const auto& p : pending_) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("INSERT INTO crdt_pending VALUES(?, ?, ?)"));
    st->Bind(1, p.scope).Bind(2, static_cast<int64_t>(hlc_));
    internal::BindStaticBlob(*st, 3, p.names.bytes());
    OUTPOST_RETURN_IF_ERROR(st->Run());
  }
  OUTPOST_RETURN_IF_ERROR(replica_.SaveClock());
  if (changes_rows_) OUTPOST_RETURN_IF_ERROR(replica_.CountChange(changed_));
  Status s = txn_->Commit();
  txn_.reset();
  return s;
}

}  // namespace outpost::sync
