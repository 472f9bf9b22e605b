// The CRDT replica: replicated tables in one SQLite store, the change log of
// signed batches, version vectors, merge, delta extraction and the digest.
//
// Model (docs/crdt.md has the full text):
//  - A replicated row is a set of per-column last-writer-wins registers
//    ordered by (HLC, origin node id), plus a causal length (odd = exists,
//    even = deleted; merge takes the max, so delete/undelete is a counter).
//  - Each local transaction names the rows it wrote in the pending log
//    (crdt_pending), in the same SQLite transaction as the rows; Seal(sign)
//    later turns the pending rows into signed batches built from the rows
//    as they are then, one per scope and stamp. Nothing a caller saw committed is
//    missing from the log: it is pending, sealed with its value, or
//    superseded by a later write that is (docs/crdt.md, "The change log").
//  - Batches are numbered 1, 2, 3... per (origin, scope) and chained by the
//    hash of the previous body. The version vector maps (origin, scope) to
//    the highest sequence applied with no gap.
//
// Invariants of Merge, numbered as in docs/crdt.md ("Merge invariants"),
// which has the full text; code cites them as "invariant N, docs/crdt.md":
//  1. Idempotent: a batch at or below the version vector changes nothing
//     (a different body for the same sequence is equivocation, kConflict).
//  2. Commutative and associative across origins; within an origin's chain
//     an early batch waits in a bounded buffer
//     (ReplicaOptions::max_buffered_ahead): nothing is applied with a gap.
//  3. Chained: a batch must carry the hash of the previous one.
//  4. A refused batch leaves the store as it was; other batches in the
//     same call are unaffected.
//  5. One SQLite transaction per Merge call: a crash loses the whole call
//     or nothing, and the version vector moves with the rows.
//  6. Equal stamps: the higher node id wins; from one origin, the later
//     entry.
//  7. Incarnations: a column write belongs to the causal length its row
//     change carries; an older incarnation's write is ignored, a newer one
//     starts the row afresh. A tombstone's hidden values are local (never
//     in the digest), and an undelete carries every column.
//  8. Compaction (CompactTombstones) never resurrects and never diverges:
//     a tombstone's id, scope and causal length are kept for ever.
//  9. No column is stamped after its batch.
//
// Thread safety: a Replica and its Db belong to one thread at a time.
#ifndef OUTPOST_SYNC_REPLICA_H_
#define OUTPOST_SYNC_REPLICA_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/sqlite.h"
#include "base/status.h"
#include "schema/catalogue.h"
#include "sync/batch_log.h"
#include "sync/change_batch.h"
#include "sync/change_journal.h"
#include "sync/hlc.h"
#include "sync/pending_names.h"
#include "sync/version_vector.h"

namespace outpost::sync {

struct ColumnValue {
  uint16_t column = 0;  // catalogue column id
  schema::Value value;
};

struct ReplicaOptions {
  int64_t max_skew_micros = 5 * 60 * 1000000LL;  // 5 minutes
  size_t max_batch_bytes = 48 * 1024;            // a batch fits a 64 KB chunk
  // How far past its chain's head a batch may be buffered while it waits for
  // the batches before it: at most this many per (origin, scope), so about
  // 1024 x 48 KB. A batch further ahead is refused with kUnavailable and not
  // stored; its sender offers it again once the gap is filled (it sends from
  // the version vector on), so an honest peer loses nothing.
  uint64_t max_buffered_ahead = 1024;
  // The change journal's bound (sync/change_journal.h): past this many
  // rows the oldest commits' are dropped down to half; a commit of more
  // than half is not named at all. Either way a reader from before then is
  // told to start afresh (ChangedRowsSince).
  size_t max_journal_rows = 200000;
};

// Checks the author's signature and authority over a batch before it is
// merged. Returns kUnauthenticated (signature), kPermissionDenied (scope,
// role, revoked) or OK. Called for every batch, relayed ones included.
using BatchVerifier =
    std::function<Status(const ChangeBatch& batch, const SignedBatch& signed_batch)>;

struct MergeReport {
  size_t applied = 0;           // batches merged now (including ones un-buffered)
  size_t duplicates = 0;        // already had them
  size_t buffered = 0;          // waiting for an earlier batch of their chain
  size_t column_changes = 0;    // column values that won and were written
  std::vector<Status> refused;  // one per refused batch, with the reason
};

class Replica;
class ColumnVersions;
namespace internal {
struct RowMeta;
}  // namespace internal

// One local transaction. Rows written through it are visible to reads on the
// same Db at once; Commit() commits the rows and their pending-log entries
// together. Destroying it without Commit() rolls everything back.
class Writer {
 public:
  ~Writer();
  // kAlreadyExists if the id exists; kInvalidArgument for an unknown column.
  Status Insert(const schema::Table& table, const Uuid& id, const std::string& scope,
                std::span<const ColumnValue> values);
  // kNotFound if the row does not exist or is deleted; kPermissionDenied on an
  // append-only table.
  Status Update(const schema::Table& table, const Uuid& id, std::span<const ColumnValue> values);
  // Deletes (tombstones) a row. With erase_nominal, nominal columns (all
  // columns of a nominal table) are set to NULL first, so the erasure
  // replicates. kNotFound if missing or already deleted.
  Status Delete(const schema::Table& table, const Uuid& id, bool erase_nominal);
  // Brings a tombstone back as a new incarnation: every column is rewritten
  // with this transaction's stamp and the value this node holds hidden in
  // the tombstone (NULL once compacted), and the batch carries them all, so
  // every replica shows the same row. kNotFound if missing or not deleted.
  Status Undelete(const schema::Table& table, const Uuid& id);
  Status Commit();
  HlcTime hlc() const { return hlc_; }
  size_t pending_rows() const { return rows_; }

 private:
  friend class Replica;
  Writer(Replica& r, std::unique_ptr<Transaction> txn, HlcTime hlc)
      : replica_(r), txn_(std::move(txn)), hlc_(hlc) {}
  Result<uint32_t> ScopeFor(const std::string& scope);
  // Names the row for the pending log (docs/crdt.md, "The change log"):
  // Commit stores the names, one crdt_pending entry per scope; the row's
  // batch is built from the row when the log is sealed.
  void NotePending(const schema::Table& t, const Uuid& id, int64_t scope_index, uint32_t cl);
  // The table's INSERT statement, checked out of the Db's cache once per
  // transaction (reset after every row).
  Result<Stmt*> InsertStmt(const schema::Table& t);
  Replica& replica_;
  std::unique_ptr<Transaction> txn_;
  HlcTime hlc_;
  std::vector<std::pair<std::string, uint32_t>> scopes_;  // scope name -> index
  // Per scope, the names of the rows written (sync/pending_names.h).
  struct PendingNames {
    explicit PendingNames(int64_t s) : scope(s) {}
    int64_t scope = 0;
    PendingNamesEncoder names;
  };
  std::vector<PendingNames> pending_;
  size_t rows_ = 0;
  bool changes_rows_ = false;        // wrote a table that is not append-only
  internal::ChangedRowSet changed_;  // those rows, for the change journal
  // Last, so they are reset before the transaction ends.
  std::vector<std::pair<uint16_t, StmtRef>> inserts_;
};

// Signs this node's batches: a 64-byte Ed25519 signature over `input`
// (SigningInput(body)); PeerPolicy::Sign, or the node's signing key.
using BatchSigner = std::function<Bytes(std::span<const uint8_t>)>;

// A batch ready to send: who wrote it, where it sits, and its signed bytes.
struct OutgoingBatch {
  NodeId origin;
  std::string scope;
  uint64_t seq = 0;
  SignedBatch batch;
};

class Replica {
 public:
  // Opens the CRDT state in `db`, creating or migrating the replicated tables
  // of `catalogue` (adding columns a newer schema brought, and moving values
  // held aside for them into place, each row checked as a merge checks it:
  // one that fails is recorded in the local table crdt_replay_refused and
  // never stops the store from opening). `self` is this node's id. `db`, `clock`
  // must outlive the Replica. kFailedPrecondition if the store belongs to
  // another node id or was written by a newer schema version.
  static Result<std::unique_ptr<Replica>> Open(Db& db, const schema::Catalogue& catalogue,
                                               const NodeId& self, Clock& clock,
                                               ReplicaOptions options = {});

  // Starts a local transaction (BEGIN IMMEDIATE: kBusy if another process
  // holds the write lock past the busy timeout).
  Result<std::unique_ptr<Writer>> BeginWrite();

  // Merges batches received from a peer or a bundle, in one transaction.
  Result<MergeReport> Merge(std::span<const SignedBatch> batches, const BatchVerifier& verify);

  // Turns the local writes since the last seal (crdt_pending) into this
  // node's next batches and signs them, in one transaction: per scope, the
  // pending rows in stamp order, one batch per stamp (split at
  // max_batch_bytes), each row carrying its causal length and this node's
  // columns written since it became pending, with their values as they are
  // now. A row a newer incarnation from another node has since replaced is
  // left out (its writes lost to that incarnation everywhere). `sign`
  // returns a 64-byte signature over its input (SigningInput(body)); a batch
  // an older binary stored unsigned is signed here too, so once Seal has
  // run every stored batch is signed. Returns the number of batches made.
  // kInternal if `sign` returns another size (nothing is sealed).
  //
  // The one place the log grows from local writes: run it where batches
  // are about to be read for a peer (a session's start and each refill,
  // a bundle export, the daemon's poll). Reads below never seal.
  Result<size_t> Seal(const BatchSigner& sign);

  // Batches the holder of `peer` lacks, in chain order per (origin, scope),
  // for scopes where allowed(scope) is true; stops after max_bytes (always
  // returns at least one batch if any is due). A read: writes not sealed
  // yet are not in it.
  Result<std::vector<OutgoingBatch>> BatchesFor(
      const VersionVector& peer, const std::function<bool(const std::string&)>& allowed,
      size_t max_bytes) const;

  // The version vector: this node's own entries count sealed batches. A read.
  Result<VersionVector> GetVersionVector() const;

  // The version vector as Seal would leave it now: this node's own entries
  // advanced by the batches the pending writes would make. A read (it plans
  // the seal without writing or signing), for a status shown by a node
  // whose key may be locked.
  Result<VersionVector> VersionVectorIfSealed() const;

  // Drops stored batches at or below `acked` (what every peer that may need
  // them has acknowledged); the chain heads stay in the version vector, so
  // numbering and duplicate detection continue. Sites prune after HQ has
  // acknowledged; HQ keeps its log as the archive. Returns batches dropped.
  Result<int64_t> PruneLog(const VersionVector& acked);

  // Compacts tombstones whose delete every known peer has acknowledged: the
  // delete's batch is at or below `acked` (CommonVersions of the peers'
  // PeerLedger::Known). A compacted tombstone keeps its id, scope and causal
  // length forever and drops its hidden column values and versions, so a
  // local undelete of it brings the row back with NULL columns. Never
  // changes the digest. Returns the number of tombstones compacted.
  // Tombstones written before this store kept delete records (older stores)
  // are never compacted.
  Result<int64_t> CompactTombstones(const VersionVector& acked);

  // BLAKE2b-256 over the replicated state in canonical order (tables by id,
  // rows by id, columns by id, canonical value encoding), optionally only the
  // rows of one scope. A live row contributes its id, causal length and every
  // column; a tombstone only its id and causal length (its hidden values are
  // local: invariant 7, docs/crdt.md). Equal on converged replicas, compacted or not.
  Result<Hash> Digest(const std::optional<std::string>& scope) const;
  // Per-table digests (table name -> hex), same rules.
  Result<std::map<std::string, std::string>> TableDigests(
      const std::optional<std::string>& scope) const;

  // A node-local count of the commits that changed replicated rows: every
  // local Writer::Commit that wrote a table that is not append-only (so an
  // audit entry alone does not count), and every Merge that applied a batch. Never
  // replicated, never in the digest; a merge that applies nothing leaves it
  // (invariant 1). The layers above compare it with the value they last saw
  // to tell whether any row changed since (node/search.h's index). 0 in a
  // store that never counted.
  Result<int64_t> ChangeCount() const;

  // The rows the counted commits after `count` (a ChangeCount read earlier)
  // changed, from the node-local change journal (sync/change_journal.h,
  // docs/crdt.md "The change journal"): every row of a table that is not
  // append-only that a local commit wrote (insert, update, delete, erasure,
  // undelete) or a merge applied a row change to -- a superset, in commit
  // order, a row once per commit that changed it. nullopt when the journal
  // does not reach back to `count` (ReplicaOptions::max_journal_rows; a
  // commit an older binary counted without naming its rows; `count` ahead
  // of ChangeCount): the caller must then start afresh. A read; call it in
  // the transaction that reads ChangeCount, so the two agree.
  Result<std::optional<std::vector<ChangedRow>>> ChangedRowsSince(int64_t count) const;

  // Number of live (not deleted) rows in `table` (all scopes).
  Result<int64_t> CountLive(const schema::Table& table) const;
  // Live rows of `table` per scope name (for HQ's per-crossing counts).
  Result<std::map<std::string, int64_t>> CountLiveByScope(const schema::Table& table) const;
  // Names of every scope this store has written or received rows of, sorted.
  Result<std::vector<std::string>> ScopeNames() const;

  // Reads one row's column values (NULL for missing); kNotFound if absent.
  // `deleted` receives whether the row is a tombstone; a tombstone's values
  // are this node's hidden copy (what an undelete here would bring back),
  // not replicated state.
  Result<std::vector<schema::Value>> ReadRow(const schema::Table& table, const Uuid& id,
                                             bool* deleted) const;

  const NodeId& self() const { return self_; }
  const schema::Catalogue& catalogue() const { return catalogue_; }
  HybridClock& hlc() { return hlc_; }
  Db& db() const { return db_; }

 private:
  friend class Writer;
  class ScopeSealer;  // replica_seal.cc
  struct HeldRow;     // replica_schema.cc
  Replica(Db& db, const schema::Catalogue& cat, const NodeId& self, Clock& clock,
          ReplicaOptions options)
      : db_(db),
        catalogue_(cat),
        self_(self),
        hlc_(clock, options.max_skew_micros),
        options_(options),
        log_(db) {}

  // replica_schema.cc: the store's tables, checks and upgrades.
  Status CreateOrMigrate();
  Status ReplayHeldValues(const schema::Table& t);
  Result<std::vector<HeldRow>> ReadHeldRows(const schema::Table& t);
  Status ReplayHeldRow(const schema::Table& t, const HeldRow& h);

  // replica.cc: indexes of crdt_node / crdt_scope, and the stored clock.
  Result<uint32_t> NodeIndex(const NodeId& id);  // inserts when new
  Result<uint32_t> ScopeIndex(const std::string& scope);
  Result<std::string> ScopeName(int64_t idx) const;
  // Index -> node id. Another connection to the same store (an officer's
  // command while the daemon merges) may have added nodes or scopes since
  // this Replica loaded its maps: a miss re-reads crdt_node / crdt_scope.
  // Entries never change once written, so a hit is always right.
  // kCorruption if the index is unknown even after re-reading (or the
  // re-read finds a damaged entry).
  Result<NodeId> NodeAt(uint32_t idx) const;
  // Whether node `a`'s id is above node `b`'s (the tie-break of equal stamps).
  Result<bool> NodeAfter(uint32_t a, uint32_t b) const;
  Status ReloadIndices() const;
  // The (origin, scope) indexes of a chain; empty when either is unknown.
  Result<std::optional<std::pair<uint32_t, uint32_t>>> FindChain(const NodeId& origin,
                                                                 const std::string& scope) const;
  Status SaveClock();  // crdt_meta 'hlc' = the clock's last stamp
  // crdt_meta 'changes' += 1, and the change journal names `rows`.
  Status CountChange(const internal::ChangedRowSet& rows);
  // replica_seal.cc: signs own batches stored unsigned (older binaries).
  Status SignUnsigned(const BatchSigner& sign);

  // Precomputed SQL per table (indexed by table id).
  struct TableSql {
    std::string insert, meta, seal;  // seal: _cl, _v, then every column
  };
  const TableSql& Sql(const schema::Table& t) const { return table_sql_.at(t.id); }

  // replica_merge.cc. Each returns an error only for a failure that aborts
  // the whole Merge; a refused batch goes in the report.
  Status MergeOne(const SignedBatch& in, const BatchVerifier& verify, MergeReport* report);
  // Applies `batch` (next in its chain after `head`), then every buffered
  // successor.
  Status ApplyInOrder(ChangeBatch batch, const SignedBatch& in, Hash hash, uint32_t origin_idx,
                      uint32_t scope_idx, internal::ChainHead head, MergeReport* report);
  // `arrived`: the batch as received, or null when it came from the buffer.
  // *refused: why it was not applied (then nothing of it was).
  Status ApplyInSavepoint(const ChangeBatch& batch, const SignedBatch* arrived, const Hash& hash,
                          uint32_t origin_idx, uint32_t scope_idx, MergeReport* report,
                          Status* refused);
  // Applies one verified, in-order batch; the caller holds the transaction.
  Result<size_t> ApplyBatch(const ChangeBatch& batch, uint32_t origin_idx, uint32_t scope_idx);
  // `seq` is the batch's sequence (0 when replaying held values at upgrade).
  Result<size_t> ApplyRow(const RowChange& row, uint32_t origin_idx, uint32_t scope_idx,
                          uint64_t seq);
  // A row change's columns this catalogue knows, with their definitions.
  struct KnownColumns {
    std::vector<const ColumnChange*> changes;
    std::vector<const schema::Column*> defs;
  };
  Result<size_t> InsertRow(const schema::Table& t, const RowChange& row, const KnownColumns& known,
                           uint32_t origin_idx, uint32_t scope_idx, uint64_t seq);
  Result<size_t> MergeRow(const schema::Table& t, const RowChange& row, const KnownColumns& known,
                          internal::RowMeta meta, uint32_t origin_idx, uint32_t scope_idx,
                          uint64_t seq);
  // The columns of `known` that win over `versions` (updated for them).
  Status PickWinners(const KnownColumns& known, uint32_t origin_idx, ColumnVersions* versions,
                     KnownColumns* winners);
  Status StoreExtra(const RowChange& row, const ColumnChange* col, uint32_t origin_idx,
                    uint32_t scope_idx);

  Db& db_;
  schema::Catalogue catalogue_;
  NodeId self_;
  HybridClock hlc_;
  ReplicaOptions options_;
  internal::BatchLog log_;
  uint32_t self_idx_ = 0;
  // Caches of crdt_node and crdt_scope (see NodeAt), hence mutable.
  mutable std::vector<NodeId> nodes_;  // index -> node id (index 0 unused)
  mutable std::map<NodeId, uint32_t> node_index_;
  mutable std::map<std::string, uint32_t> scope_index_;
  std::map<uint16_t, TableSql> table_sql_;
  internal::ChangedRowSet merged_;  // rows the current Merge call applied changes to
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_REPLICA_H_
