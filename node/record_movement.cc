#include "node/record_movement.h"

#include "crypto/keys.h"
#include "node/risk/assessments.h"

namespace outpost::node {

using nlohmann::json;

RiskOutcome AssessStoredMovement(Store& store, const Uuid& movement_id, const json& doc) {
  RiskOutcome out;
  auto fail = [&out](const Status& why) {
    out.message = why.message();
    out.refused.clear();
    return out;
  };
  if (Status s = crypto::InitCrypto(); !s.ok()) return fail(s);
  auto act = ActivateNewest(store);
  if (!act.ok()) return fail(act.status());
  out.refused = std::move(act->refused);
  if (!act->active) {
    out.state = RiskOutcome::State::kNoRuleset;
    out.message = "no ruleset loaded: no lane recommended";
    return out;
  }
  auto stored = AssessMovement(store, *act->active, movement_id, doc);
  if (!stored.ok()) return fail(stored.status());
  out.state = RiskOutcome::State::kAssessed;
  out.assessment = std::move(stored->assessment);
  out.assessment_id = stored->id;
  return out;
}

Result<RecordedMovement> RecordMovement(Store& store, const json& doc, const Actor& actor) {
  Records records(store);
  RecordedMovement out;
  OUTPOST_ASSIGN_OR_RETURN(out.record, records.Add("movement", doc, actor));
  // Add names the movement's id in its answer; the movement is stored.
  OUTPOST_ASSIGN_OR_RETURN(out.id, ParseUuid(out.record["id"].get<std::string>()));
  out.risk = AssessStoredMovement(store, out.id, doc);
  return out;
}

json RiskOutcomeJson(const RiskOutcome& outcome) {
  json j;
  if (outcome.assessed()) {
    j = risk::ToJson(*outcome.assessment);
    j["assessed"] = true;
    j["assessment_id"] = UuidToString(outcome.assessment_id);
  } else {
    j = {{"lane", nullptr}, {"assessed", false}, {"message", outcome.message}};
  }
  if (!outcome.refused.empty()) j["refused"] = RefusedRulesetsJson(outcome.refused);
  return j;
}

}  // namespace outpost::node
