#include "sync/row_changes.h"

namespace outpost::sync {

Status TrackRowChanges(Db& db, const schema::Catalogue& catalogue, std::string_view name,
                       std::span<const std::string> tables) {
  const std::string log(name);
  OUTPOST_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS " + QuoteIdentifier(log) +
              "(seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, id BLOB NOT NULL)"));
  for (const std::string& table : tables) {
    if (!catalogue.Find(table)) {
      return Status::InvalidArgument("table: \"" + table + "\" is not in the catalogue");
    }
    // A replicated table is stored under its own name, keyed by `id`
    // (replica_schema.cc), so NEW.id / OLD.id name the row written. Names
    // inside a trigger are unqualified: they resolve in the trigger's schema.
    const std::string on = QuoteIdentifier(table);
    const std::string put =
        "INSERT INTO " + QuoteIdentifier(log) + "(tbl, id) VALUES('" + table + "', ";
    struct Kind {
      const char* suffix;
      const char* event;
      const char* row;
    };
    for (const Kind& k : {Kind{"ins", "INSERT", "NEW"}, Kind{"upd", "UPDATE", "NEW"},
                          Kind{"del", "DELETE", "OLD"}}) {
      std::string trigger = QuoteIdentifier(log + "_" + table + "_" + k.suffix);
      OUTPOST_RETURN_IF_ERROR(db.Exec("CREATE TRIGGER IF NOT EXISTS main." + trigger + " AFTER " +
                                      k.event + " ON " + on + " BEGIN " + put + k.row +
                                      ".id); END"));
    }
  }
  return Status::Ok();
}

}  // namespace outpost::sync
