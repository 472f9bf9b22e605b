// The risk assessment that `outpost record add movement` runs after the
// movement is stored (defined in cli/cmd_risk.cc, next to the risk commands
// that print the same fields).
#ifndef OUTPOST_CLI_RISK_ASSESS_H_
#define OUTPOST_CLI_RISK_ASSESS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "node/store.h"

namespace outpost::cli {

// Activates the newest valid ruleset, assesses the stored movement
// `movement_id` (as submitted in `doc`) and stores the assessment. Never
// fails the command: the movement is already recorded. Returns the "risk"
// JSON object (lane null and a message when there is no ruleset or the
// assessment could not be made) and sets *human to the lines for the officer.
nlohmann::json AssessRecordedMovement(node::Store& store, const std::string& movement_id,
                                      const nlohmann::json& doc, std::string* human);

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_RISK_ASSESS_H_
