// Replica::Merge: received batches into the store (docs/crdt.md, "Merge
// invariants"; the invariants cited below are numbered as there).
//
//   Merge            one transaction for the call (invariant 5, docs/crdt.md)
//    `- MergeOne     decode, verify, place the batch against its chain:
//        |           duplicate or equivocation (1), own batch, too far
//        |           ahead, buffered behind a gap (2), or next in order
//        `- ApplyInOrder   chained (3): the batch, then each buffered successor
//            `- ApplyInSavepoint   checks (9, skew) and rows, in a
//                |                 savepoint: a refusal leaves nothing (4)
//                `- ApplyBatch / ApplyRow   per row: a new row or a merge
//                                           into the stored one (2, 6, 7)
#include <algorithm>
#include <cstring>

#include "sync/replica.h"
#include "sync/row_sql.h"

namespace outpost::sync {

using internal::BatchLog;
using internal::ChainHead;
using schema::Column;
using schema::Table;
using schema::Value;

namespace {

std::string BatchLabel(const ChangeBatch& batch) {
  return "batch " + std::to_string(batch.seq) + " of " + UuidToString(batch.origin) + " in " +
         batch.scope;
}

// A column's stamp is never after its batch's: the skew check and the
// receiver's clock (Observe) see only the batch's stamp, so a later column
// stamp would slip a far-future time past both (invariant 9, docs/crdt.md).
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

Result<MergeReport> Replica::Merge(std::span<const SignedBatch> batches,
                                   const BatchVerifier& verify) {
  MergeReport report;
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  merged_.Reset(options_.max_journal_rows / 2);
  const HlcTime clock_before = hlc_.last();
  for (const SignedBatch& in : batches) OUTPOST_RETURN_IF_ERROR(MergeOne(in, verify, &report));
  // Only when the clock moved: a merge that applies nothing changes no byte
  // (invariant 1, docs/crdt.md; tests/sync/merge_laws_test.cc).
  if (hlc_.last() != clock_before) OUTPOST_RETURN_IF_ERROR(SaveClock());
  if (report.applied > 0) OUTPOST_RETURN_IF_ERROR(CountChange(merged_));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return report;
}

Status Replica::MergeOne(const SignedBatch& in, const BatchVerifier& verify, MergeReport* report) {
  auto decoded = DecodeBatchBody(in.body);
  if (!decoded.ok()) {
    report->refused.push_back(decoded.status());
    return Status::Ok();
  }
  ChangeBatch batch = std::move(*decoded);
  const std::string label = BatchLabel(batch);
  if (Status vs = verify(batch, in); !vs.ok()) {
    report->refused.push_back(vs.WithContext(label));
    return Status::Ok();
  }
  const Hash hash = HashBody(in.body);
  OUTPOST_ASSIGN_OR_RETURN(uint32_t origin_idx, NodeIndex(batch.origin));
  OUTPOST_ASSIGN_OR_RETURN(uint32_t scope_idx, ScopeIndex(batch.scope));
  OUTPOST_ASSIGN_OR_RETURN(ChainHead head, log_.Head(origin_idx, scope_idx));
  // Seen before (applied or buffered)? Same bytes: duplicate. Else equivocation.
  OUTPOST_ASSIGN_OR_RETURN(auto stored, log_.StoredHash(origin_idx, scope_idx, batch.seq));
  if (stored) {
    if (*stored != hash) {
      report->refused.push_back(Status::Conflict(
          label + ": equivocation: the author signed two different batches with this number"));
    } else {
      ++report->duplicates;
    }
    return Status::Ok();
  }
  if (batch.seq <= head.seq) {  // applied long ago and since pruned
    ++report->duplicates;
    return Status::Ok();
  }
  if (origin_idx == self_idx_) {
    report->refused.push_back(Status::Conflict(
        label + ": claims to be this node's own batch, which this node never wrote"));
    return Status::Ok();
  }
  if (batch.seq > head.seq + options_.max_buffered_ahead) {
    report->refused.push_back(Status::Unavailable(
        label + ": " + std::to_string(batch.seq - head.seq) +
        " ahead of the last batch applied from its chain (" + std::to_string(head.seq) +
        "), more than the " + std::to_string(options_.max_buffered_ahead) +
        " held while earlier ones are missing; not stored, it comes again"));
    return Status::Ok();
  }
  if (batch.seq > head.seq + 1) {  // a gap: wait for the missing batches
    OUTPOST_RETURN_IF_ERROR(log_.Insert(
        {origin_idx, scope_idx, batch.seq, hash, batch.hlc, false, in.body, in.signature}));
    ++report->buffered;
    return Status::Ok();
  }
  return ApplyInOrder(std::move(batch), in, hash, origin_idx, scope_idx, head, report);
}

Status Replica::ApplyInOrder(ChangeBatch batch, const SignedBatch& in, Hash hash,
                             uint32_t origin_idx, uint32_t scope_idx, ChainHead head,
                             MergeReport* report) {
  std::optional<internal::BufferedBatch> buffered;  // the batch, when it came from the buffer
  for (;;) {
    Status refused;
    if (batch.prev_hash != head.hash) {
      refused = Status::Conflict(BatchLabel(batch) +
                                 ": does not follow the previous batch of its author "
                                 "(chain hash mismatch: equivocation or corruption)");
    } else {
      const SignedBatch* arrived = buffered ? nullptr : &in;
      OUTPOST_RETURN_IF_ERROR(
          ApplyInSavepoint(batch, arrived, hash, origin_idx, scope_idx, report, &refused));
    }
    if (!refused.ok()) {
      report->refused.push_back(refused);
      // A bad buffered batch is dropped; it may come again.
      if (buffered) OUTPOST_RETURN_IF_ERROR(log_.DropBuffered(origin_idx, scope_idx, batch.seq));
      return Status::Ok();
    }
    head = {batch.seq, hash};
    // Next buffered batch of this chain, if it is waiting.
    OUTPOST_ASSIGN_OR_RETURN(buffered, log_.Buffered(origin_idx, scope_idx, head.seq + 1));
    if (!buffered) return Status::Ok();
    auto next = DecodeBatchBody(buffered->body);
    if (!next.ok()) return Status::Ok();  // verified on arrival; cannot happen
    batch = std::move(*next);
    hash = buffered->hash;
  }
}

Status Replica::ApplyInSavepoint(const ChangeBatch& batch, const SignedBatch* arrived,
                                 const Hash& hash, uint32_t origin_idx, uint32_t scope_idx,
                                 MergeReport* report, Status* refused) {
  const std::string label = BatchLabel(batch);
  *refused = hlc_.CheckSkew(batch.hlc).WithContext(label);
  if (refused->ok()) *refused = StampsWithinBatch(batch).WithContext(label);
  if (!refused->ok()) return Status::Ok();
  OUTPOST_ASSIGN_OR_RETURN(auto sp, internal::Savepoint::Begin(db_));
  auto applied = ApplyBatch(batch, origin_idx, scope_idx);
  if (!applied.ok()) {
    *refused = applied.status().WithContext(label);  // sp rolls the batch back
    return Status::Ok();
  }
  report->column_changes += *applied;
  for (const auto& row : batch.rows) {  // for the change journal (sync/change_journal.h)
    const Table* t = catalogue_.FindById(row.table);
    if (t != nullptr && !t->append_only) merged_.Add(row.table, row.id);
  }
  (void)hlc_.Observe(batch.hlc);
  if (arrived == nullptr) {
    OUTPOST_RETURN_IF_ERROR(log_.MarkApplied(origin_idx, scope_idx, batch.seq));
  } else {
    OUTPOST_RETURN_IF_ERROR(log_.Insert({origin_idx, scope_idx, batch.seq, hash, batch.hlc, true,
                                         arrived->body, arrived->signature}));
  }
  OUTPOST_RETURN_IF_ERROR(log_.SetHead(origin_idx, scope_idx, {batch.seq, hash}));
  OUTPOST_RETURN_IF_ERROR(sp->Release());
  ++report->applied;
  return Status::Ok();
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
  KnownColumns known;
  for (const auto& c : row.columns) {
    const Column* def = t->FindColumnById(c.column);
    if (def == nullptr) {
      OUTPOST_RETURN_IF_ERROR(StoreExtra(row, &c, origin_idx, scope_idx));
      continue;
    }
    // The context is built only on failure: formatting the id for every
    // column cost a third of the merge (bench/crdt_bench.cc).
    if (Status ts = internal::CheckType(*t, *def, c.value); !ts.ok()) {
      return ts.WithContext("row " + UuidToString(row.id));
    }
    known.changes.push_back(&c);
    known.defs.push_back(def);
  }
  OUTPOST_ASSIGN_OR_RETURN(internal::RowMeta meta,
                           internal::LoadMeta(db_, Sql(*t).meta, *t, row.id));
  if (!meta.exists) return InsertRow(*t, row, known, origin_idx, scope_idx, seq);
  return MergeRow(*t, row, known, std::move(meta), origin_idx, scope_idx, seq);
}

Result<size_t> Replica::InsertRow(const Table& t, const RowChange& row, const KnownColumns& known,
                                  uint32_t origin_idx, uint32_t scope_idx, uint64_t seq) {
  if (t.append_only && row.causal_length != 1) {
    return Status::PermissionDenied(t.name + " is append-only: row " + UuidToString(row.id) +
                                    " cannot be deleted");
  }
  ColumnVersions v;
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(Sql(t).insert));
  st->BindBlob(1, row.id);  // Cached() reset it: the other parameters are NULL
  for (size_t i = 0; i < known.changes.size(); ++i) {
    const ColumnChange* c = known.changes[i];
    const ColumnVersion* cur = v.Find(c->column);
    // Within one row change a column appears once; guard anyway.
    if (cur && cur->hlc > c->hlc) continue;
    internal::BindValue(*st, internal::ColumnPosition(t, known.defs[i]) + 2, c->value);
    v.Set(c->column, c->hlc, origin_idx);
  }
  int n = static_cast<int>(t.columns.size()) + 2;
  st->Bind(n, static_cast<int64_t>(scope_idx)).Bind(n + 1, static_cast<int64_t>(row.causal_length));
  st->BindBlob(n + 2, v.Encode());
  OUTPOST_RETURN_IF_ERROR(st->Run());
  if (row.causal_length % 2 == 0) {
    OUTPOST_RETURN_IF_ERROR(
        internal::NoteTombstone(db_, t.id, row.id, row.causal_length, origin_idx, scope_idx, seq));
  }
  return known.changes.size();
}

Result<size_t> Replica::MergeRow(const Table& t, const RowChange& row, const KnownColumns& known,
                                 internal::RowMeta meta, uint32_t origin_idx, uint32_t scope_idx,
                                 uint64_t seq) {
  if (meta.scope != scope_idx) {
    return Status::PermissionDenied(t.name + " row " + UuidToString(row.id) +
                                    " belongs to another scope than the batch");
  }
  if (t.append_only) {
    return Status::PermissionDenied(t.name + " is append-only: row " + UuidToString(row.id) +
                                    " already exists and cannot be changed");
  }
  // Invariant 7, docs/crdt.md: an older incarnation cannot touch the row; a
  // newer one starts it afresh (every stored version is of the row's incarnation).
  if (row.causal_length < meta.cl) return size_t{0};
  const bool fresh = row.causal_length > meta.cl;
  if (fresh) meta.versions = ColumnVersions{};
  KnownColumns winners;
  OUTPOST_RETURN_IF_ERROR(PickWinners(known, origin_idx, &meta.versions, &winners));
  if (winners.changes.empty() && !fresh) return size_t{0};
  const size_t won = winners.changes.size();
  // A new live incarnation shows only what it wrote: the other columns read
  // NULL (a dead one keeps them as this node's hidden copy).
  std::vector<ColumnChange> nulls;
  if (fresh && row.causal_length % 2 == 1) {
    nulls.reserve(t.columns.size());
    for (const auto& c : t.columns) {
      if (std::find(winners.defs.begin(), winners.defs.end(), &c) != winners.defs.end()) continue;
      nulls.push_back({c.id, 0, Value{}});
      winners.changes.push_back(&nulls.back());
      winners.defs.push_back(&c);
    }
  }
  OUTPOST_RETURN_IF_ERROR(internal::WriteRow(db_, t, row.id, winners.changes, winners.defs,
                                             row.causal_length, meta.versions));
  if (fresh) {
    OUTPOST_RETURN_IF_ERROR(
        internal::NoteTombstone(db_, t.id, row.id, row.causal_length, origin_idx, scope_idx, seq));
  }
  return won;
}

Status Replica::PickWinners(const KnownColumns& known, uint32_t origin_idx,
                            ColumnVersions* versions, KnownColumns* winners) {
  for (size_t i = 0; i < known.changes.size(); ++i) {
    const ColumnChange* c = known.changes[i];
    const ColumnVersion* cur = versions->Find(c->column);
    // Equal stamps: the higher node id wins; from the same origin, equal
    // stamps come from one transaction and the later entry wins (entries of
    // one origin are applied in chain order everywhere: invariant 6, docs/crdt.md).
    bool wins = cur == nullptr || c->hlc > cur->hlc;
    if (!wins && c->hlc == cur->hlc) {
      if (origin_idx == cur->origin) {
        wins = true;
      } else {
        OUTPOST_ASSIGN_OR_RETURN(wins, NodeAfter(origin_idx, cur->origin));
      }
    }
    if (!wins) continue;
    versions->Set(c->column, c->hlc, origin_idx);
    winners->changes.push_back(c);
    winners->defs.push_back(known.defs[i]);
  }
  return Status::Ok();
}

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
      bool wins = cl > cur_cl || (cl == cur_cl && hlc > cur);
      if (!wins && cl == cur_cl && hlc == cur) {
        OUTPOST_ASSIGN_OR_RETURN(wins, NodeAfter(origin_idx, cur_origin));
      }
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
    internal::BindValue(*st, 6, col->value);
  else
    st->BindNull(6);
  st->Bind(7, static_cast<int64_t>(hlc)).Bind(8, static_cast<int64_t>(origin_idx));
  return st->Run();
}

}  // namespace outpost::sync
