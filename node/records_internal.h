// Internals of the record API that benchmarks, tests and node's other files
// need: turning one document into the rows it will write, without writing
// them; joining a document's errors; a catalogue table by name.
#ifndef OUTPOST_NODE_RECORDS_INTERNAL_H_
#define OUTPOST_NODE_RECORDS_INTERNAL_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "node/store.h"
#include "schema/row_json.h"

namespace outpost::node::internal {

struct PlannedRow {
  const schema::Table* table;
  Uuid id;
  schema::Row row;
};

// Validates a document of `type` (nested ones included) and mints ids.
// kInvalidArgument listing every error with its field path, which starts
// with `path` (default: the type's name).
Result<std::vector<PlannedRow>> PlanDocument(Store& store, std::string_view type,
                                             const nlohmann::json& doc,
                                             const std::string& path = "");

// Errors joined with "; ", the first 8 and then "and N more".
std::string JoinErrors(const std::vector<std::string>& errors);

// A table of the compiled-in catalogue; a missing one is a bug (aborts).
const schema::Table& TableOf(Store& store, const char* name);

}  // namespace outpost::node::internal

#endif  // OUTPOST_NODE_RECORDS_INTERNAL_H_
