// The lane after a movement is saved (node/lane.h): accepting or overriding
// the recommendation, and an inspection recorded with its seizures in one
// transaction. Real store, real engine (risk::Engine compiled from rule
// text), assessments stored by node::AssessMovement as the desk's save does.
// Units are UN/ECE Recommendation 20 codes (KGM kilogram, NAR number of
// articles), commodity groups those of the WCO's seizure reporting
// (schema/domain_catalogue.cc).
#define BOOST_TEST_MODULE lane
#include "node/lane.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "node/audit.h"
#include "node/risk/assessments.h"
#include "tests/node/node_fixture.h"

using namespace outpost;
using namespace outpost::node;
using nlohmann::json;
using outpost::testing::SiteFixture;

namespace {

// Road movements score 80 (red); others score nothing (green). With
// `random`, every movement is also drawn for the control sample.
ActiveRuleset Ruleset(bool random = false) {
  std::string text =
      "ruleset \"lane-test\" version 1\n"
      "thresholds yellow 40 red 70\n" +
      std::string(random ? "random_rate 1 lane red\n" : "") +
      "rule R-ROAD score 80 instructions \"Open the load.\"\n"
      "  when mode = \"road\"\n"
      "end\n";
  auto engine = risk::Engine::Compile(text);
  BOOST_REQUIRE_MESSAGE(engine.ok(), engine.status().ToString());
  return ActiveRuleset{RulesetInfo{}, std::move(*engine)};
}

struct LaneFixture : SiteFixture {
  Actor desk{"ana.kovac", "", /*break_glass=*/true};

  // Stores a movement of `mode`; assesses it with `ruleset` unless null.
  std::string Movement(const std::string& mode, const ActiveRuleset* ruleset) {
    json doc = {{"mode", mode}, {"direction", "in"}, {"vehicle", {{"plate", "SA123BC"}}}};
    auto added = records->Add("movement", doc, officer);
    BOOST_REQUIRE_MESSAGE(added.ok(), added.status().ToString());
    std::string id = (*added)["id"].get<std::string>();
    if (ruleset) {
      auto a = AssessMovement(*store, *ruleset, *ParseUuid(id), doc);
      BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    }
    return id;
  }

  int64_t Count(const std::string& sql) {
    auto n = store->db().QueryInt(sql);
    BOOST_REQUIRE_MESSAGE(n.ok(), n.status().ToString());
    return *n;
  }

  json LatestAudit() {
    auto list = AuditLog(*store).List(1, true);
    BOOST_REQUIRE(list.ok() && !list->empty());
    return (*list)[0];
  }
};

json Tobacco() {
  return {{"commodity_group", "tobacco"},
          {"subtype", "cigarettes"},
          {"quantity", 12000},
          {"unit", "NAR"},
          {"concealment_method", "false floor"},
          {"detection_method", "xray"}};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(lane, LaneFixture)

BOOST_AUTO_TEST_CASE(accepting_stores_the_recommended_lane_with_the_fixed_reason) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto d = DecideLane(*store, mid, LaneChoice{true, std::nullopt, ""}, desk);
  BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  BOOST_TEST((d->lane == risk::Lane::kRed));
  BOOST_TEST(!d->override);
  BOOST_TEST(Count("SELECT count(*) FROM live_risk_decision WHERE reason = 'accepted as assessed' "
                   "AND officer = 'ana.kovac' AND lane = 'red'") == 1);
  BOOST_TEST(Count("SELECT count(*) FROM live_movement WHERE lane = 'red'") == 1);
  // Recorded under the account, with its break-glass flag, in the same write.
  json e = LatestAudit();
  BOOST_TEST(e["officer"] == "ana.kovac");
  BOOST_TEST(e["record_type"] == "risk_decision");
  BOOST_TEST(e["record_id"] == UuidToString(d->id));
  BOOST_TEST(e["detail"]["break_glass"] == true);
  BOOST_TEST(e["detail"]["override"] == false);
}

BOOST_AUTO_TEST_CASE(a_note_given_with_an_acceptance_is_kept_after_the_fixed_reason) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto d = DecideLane(*store, mid, LaneChoice{true, risk::Lane::kRed, "  driver nervous "}, desk);
  BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  BOOST_TEST(Count("SELECT count(*) FROM live_risk_decision WHERE reason = "
                   "'accepted as assessed; driver nervous'") == 1);
}

BOOST_AUTO_TEST_CASE(an_override_without_a_reason_is_refused_and_writes_nothing) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto entries = Count("SELECT count(*) FROM audit_entry");
  auto d = DecideLane(*store, mid, LaneChoice{false, risk::Lane::kGreen, "   "}, desk);
  BOOST_TEST((d.status().code() == Code::kInvalidArgument));
  BOOST_TEST(d.status().message().rfind("reason: \"\" must not be empty", 0) == 0);
  auto no_lane = DecideLane(*store, mid, LaneChoice{false, std::nullopt, "x"}, desk);
  BOOST_TEST((no_lane.status().code() == Code::kInvalidArgument));
  BOOST_TEST(no_lane.status().message().rfind("lane:", 0) == 0);
  auto long_reason =
      DecideLane(*store, mid, LaneChoice{false, risk::Lane::kGreen, std::string(1001, 'x')}, desk);
  BOOST_TEST(long_reason.status().message().rfind("reason: 1001 bytes", 0) == 0);
  BOOST_TEST(Count("SELECT count(*) FROM risk_decision") == 0);
  BOOST_TEST(Count("SELECT count(*) FROM audit_entry") == entries);
  BOOST_TEST(Count("SELECT count(*) FROM live_movement WHERE lane IS NULL") == 1);
}

BOOST_AUTO_TEST_CASE(an_override_with_a_reason_sets_the_officers_lane) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto d = DecideLane(*store, mid, LaneChoice{false, risk::Lane::kGreen, "escorted convoy"}, desk);
  BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  BOOST_TEST(d->override);
  BOOST_TEST((d->recommended == risk::Lane::kRed));
  BOOST_TEST(Count("SELECT count(*) FROM live_movement WHERE lane = 'green'") == 1);
  BOOST_TEST(Count("SELECT count(*) FROM live_risk_decision WHERE override = 1 AND reason = "
                   "'escorted convoy' AND recommended = 'red'") == 1);
  BOOST_TEST(LatestAudit()["detail"]["override"] == true);
}

BOOST_AUTO_TEST_CASE(accepting_needs_a_recommendation_and_the_recommended_lane) {
  std::string unassessed = Movement("road", nullptr);
  auto none = DecideLane(*store, unassessed, LaneChoice{true, std::nullopt, ""}, desk);
  BOOST_TEST((none.status().code() == Code::kFailedPrecondition));
  BOOST_TEST(none.status().message().rfind("accept:", 0) == 0);
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto other = DecideLane(*store, mid, LaneChoice{true, risk::Lane::kYellow, ""}, desk);
  BOOST_TEST((other.status().code() == Code::kInvalidArgument));
  BOOST_TEST(other.status().message().rfind("lane: \"yellow\" is not the recommended red", 0) == 0);
  BOOST_TEST(Count("SELECT count(*) FROM risk_decision") == 0);
}

BOOST_AUTO_TEST_CASE(a_movement_that_is_not_here_is_named) {
  auto bad = DecideLane(*store, "not-an-id", LaneChoice{true, std::nullopt, ""}, desk);
  BOOST_TEST((bad.status().code() == Code::kInvalidArgument));
  BOOST_TEST(bad.status().message() == "movement: \"not-an-id\" is not a record id (a UUID)");
  std::string absent = UuidToString(store->NewId());
  auto gone = RecordInspection(*store, absent, json{{"result", "nil"}}, desk);
  BOOST_TEST((gone.status().code() == Code::kNotFound));
  BOOST_TEST(gone.status().message().rfind("movement: \"" + absent + "\"", 0) == 0);
  auto nobody = DecideLane(*store, absent, LaneChoice{true, std::nullopt, ""}, Actor{});
  BOOST_TEST(nobody.status().message().rfind("officer:", 0) == 0);
}

BOOST_AUTO_TEST_CASE(an_inspection_and_its_seizure_are_stored_together_with_one_audit_entry) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto entries = Count("SELECT count(*) FROM audit_entry");
  json doc = {{"methods", "xray,physical_partial"},
              {"result", "seizure"},
              {"note", "cartons behind the pallets"},
              {"seizures", json::array({Tobacco()})}};
  auto r = RecordInspection(*store, mid, doc, desk);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  BOOST_TEST(r->result == "seizure");
  BOOST_TEST(r->selection_basis == "rule");  // recommended red by R-ROAD
  BOOST_REQUIRE(r->seizures.size() == 1u);
  BOOST_REQUIRE(r->assessment.has_value());
  std::string iid = ToHex(std::span<const uint8_t>(r->id));
  BOOST_TEST(Count("SELECT count(*) FROM live_inspection WHERE id = x'" + iid +
                   "' AND officers = 'ana.kovac' AND selection_basis = 'rule' AND assessment = x'" +
                   ToHex(std::span<const uint8_t>(*r->assessment)) + "'") == 1);
  BOOST_TEST(Count("SELECT count(*) FROM live_seizure WHERE inspection = x'" + iid +
                   "' AND unit = 'NAR' AND quantity = 12000") == 1);
  BOOST_TEST(Count("SELECT count(*) FROM audit_entry") == entries + 1);
  json e = LatestAudit();
  BOOST_TEST(e["record_type"] == "inspection");
  BOOST_TEST(e["officer"] == "ana.kovac");
  BOOST_TEST(e["detail"]["break_glass"] == true);
  BOOST_TEST(e["detail"]["seizures"][0] == UuidToString(r->seizures[0]));
  BOOST_TEST(ToJson(*r)["seizures"].size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_seizure_that_fails_validation_leaves_no_inspection_either) {
  ActiveRuleset rs = Ruleset();
  std::string mid = Movement("road", &rs);
  auto entries = Count("SELECT count(*) FROM audit_entry");
  json bad = Tobacco();
  bad["unit"] = "KG";  // Rec 20 says KGM
  json doc = {
      {"methods", "xray"}, {"result", "seizure"}, {"seizures", json::array({Tobacco(), bad})}};
  auto r = RecordInspection(*store, mid, doc, desk);
  BOOST_TEST((r.status().code() == Code::kInvalidArgument));
  BOOST_TEST(r.status().message().find("inspection.seizures[1].unit: \"KG\" is not a UN/ECE Rec "
                                       "20 unit code") != std::string::npos);
  BOOST_TEST(r.status().message().find("seizures[0]") == std::string::npos);
  BOOST_TEST(Count("SELECT count(*) FROM inspection") == 0);
  BOOST_TEST(Count("SELECT count(*) FROM seizure") == 0);
  BOOST_TEST(Count("SELECT count(*) FROM audit_entry") == entries);
}

BOOST_AUTO_TEST_CASE(every_refused_field_of_inspection_and_seizures_is_named_at_once) {
  std::string mid = Movement("road", nullptr);
  json bad = Tobacco();
  bad["quantity"] = -3;
  json doc = {{"result", "maybe"}, {"seizures", json::array({bad})}};
  auto r = RecordInspection(*store, mid, doc, desk);
  BOOST_TEST((r.status().code() == Code::kInvalidArgument));
  const std::string& m = r.status().message();
  BOOST_TEST(m.find("inspection.result: \"maybe\"") != std::string::npos);
  BOOST_TEST(m.find("inspection.seizures[0].quantity:") != std::string::npos);
  BOOST_TEST(m.find("contradicts") == std::string::npos);  // the bad result is named once
  BOOST_TEST(Count("SELECT count(*) FROM inspection") == 0);
}

BOOST_AUTO_TEST_CASE(the_result_and_the_seizures_must_agree) {
  std::string mid = Movement("road", nullptr);
  auto none = RecordInspection(*store, mid, json{{"result", "seizure"}}, desk);
  BOOST_TEST(
      none.status().message().rfind("inspection.result: \"seizure\" needs at least one", 0) == 0);
  json nil = {{"result", "nil"}, {"seizures", json::array({Tobacco()})}};
  auto contradicted = RecordInspection(*store, mid, nil, desk);
  BOOST_TEST(contradicted.status().message().rfind("inspection.result: \"nil\" contradicts", 0) ==
             0);
  json set = {{"result", "seizure"}, {"seizures", json::array({Tobacco()})}};
  set["seizures"][0]["inspection"] = mid;
  auto forged = RecordInspection(*store, mid, set, desk);
  BOOST_TEST(forged.status().message().find("inspection.seizures[0].inspection:") !=
             std::string::npos);
  BOOST_TEST(Count("SELECT count(*) FROM inspection") == 0);
  BOOST_TEST(Count("SELECT count(*) FROM seizure") == 0);
}

BOOST_AUTO_TEST_CASE(the_selection_basis_follows_the_assessment_and_the_decision) {
  ActiveRuleset random = Ruleset(/*random=*/true);
  auto drawn = RecordInspection(*store, Movement("rail", &random), json{{"result", "nil"}}, desk);
  BOOST_REQUIRE_MESSAGE(drawn.ok(), drawn.status().ToString());
  BOOST_TEST(drawn->selection_basis == "random");

  ActiveRuleset rs = Ruleset();
  std::string green = Movement("rail", &rs);
  BOOST_REQUIRE(
      DecideLane(*store, green, LaneChoice{false, risk::Lane::kRed, "smell of fuel"}, desk).ok());
  auto chosen = RecordInspection(*store, green, json{{"result", "irregularity"}}, desk);
  BOOST_REQUIRE_MESSAGE(chosen.ok(), chosen.status().ToString());
  BOOST_TEST(chosen->selection_basis == "officer");

  json given = {{"result", "nil"}, {"selection_basis", "alert"}, {"officers", "BA-GRA-0042"}};
  auto alert = RecordInspection(*store, green, given, desk);
  BOOST_REQUIRE_MESSAGE(alert.ok(), alert.status().ToString());
  BOOST_TEST(alert->selection_basis == "alert");
  BOOST_TEST(Count("SELECT count(*) FROM live_inspection WHERE officers = 'BA-GRA-0042'") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
