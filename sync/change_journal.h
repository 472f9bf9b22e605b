// The change journal (docs/crdt.md, "The change journal"): which rows each
// counted commit changed, so a node-local index built from the live views
// (node/search.h) can refresh only those rows instead of rebuilding.
//
// Node-local, never replicated, never in the digest. Stored in
// crdt_changed (seq, n, rows): one entry per counted commit, its `n` rows in
// the pending names' encoding (sync/pending_names.h), and crdt_meta entries:
//   changes         the change count (Replica::ChangeCount), +1 per counted commit
//   changed_at      the change count the journal was last written at
//   changed_floor   the journal names every row changed by the commits with
//                   seq > changed_floor
//   changed_rows    rows named in crdt_changed
//
// Invariants:
//  1. Every counted commit (a local Writer::Commit that wrote a table that
//     is not append-only, a Merge that applied a batch) runs RecordCommit
//     in its own transaction: the journal moves with the rows.
//  2. A commit's entries name every row of a table that is not append-only
//     it wrote, inserted, deleted, undeleted, or applied a row change to (a
//     superset: a merged change whose columns all lost is named too).
//  3. When changed_at != changes, a binary without the journal counted
//     commits it did not name: nothing before is trusted, and the next
//     RecordCommit raises the floor to the count it found.
//  4. Bounded by ReplicaOptions::max_journal_rows (M): a commit of more than
//     M / 2 rows is not named (the floor rises past it); past M rows the
//     oldest commits are dropped down to M / 2 rows and the floor rises
//     with them. A reader whose watermark is below the floor is told so
//     (nullopt) and starts afresh.
#ifndef OUTPOST_SYNC_CHANGE_JOURNAL_H_
#define OUTPOST_SYNC_CHANGE_JOURNAL_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/sqlite.h"
#include "base/status.h"

namespace outpost::sync {

// A row a counted commit changed.
struct ChangedRow {
  uint16_t table = 0;  // catalogue table id
  Uuid id{};
};

namespace internal {

// The rows one commit changed, collected as it writes.
class ChangedRowSet {
 public:
  // Empties the set; past `cap` rows it gives up (overflow).
  void Reset(size_t cap) {
    rows_.clear();
    overflow_ = false;
    cap_ = cap;
  }
  void Add(uint16_t table, const Uuid& id);
  // More rows than the journal takes from one commit: none are kept.
  bool overflow() const { return overflow_; }
  const std::vector<ChangedRow>& rows() const { return rows_; }

 private:
  std::vector<ChangedRow> rows_;
  bool overflow_ = false;
  size_t cap_ = 0;
};

// Counts one commit (crdt_meta 'changes' += 1) and journals its rows,
// keeping at most `max_rows` entries; the caller holds the write
// transaction. Returns SQLite's errors.
Status RecordCommit(Db& db, const ChangedRowSet& rows, size_t max_rows);

// The rows changed by the commits counted after `count`, each commit's rows
// in table and id order, commits in order (a row changed twice appears
// twice). nullopt when the journal does not reach back to `count` (below
// the floor, beyond the current count, or untrusted: invariant 3).
Result<std::optional<std::vector<ChangedRow>>> ReadJournal(Db& db, int64_t count);

}  // namespace internal
}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_CHANGE_JOURNAL_H_
