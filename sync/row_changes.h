// Row-change tracking for node-local derived state (node/volumes.h's
// counters): which rows of some replicated tables were written since a
// consumer last looked, so it can recount those rows and no others.
//
// TrackRowChanges makes, in the store's file, a local append-only log
//   `name`(seq INTEGER PRIMARY KEY, tbl TEXT, id BLOB)
// and, on the storage of each listed replicated table, triggers that append
// (table name, row id) to it whenever a row is inserted, updated (any column,
// a delete's tombstone and an undelete included) or removed. The triggers are
// part of the store, so they see every writer in the same SQLite transaction
// as the row: a local Writer::Commit, a Merge of a sync session, a bundle or
// an import, a schema upgrade's replay, tombstone compaction, and another
// process on the same store. An entry is therefore never lost; a row
// written several times is named several times (the consumer counts it
// once). `seq` grows with every entry: the consumer reads in seq order and
// deletes up to the last seq it has counted (its watermark), in its own
// transaction. Nothing of this is replicated or in the digest.
//
// Cost: one append to `name` per written row of a tracked table; an append
// to a rowid table, not an insert into a keyed one, because the keyed one
// doubled the cost of a merge (docs/perf/2026-12-03-volumes.md).
#ifndef OUTPOST_SYNC_ROW_CHANGES_H_
#define OUTPOST_SYNC_ROW_CHANGES_H_

#include <span>
#include <string>
#include <string_view>

#include "base/sqlite.h"
#include "base/status.h"
#include "schema/catalogue.h"

namespace outpost::sync {

// Creates the table `name` and the triggers "<name>_<table>_{ins,upd,del}"
// for each of `tables` (catalogue table names); idempotent. `name` must be a
// plain identifier. kInvalidArgument for a table `catalogue` does not have;
// the SQLite error of a failed CREATE otherwise. Run it inside the
// consumer's transaction that also counts what the store already holds, so
// no row is missed between the two.
Status TrackRowChanges(Db& db, const schema::Catalogue& catalogue, std::string_view name,
                       std::span<const std::string> tables);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_ROW_CHANGES_H_
