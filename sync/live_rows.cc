#include "sync/live_rows.h"

namespace outpost::sync {

std::string LiveView(std::string_view table) { return "live_" + std::string(table); }

Status CreateLiveViews(Db& db, const schema::Catalogue& catalogue) {
  // The encoding these views hide (docs/crdt.md, "Model"): a row is live
  // while its causal length `_cl` is odd; `_scope` indexes crdt_scope.
  // Made anew at each open: a catalogue that gained columns since an earlier
  // open on this connection shows them.
  OUTPOST_RETURN_IF_ERROR(
      db.Exec("DROP VIEW IF EXISTS temp.live_scope; "
              "CREATE TEMP VIEW live_scope(scope_idx, name) AS "
              "SELECT idx, name FROM main.crdt_scope"));
  for (const schema::Table& t : catalogue.tables()) {
    std::string view = QuoteIdentifier(LiveView(t.name));
    std::string sql =
        "DROP VIEW IF EXISTS temp." + view + "; CREATE TEMP VIEW " + view + " AS SELECT id";
    for (const auto& c : t.columns) sql += ", " + QuoteIdentifier(c.name);
    sql += ", _scope AS scope_idx FROM main." + QuoteIdentifier(t.name) + " WHERE _cl % 2 = 1";
    OUTPOST_RETURN_IF_ERROR(db.Exec(sql));
  }
  return Status::Ok();
}

}  // namespace outpost::sync
