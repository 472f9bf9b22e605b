// Replica::Seal: the pending names of local writes (crdt_pending,
// sync/pending_names.h) into this node's next batches (docs/crdt.md, "The
// change log"; invariants cited by docs/crdt.md's numbers).
//
//   Seal                  one transaction; empties crdt_pending
//    |- ReadPendingNames  per scope, each named row once: the first and
//    |                    last stamp it was written at here, its last cl
//    `- ScopeSealer::Run  per scope, rows in the order of their last stamp
//        |- SealRow       reads the row; leaves it out if another node's
//        |                incarnation replaced it; else adds its columns
//        |                stamped here since it was first named
//        `- Flush         one batch per stamp, split at max_batch_bytes:
//                         numbered, chained by hash, signed, stored in
//                         crdt_batch
//    `- SignUnsigned      batches an older binary stored unsigned
//
// VersionVectorIfSealed runs the same planning without writing or signing
// (a ScopeSealer with no signer) and counts the batches it would make.
#include <algorithm>
#include <map>

#include "sync/replica.h"
#include "sync/row_sql.h"

namespace outpost::sync {

using internal::ChainHead;
using schema::Column;
using schema::Table;

namespace {

// A row named since the last seal: the first and last stamp it was written
// at here, and the causal length the last write left.
struct Named {
  HlcTime first = 0, last = 0;
  uint32_t cl = 0;
};
using RowKey = std::pair<uint16_t, Uuid>;
using NamedRows = std::map<RowKey, Named>;

// Every crdt_pending entry, per scope index. kCorruption for a malformed one.
Result<std::map<uint32_t, NamedRows>> ReadPendingNames(Db& db) {
  std::map<uint32_t, NamedRows> named;
  OUTPOST_ASSIGN_OR_RETURN(auto sel,
                           db.Prepare("SELECT scope, hlc, rows FROM crdt_pending ORDER BY hlc"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, sel->Step());
    if (!row) break;
    NamedRows& rows = named[static_cast<uint32_t>(sel->Int(0))];
    const auto hlc = static_cast<HlcTime>(sel->Int(1));
    PendingNamesDecoder names(sel->Blob(2));
    PendingName name;
    while (names.Next(&name)) {
      auto [it, fresh] = rows.try_emplace({name.table, name.id}, Named{hlc, hlc, name.cl});
      if (!fresh) {
        it->second.last = hlc;
        it->second.cl = name.cl;
      }
    }
    OUTPOST_RETURN_IF_ERROR(names.status());
  }
  return named;
}

}  // namespace

// Seals one scope's named rows into this node's next batches of its chain;
// with no signer, only counts the batches it would make (nothing written).
class Replica::ScopeSealer {
 public:
  ScopeSealer(const Replica& r, uint32_t scope, const BatchSigner* sign)
      : r_(r), scope_(scope), sign_(sign), log_(r.db_) {}

  // Returns the number of batches made.
  Result<size_t> Run(const NamedRows& rows) {
    OUTPOST_ASSIGN_OR_RETURN(head_, log_.Head(r_.self_idx_, scope_));
    seq_ = head_.seq;
    prev_ = head_.hash;
    OUTPOST_ASSIGN_OR_RETURN(scope_name_, r_.ScopeName(scope_));
    // Stamp order: rows written together travel together.
    std::vector<std::pair<const RowKey*, const Named*>> order;
    order.reserve(rows.size());
    for (const auto& [key, n] : rows) order.emplace_back(&key, &n);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& x, const auto& y) { return x.second->last < y.second->last; });
    for (const auto& [key, n] : order) OUTPOST_RETURN_IF_ERROR(SealRow(*key, *n));
    OUTPOST_RETURN_IF_ERROR(Flush());
    // Nothing to move when every named row was left out, or nothing is written.
    if (seq_ == head_.seq || sign_ == nullptr) return made_;
    OUTPOST_RETURN_IF_ERROR(log_.SetHead(r_.self_idx_, scope_, {seq_, prev_}));
    return made_;
  }

 private:
  Status SealRow(const RowKey& key, const Named& n) {
    const Table* t = r_.catalogue_.FindById(key.first);
    if (t == nullptr) {
      return Status::Corruption("crdt_pending: a row of unknown table " +
                                std::to_string(key.first));
    }
    const Uuid& id = key.second;
    OUTPOST_ASSIGN_OR_RETURN(Stmt * row, RowReader(*t));
    row->Reset();
    internal::BindStaticBlob(*row, 1, id);  // `id` outlives the read
    OUTPOST_ASSIGN_OR_RETURN(bool found, row->Step());
    // A newer incarnation from another node replaced the one written here:
    // those writes lost to it on every replica, so there is nothing to send.
    if (!found || row->Int(0) != n.cl) return Status::Ok();
    if (!ColumnVersions::Decode(row->Blob(1), &versions_)) {
      return Status::Corruption(t->name + " row " + UuidToString(id) +
                                ": column versions are unreadable");
    }
    OUTPOST_RETURN_IF_ERROR(OpenBatchFor(n.last));
    OUTPOST_RETURN_IF_ERROR(CollectColumns(*t, id, n));
    builder_->BeginRow(t->id, id, n.cl, cols_.size());
    for (const auto& [c, hlc] : cols_) {
      builder_->AddColumn(c->id, hlc,
                          internal::ReadValueRef(*row, internal::ColumnPosition(*t, c) + 2));
    }
    if (n.cl % 2 == 1 || sign_ == nullptr) return Status::Ok();
    // The batch this row goes into makes it a tombstone: number seq + 1.
    return internal::NoteTombstone(r_.db_, t->id, id, n.cl, r_.self_idx_, scope_, seq_ + 1);
  }

  // This node's columns written since the row was first named; a column
  // another node has since overwritten travels in that node's batch.
  Status CollectColumns(const Table& t, const Uuid& id, const Named& n) {
    cols_.clear();
    for (const ColumnVersion& v : versions_.entries()) {
      if (v.origin != r_.self_idx_ || v.hlc < n.first) continue;
      if (v.hlc > n.last) {
        // Every write here names its rows, so this cannot be: refuse to
        // seal a batch every receiver would refuse (invariant 9, docs/crdt.md).
        return Status::Internal(t.name + " row " + UuidToString(id) + " column " +
                                std::to_string(v.column) + " is stamped " + std::to_string(v.hlc) +
                                ", after the last write named for it (" + std::to_string(n.last) +
                                "); nothing was sealed");
      }
      const Column* c = t.FindColumnById(v.column);
      if (c != nullptr) cols_.emplace_back(c, v.hlc);
    }
    return Status::Ok();
  }

  // One read statement per table, checked out once for the scope.
  Result<Stmt*> RowReader(const Table& t) {
    for (auto& [tid, ref] : reads_) {
      if (tid == t.id) return &*ref;
    }
    OUTPOST_ASSIGN_OR_RETURN(auto ref, r_.db_.Cached(r_.Sql(t).seal));
    reads_.emplace_back(t.id, std::move(ref));
    return &*reads_.back().second;
  }

  // One batch per stamp: a batch's stamp is never before its columns'
  // (invariant 9, docs/crdt.md); a full batch is flushed and continued.
  Status OpenBatchFor(HlcTime stamp) {
    const size_t max = r_.options_.max_batch_bytes;
    if (builder_ && stamp == stamp_ && builder_->size() < max) return Status::Ok();
    OUTPOST_RETURN_IF_ERROR(Flush());
    if (builder_ && stamp == stamp_) return Status::Ok();
    stamp_ = stamp;
    builder_ =
        std::make_unique<BatchBodyBuilder>(r_.self_, scope_name_, r_.catalogue_.version(), stamp_,
                                           std::min<size_t>(max + 4096, kMaxBatchBodyBytes));
    return Status::Ok();
  }

  // Numbers, chains, signs and stores the batch being built, if it has rows.
  Status Flush() {
    if (!builder_ || builder_->rows() == 0) return Status::Ok();
    std::span<const uint8_t> body = builder_->FinishInPlace(seq_ + 1, prev_);
    Hash hash = HashBody(body);
    if (sign_ != nullptr) {
      Bytes sig = (*sign_)(SigningInput(body));
      if (sig.size() != 64) {
        return Status::Internal("signer returned " + std::to_string(sig.size()) +
                                " bytes, not 64; nothing was sealed");
      }
      OUTPOST_RETURN_IF_ERROR(
          log_.Insert({r_.self_idx_, scope_, seq_ + 1, hash, stamp_, true, body, sig}));
    }
    ++seq_;
    prev_ = hash;
    ++made_;
    return Status::Ok();
  }

  const Replica& r_;
  const uint32_t scope_;
  const BatchSigner* const sign_;  // null: count only
  internal::BatchLog log_;
  ChainHead head_;
  uint64_t seq_ = 0;
  Hash prev_{};
  std::string scope_name_;
  std::unique_ptr<BatchBodyBuilder> builder_;
  HlcTime stamp_ = 0;
  size_t made_ = 0;
  ColumnVersions versions_;  // reused across rows
  std::vector<std::pair<const Column*, HlcTime>> cols_;
  std::vector<std::pair<uint16_t, StmtRef>> reads_;
};

Result<size_t> Replica::Seal(const BatchSigner& sign) {
  // Most calls find nothing to do: answer without taking the write lock.
  OUTPOST_ASSIGN_OR_RETURN(
      int64_t any, db_.QueryInt("SELECT EXISTS(SELECT 1 FROM crdt_pending) OR EXISTS(SELECT 1 "
                                "FROM crdt_batch WHERE origin = " +
                                std::to_string(self_idx_) + " AND length(sig) = 0)"));
  if (any == 0) return size_t{0};
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, TxnMode::kImmediate));
  OUTPOST_ASSIGN_OR_RETURN(auto named, ReadPendingNames(db_));
  size_t made = 0;
  for (const auto& [scope, rows] : named) {
    ScopeSealer sealer(*this, scope, &sign);
    OUTPOST_ASSIGN_OR_RETURN(size_t n, sealer.Run(rows));
    made += n;
  }
  OUTPOST_RETURN_IF_ERROR(db_.Exec("DELETE FROM crdt_pending"));
  OUTPOST_RETURN_IF_ERROR(SignUnsigned(sign));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return made;
}

// Stores sealed before batches were signed at sealing kept them unsigned
// until a sync or an export signed them.
Status Replica::SignUnsigned(const BatchSigner& sign) {
  OUTPOST_ASSIGN_OR_RETURN(auto unsigned_batches, log_.Unsigned(self_idx_));
  for (const auto& [rowid, body] : unsigned_batches) {
    Bytes sig = sign(SigningInput(body));
    if (sig.size() != 64) {
      return Status::Internal("signer returned " + std::to_string(sig.size()) + " bytes, not 64");
    }
    OUTPOST_RETURN_IF_ERROR(log_.SetSignature(rowid, sig));
  }
  return Status::Ok();
}

Result<VersionVector> Replica::VersionVectorIfSealed() const {
  // One snapshot of the log and the pending names; rolled back, nothing written.
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_));
  OUTPOST_ASSIGN_OR_RETURN(VersionVector vv, log_.ReadVersionVector());
  OUTPOST_ASSIGN_OR_RETURN(auto named, ReadPendingNames(db_));
  for (const auto& [scope, rows] : named) {
    ScopeSealer planner(*this, scope, nullptr);
    OUTPOST_ASSIGN_OR_RETURN(size_t n, planner.Run(rows));
    if (n == 0) continue;
    OUTPOST_ASSIGN_OR_RETURN(std::string name, ScopeName(scope));
    vv.Set(self_, name, vv.Get(self_, name) + n);
  }
  return vv;
}

}  // namespace outpost::sync
