// "Record a movement, then assess it": the one call the CLI (`outpost record
// add movement`, `outpost record import`) and the HTTP API use, so that every
// front end stores and assesses a movement the same way.
//
// RecordMovement stores the movement through Records::Add (validation, one
// transaction with its audit entry), then activates the newest valid ruleset
// (node/risk/distribution.h) and assesses the stored movement with it
// (node/risk/assessments.h), storing the assessment in a transaction of its
// own (assessments.h, invariant 1). The assessment never fails the call: the
// movement is recorded whatever the engine or the ruleset store says, and a
// failure to assess is reported in RiskOutcome::message.
//
// The wording for the officer (lanes in capitals, the `risk decide` hint) is
// the front end's business; RiskOutcomeJson is the machine-readable form that
// `outpost record add movement --json` prints under "risk".
//
// Thread safety: as Store (one thread at a time).
#ifndef OUTPOST_NODE_RECORD_MOVEMENT_H_
#define OUTPOST_NODE_RECORD_MOVEMENT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "node/records.h"
#include "node/risk/distribution.h"
#include "node/store.h"
#include "risk/engine.h"

namespace outpost::node {

// What the risk engine made of a stored movement.
struct RiskOutcome {
  enum class State {
    kAssessed,   // `assessment` holds the recommendation
    kNoRuleset,  // no valid ruleset is held here: no lane recommended
    kFailed,     // the assessment could not be made (`message` says why)
  };
  State state = State::kFailed;
  // When assessed: lane, score, hits (each with the values that made it
  // hold), random selection, the ruleset's id and version.
  std::optional<risk::Assessment> assessment;
  Uuid assessment_id{};  // the stored risk_assessment row, when assessed
  // Why there is no assessment (empty when assessed).
  std::string message;
  // Rulesets newer than the one used (or than none) that were refused, with
  // their reasons, newest first; empty when the assessment failed.
  std::vector<RefusedRuleset> refused;

  bool assessed() const { return state == State::kAssessed; }
};

struct RecordedMovement {
  nlohmann::json record;  // as Records::Add returns it: {"id", "type", "rows"}
  Uuid id{};              // the movement's id
  RiskOutcome risk;
};

// Stores the movement `doc` for `actor`, then assesses it. Errors are those
// of Records::Add (kInvalidArgument naming the field, ...): then nothing is
// stored. Once the movement is stored the call succeeds.
Result<RecordedMovement> RecordMovement(Store& store, const nlohmann::json& doc,
                                        const Actor& actor);

// Assesses the stored movement `movement_id` (submitted as `doc`) with the
// newest valid ruleset and stores the assessment; never fails (see above).
// What RecordMovement does after storing, and what an import does for each
// movement once its batch is committed.
RiskOutcome AssessStoredMovement(Store& store, const Uuid& movement_id, const nlohmann::json& doc);

// The "risk" object of `outpost record add movement --json`:
//   assessed: risk::ToJson(assessment) + {"assessed": true, "assessment_id"}
//   not:      {"lane": null, "assessed": false, "message": ...}
// each with "refused" (RefusedRulesetsJson) when a newer ruleset was refused.
nlohmann::json RiskOutcomeJson(const RiskOutcome& outcome);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_RECORD_MOVEMENT_H_
