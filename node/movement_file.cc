// Records::File: a movement with its risk assessment, the officers'
// decisions and the inspections with their seizures (node/records.h).
#include <algorithm>

#include "node/records.h"
#include "schema/table_ids.h"

namespace outpost::node {

using nlohmann::json;

namespace {

// Oldest first by `key` (UTC times in ISO 8601 order as text).
void SortBy(json& rows, const char* key) {
  std::stable_sort(rows.begin(), rows.end(), [key](const json& a, const json& b) {
    return a.value(key, "") < b.value(key, "");
  });
}

// The stored assessment in the shape POST /api/movements answers with
// (node::RiskOutcomeJson): the hits parsed back from their JSON text.
json RiskOf(json a) {
  json hits = json::parse(a.value("hits", "[]"), nullptr, /*allow_exceptions=*/false);
  a["hits"] = hits.is_discarded() ? json::array() : hits;
  a.erase("shadow_hits");
  a["assessed"] = true;
  a["assessment_id"] = a["id"];
  return a;
}

}  // namespace

Result<json> Records::File(std::string_view movement_id, const Actor& actor) {
  OUTPOST_ASSIGN_OR_RETURN(Located loc, Locate(movement_id));
  if (loc.table->id != schema::kMovementTableId) {
    return Status::InvalidArgument("id: " + std::string(movement_id) + " is a " + loc.table->name +
                                   ", not a movement");
  }
  OUTPOST_ASSIGN_OR_RETURN(json movement, Get(movement_id, actor));
  OUTPOST_ASSIGN_OR_RETURN(json assessments, ReadChildren("risk_assessment", "movement", loc.id));
  OUTPOST_ASSIGN_OR_RETURN(json decisions, ReadChildren("risk_decision", "movement", loc.id));
  OUTPOST_ASSIGN_OR_RETURN(json inspections, ReadChildren("inspection", "movement", loc.id));
  SortBy(assessments, "assessed_at");
  SortBy(decisions, "decided_at");
  SortBy(inspections, "started");
  for (auto& x : inspections) {
    auto inspection = ParseUuid(x.value("id", ""));
    if (!inspection.ok()) continue;
    OUTPOST_ASSIGN_OR_RETURN(x["seizures"], ReadChildren("seizure", "inspection", *inspection));
  }
  return json{{"movement", std::move(movement)},
              {"risk", assessments.empty() ? json(nullptr) : RiskOf(assessments.back())},
              {"decisions", std::move(decisions)},
              {"inspections", std::move(inspections)}};
}

}  // namespace outpost::node
