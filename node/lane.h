// The lane, after the movement is saved: the officer's decision on the
// engine's recommendation, then the inspection with its result and any
// seizure. One call for each, used by the desk's API (web/lane_api.cc) and
// the CLI (`outpost risk decide`, `outpost record inspect`).
//
// Invariants:
//  1. A decision is either an acceptance of the latest assessment's lane,
//     stored with the fixed reason kAcceptedReason, or a lane the officer
//     chose, stored with the officer's own reason (LED 2016/680 Art. 11: the
//     engine recommends, a person decides and says why). Accepting needs a
//     recommendation; choosing needs a reason.
//  2. An inspection and its seizures are written in ONE transaction with one
//     audit entry (action collect, record type inspection) for the actor:
//     every row is validated first, and if any field of any of them is
//     refused nothing is written, neither the inspection nor a seizure.
//  3. The result and the seizures agree: result "seizure" comes with at least
//     one seizure, and seizures come only with result "seizure".
//  4. Every write is recorded under the actor (node::StampActor: reason,
//     break-glass flag); the decision's officer and the inspection's
//     default `officers` are the actor's officer.
//
// Errors name the field, the value and the rule, with paths "movement",
// "lane", "reason", "inspection.result", "inspection.seizures[0].unit"...:
//   kInvalidArgument     a field is missing or refused; nothing written
//   kNotFound            no such movement on this node
//   kFailedPrecondition  accept without a recommendation to accept
// and the store's own errors.
//
// Thread safety: as Store (one thread at a time).
#ifndef OUTPOST_NODE_LANE_H_
#define OUTPOST_NODE_LANE_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "node/records.h"
#include "node/risk/assessments.h"
#include "node/store.h"
#include "risk/engine.h"

namespace outpost::node {

// The reason stored with an accepted recommendation.
inline constexpr std::string_view kAcceptedReason = "accepted as assessed";
// Longest reason for a decision, in bytes.
inline constexpr size_t kMaxReasonBytes = 1000;
// Most seizures recorded with one inspection.
inline constexpr size_t kMaxSeizuresPerInspection = 100;

struct LaneChoice {
  bool accept = false;             // take the latest assessment's lane
  std::optional<risk::Lane> lane;  // otherwise: the officer's lane
  std::string reason;              // required unless accepting; with accept, a note
};

// Records the decision (invariant 1) for the movement with id text
// `movement_id`. With accept, a reason given is kept after the fixed text
// ("accepted as assessed; <reason>"); a lane given with accept must be the
// recommended one.
Result<Decision> DecideLane(Store& store, std::string_view movement_id, const LaneChoice& choice,
                            const Actor& actor);

struct RecordedInspection {
  Uuid id{};
  Uuid movement{};
  std::optional<Uuid> assessment;  // the latest assessment when it was recorded
  std::string selection_basis;
  std::string result;
  std::vector<Uuid> seizures;
};

// Records an inspection of the movement `movement_id` and its seizures
// (invariants 2-3). `doc` holds the inspection's columns
// (schema/domain_catalogue.cc: selection_basis, methods, officers, started,
// ended, result, note) and "seizures": [ {seizure columns but inspection} ].
// Filled in when absent: `officers` (the actor's officer), `assessment`
// (the latest one) and `selection_basis`: "officer" if the latest decision
// overrode the recommendation to yellow or red, else "random" if the
// assessment was a random selection, else "rule" if it recommended yellow
// or red, else "officer".
Result<RecordedInspection> RecordInspection(Store& store, std::string_view movement_id,
                                            const nlohmann::json& doc, const Actor& actor);

// {"id", "movement", "assessment" (or null), "selection_basis", "result",
//  "seizures": [ids]}
nlohmann::json ToJson(const RecordedInspection& inspection);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_LANE_H_
