// The record API: an officer's documents in, validated rows and CRDT changes
// out. Every write goes through sync::Writer (the row and its name in the
// pending change log, in one transaction; batches are built when the replica
// seals) together with its audit entry.
//
// A document is a JSON object. For every table its keys are the table's
// columns (schema/domain_catalogue.cc); a movement may also nest what it
// carries, all stored in one transaction:
//   "vehicle", "trailer":   an object (a new vehicle row) or an id
//   "equipment":            [ {container..., "seals": [ {seal...} ]} ]
//   "consignments":         [ {consignment..., "shipper"|"consignee"|"declarant":
//                              {party...} or id, "goods": [ {goods_item...} ]} ]
//   "persons":              [ {"role": "driver"|..., person...} ]  (nominal)
// Any invalid field refuses the whole document (kInvalidArgument naming the
// field path, e.g. movement.consignments[0].goods[1].hs_code), and nothing
// is written.
#ifndef OUTPOST_NODE_RECORDS_H_
#define OUTPOST_NODE_RECORDS_H_

#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "node/audit.h"
#include "node/store.h"

namespace outpost::node {

struct Actor {
  std::string officer;  // officer id; required for writes
  std::string reason;   // why (deletes require one)
  // A crossing's local emergency account (web accounts added with
  // --break-glass): every audit entry it causes says so.
  bool break_glass = false;
};

// Puts who-and-why of `actor` into an audit event's detail: "reason" when
// one is given, "break_glass": true for an emergency account.
void StampActor(const Actor& actor, AuditEvent& event);

struct ListQuery {
  std::string type;
  std::optional<int64_t> since_micros;  // movements: by time; others: by id (creation)
  int64_t limit = 100;
  std::vector<std::pair<std::string, std::string>> where;  // column = value (JSON text form)
};

struct ImportReport {
  int64_t lines = 0;     // lines read (all of them unless stopped)
  int64_t loaded = 0;    // records stored by this run
  int64_t skipped = 0;   // lines already imported from the same source (not stored again)
  int64_t rows = 0;      // rows written, nested ones included
  bool stopped = false;  // `should_stop` said so: lines after `lines` were not read
  struct LineError {
    int64_t line;
    std::string message;
  };
  std::vector<LineError> errors;
};

class Records {
 public:
  explicit Records(Store& store) : store_(store), audit_(store) {}

  // Adds one document of `type`. Returns {"id": ..., "type": ..., "rows": N}.
  Result<nlohmann::json> Add(std::string_view type, const nlohmann::json& doc, const Actor& actor);

  // Loads JSON lines, each an object with a "type" key. Valid lines are
  // stored in transactions of `batch` lines; invalid ones are reported (line
  // number, field, reason) and skipped. `progress` is called after each batch.
  // `on_movement` is called for every movement once its batch committed
  // (with its id and the document as submitted), e.g. to assess it.
  //
  // Idempotent: each stored line leaves its import key in the local table
  // `import_line`, in the same transaction as its rows. The key is
  // BLAKE2b(source_name, the line's JSON in canonical form, n) for the n-th
  // line of that content in this input, so it survives a re-run, a corrected
  // neighbouring line and whitespace or key-order changes. A line whose key
  // is already there is not stored again and counts as `skipped`: running
  // the same import again resumes it. A line whose content changed is a new
  // record.
  //
  // `should_stop` is asked before each line; once it answers true, the lines
  // read so far are committed and Import returns with `stopped` set (a clean
  // stop at a transaction boundary, e.g. on SIGINT).
  Result<ImportReport> Import(
      std::istream& in, const std::string& source_name, const Actor& actor, size_t batch = 1000,
      const std::function<void(int64_t lines, int64_t loaded)>& progress = {},
      const std::function<void(const Uuid& id, const nlohmann::json& doc)>& on_movement = {},
      const std::function<bool()>& should_stop = {});

  // The record with this id, as JSON with "type" and "id"; a movement comes
  // with what it carries nested. Reading nominal data is audited.
  Result<nlohmann::json> Get(std::string_view id_text, const Actor& actor);
  // A movement's file, as the desk shows it (node/movement_file.cc):
  // {"movement": Get's document, "risk": the latest assessment or null,
  //  "decisions": [...], "inspections": [{..., "seizures": [...]}]}, each
  // list oldest first. One consultation is audited, as for Get. kNotFound
  // for an unknown id, kInvalidArgument for an id of another record type.
  Result<nlohmann::json> File(std::string_view movement_id, const Actor& actor);
  Result<nlohmann::json> List(const ListQuery& query, const Actor& actor);
  // Applies a patch (changed fields only; null clears). Audited.
  Result<nlohmann::json> Update(std::string_view id_text, const nlohmann::json& patch,
                                const Actor& actor);
  // Deletes a record, erasing its nominal fields everywhere it replicates.
  // The reason is required and audited.
  Status Delete(std::string_view id_text, const Actor& actor);

 private:
  struct Located {
    const schema::Table* table;
    Uuid id;
  };
  Result<Located> Locate(std::string_view id_text);
  Result<nlohmann::json> ReadJson(const schema::Table& t, const Uuid& id, bool* deleted);
  // The live rows of `table` whose `column` is `id`, as ReadJson gives them.
  Result<nlohmann::json> ReadChildren(const std::string& table, const std::string& column,
                                      const Uuid& id);
  Status CheckPatchedRow(const Located& loc, const nlohmann::json& patch);

  Store& store_;
  AuditLog audit_;
};

}  // namespace outpost::node

#endif  // OUTPOST_NODE_RECORDS_H_
