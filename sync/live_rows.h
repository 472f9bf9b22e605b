// Live rows: how the layers above sync/ read replicated tables without
// knowing how the CRDT stores them (hidden columns, causal lengths, scope
// numbers). Nothing outside sync/ names a `crdt_` table or a hidden column;
// scripts/check-layers enforces it.
//
// When a Replica opens, its connection gets, for each table T of the
// catalogue, a view `live_T`: the rows of T that are not deleted, with T's
// `id`, T's catalogue columns, and `scope_idx`, the row's scope as a number
// local to this store. The view `live_scope(scope_idx, name)` names those
// numbers, so
//
//   SELECT count(*) FROM live_movement m JOIN live_scope s USING (scope_idx)
//   WHERE s.name = 'site:BA-GRA'
//
// counts one crossing's movements. The views are TEMP views: they live in
// the connection, are made anew at each open (so they show the columns of
// the catalogue last opened), and never change the store's file or format. A query through them
// costs what the same query on the table does: SQLite flattens a one-table view into the query that
// uses it.

#ifndef OUTPOST_SYNC_LIVE_ROWS_H_
#define OUTPOST_SYNC_LIVE_ROWS_H_

#include <string>
#include <string_view>

#include "base/sqlite.h"
#include "base/status.h"
#include "schema/catalogue.h"

namespace outpost::sync {

// The name of the live view of `table`: "live_" + table.
std::string LiveView(std::string_view table);

// (Re)creates live_scope and the live view of every table of `catalogue` on
// `db`'s connection. Called by Replica::Open; idempotent.
// Returns the SQLite error of a failed CREATE.
Status CreateLiveViews(Db& db, const schema::Catalogue& catalogue);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_LIVE_ROWS_H_
