// Assessments, officers' decisions and the feedback report: the risk
// engine's results as replicated records of the site (docs/rules.md,
// "Assessments, decisions, feedback").
//
// Tables (schema/domain_catalogue.cc), both in the scope of the node that
// writes them ("site:CODE"), so they sync to HQ with the movements:
//   risk_assessment  one row per assessment of a movement, with the ruleset's
//                    row id, id and version, score, lane, random selection,
//                    the hits (JSON) and the ids of the active rules that hit
//   risk_decision    the officer's lane and reason (append-only); the engine
//                    only recommends (LED 2016/680 Art. 11)
//
// Invariants:
//  1. An assessment is stored after its movement, in its own transaction: a
//     crash between the two leaves a movement without an assessment (never
//     the reverse), and the movement is recorded whatever the engine says.
//  2. The report reads only replicated tables, so it gives the same figures
//     on every node holding the same rows.
//
// Thread safety: as Store (one thread at a time).
#ifndef OUTPOST_NODE_RISK_ASSESSMENTS_H_
#define OUTPOST_NODE_RISK_ASSESSMENTS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "node/records.h"
#include "node/risk/distribution.h"
#include "node/store.h"
#include "risk/engine.h"

namespace outpost::node {

// History counts over the store: live movements in this node's own scope
// whose vehicle has exactly `plate`, at or after `since`, except `exclude`
// (the movement being assessed). A query error is returned (the engine then
// treats the count as unknown) and kept in status(), so that AssessMovement
// refuses to store an assessment made without the history it asked for.
class StoreHistory final : public risk::HistoryProvider {
 public:
  StoreHistory(Store& store, std::optional<Uuid> exclude) : store_(store), exclude_(exclude) {}
  Result<int64_t> CountCrossings(std::string_view plate, int64_t since_micros) override;
  // OK, or the first error CountCrossings returned.
  const Status& status() const { return status_; }

 private:
  Store& store_;
  std::optional<Uuid> exclude_;
  Status status_;
};

struct StoredAssessment {
  Uuid id{};
  risk::Assessment assessment;
};

// Assesses the stored movement `movement_id` with `active`: the document as
// submitted (`doc`), completed with the stored movement's time and crossing,
// history from StoreHistory, the node's site code as the crossing. Stores
// the assessment. kNotFound if the movement does not exist; the store's
// error if the history could not be read (nothing is stored then).
Result<StoredAssessment> AssessMovement(Store& store, const ActiveRuleset& active,
                                        const Uuid& movement_id, const nlohmann::json& doc);

struct Decision {
  Uuid id{};
  std::optional<risk::Lane> recommended;  // from the latest assessment, if any
  risk::Lane lane = risk::Lane::kGreen;
  bool override = false;  // lane differs from the recommendation
};

// Records the officer's decision for a movement (id text). kInvalidArgument
// for an empty reason or officer, or an id that is not a UUID; kNotFound if
// no such movement is stored. With `audited`, an audit entry (action
// collect, record type risk_decision) for that actor is written in the same
// transaction (node/lane.h: the desk's decisions are recorded under the
// signed-in account, break-glass flag included).
Result<Decision> RecordDecision(Store& store, std::string_view movement_id, risk::Lane lane,
                                const std::string& reason, const std::string& officer,
                                const Actor* audited = nullptr);

// The movement's latest assessment (by assessed_at, then id), if any.
struct LatestAssessment {
  Uuid id{};
  std::optional<risk::Lane> lane;  // none if the stored lane is not a lane name
  bool random_selected = false;
};
Result<std::optional<LatestAssessment>> FindLatestAssessment(Store& store, const Uuid& movement);

struct ReportOptions {
  std::optional<int64_t> since_micros;  // assessments at or after
  std::string site;                     // only movements of this site code; empty = all
};

struct RuleFigures {
  std::string rule_id;
  bool shadow = false;
  int64_t hits = 0;                 // assessed movements the rule hit
  int64_t inspections = 0;          // of those, inspected
  int64_t positives = 0;            // of those, irregularity or seizure
  int64_t selections = 0;           // of those, recommended yellow or red
  std::optional<double> precision;  // positives / inspections
  std::optional<double> share;      // selections / all selections
  std::optional<double> lift;       // precision / control precision
};

struct RiskReport {
  int64_t assessed = 0;  // movements with an assessment
  int64_t inspected = 0;
  int64_t positives = 0;
  int64_t selections = 0;  // recommended yellow or red
  int64_t overrides = 0;   // decisions that differ from the recommendation
  int64_t control = 0;     // randomly selected (the control sample)
  int64_t control_inspected = 0;
  int64_t control_positives = 0;
  std::optional<double> inspected_share;    // inspected / assessed
  std::optional<double> hit_rate;           // positives / inspected
  std::optional<double> control_precision;  // control positives / control inspected
  std::vector<RuleFigures> rules;           // by rule id; active first, then shadow
};

// The feedback report over the assessments, inspections and seizures this
// node holds. A movement counts once, with its latest assessment; it is
// positive if an inspection of it has result irregularity or seizure, or a
// seizure refers to one of its inspections.
Result<RiskReport> BuildReport(Store& store, const ReportOptions& options);
nlohmann::json ToJson(const RiskReport& report);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_RISK_ASSESSMENTS_H_
