// The lane page's API (web/lane_api.cc): a decision (accept or override) and
// an inspection with its seizures, through web::App::Handle as the browser
// calls it: roles, CSRF, errors at their fields, the account as the actor,
// nothing stored when a field is refused. Units are UN/ECE Recommendation 20
// codes (KGM kilogram; "KG" is not one).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "node/audit.h"
#include "node/risk/assessments.h"
#include "tests/web/web_fixture.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

struct LaneFixture : WebFixture {
  Signed marko = SignIn("marko");

  // A road movement saved through the API, assessed RED by a rule on mode
  // (the fixture's node holds no signed ruleset: the engine is given here).
  std::string SavedAndAssessed() {
    json doc = {{"mode", "road"}, {"direction", "in"}, {"vehicle", {{"plate", "SA123BC"}}}};
    auto r = Call("POST", "/api/movements", doc.dump(), marko.cookie, marko.csrf);
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    std::string id = json::parse(r.body)["id"].get<std::string>();
    auto engine = risk::Engine::Compile(
        "ruleset \"lane-api\" version 1\nthresholds yellow 40 red 70\n"
        "rule R-ROAD score 80\n  when mode = \"road\"\nend\n");
    BOOST_REQUIRE(engine.ok());
    node::ActiveRuleset active{node::RulesetInfo{}, std::move(*engine)};
    BOOST_REQUIRE(node::AssessMovement(*store, active, *ParseUuid(id), doc).ok());
    return id;
  }

  web::HttpResponse Post(const std::string& path, const json& body, const Signed& who) {
    return Call("POST", path, body.dump(), who.cookie, who.csrf);
  }

  int64_t Count(const std::string& table) {
    auto n = store->db().QueryInt("SELECT count(*) FROM " + table);
    BOOST_REQUIRE(n.ok());
    return *n;
  }
};

json Seizure(const std::string& unit) {
  return {{"commodity_group", "tobacco"},
          {"subtype", "cigarettes"},
          {"quantity", 40},
          {"unit", unit},
          {"concealment_method", "false floor"}};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(lane_api, LaneFixture)

BOOST_AUTO_TEST_CASE(an_officer_accepts_the_recommended_lane_under_the_account) {
  std::string id = SavedAndAssessed();
  auto r = Post("/api/lane/decision", {{"movement", id}, {"accept", true}}, marko);
  BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  json d = json::parse(r.body);
  BOOST_TEST(d["lane"] == "red");
  BOOST_TEST(d["recommended"] == "red");
  BOOST_TEST(d["override"] == false);
  BOOST_TEST(d["officer"] == "marko");
  auto reason = store->db().QueryText("SELECT reason FROM risk_decision");
  BOOST_REQUIRE(reason.ok());
  BOOST_TEST(*reason == "accepted as assessed");
  auto audit = node::AuditLog(*store).List(1, true);
  BOOST_REQUIRE(audit.ok());
  BOOST_TEST((*audit)[0]["officer"] == "marko");
  BOOST_TEST((*audit)[0]["record_type"] == "risk_decision");
}

BOOST_AUTO_TEST_CASE(an_override_needs_a_reason_named_at_its_field) {
  std::string id = SavedAndAssessed();
  auto r =
      Post("/api/lane/decision", {{"movement", id}, {"lane", "green"}, {"reason", " "}}, marko);
  BOOST_TEST(r.status == 422, r.body);
  json e = json::parse(r.body)["errors"][0];
  BOOST_TEST(e["field"] == "reason", r.body);
  BOOST_TEST(e["value"] == "", r.body);
  BOOST_TEST(e["rule"].get<std::string>().find("must not be empty") != std::string::npos, r.body);
  auto bad = Post("/api/lane/decision", {{"movement", id}, {"lane", "purple"}}, marko);
  BOOST_TEST(bad.status == 422);
  BOOST_TEST(json::parse(bad.body)["errors"][0]["value"] == "purple", bad.body);
  BOOST_TEST(Count("risk_decision") == 0);

  // A supervisor may decide too; the override comes back as one.
  auto sead = SignIn("sead");
  auto ok = Post("/api/lane/decision",
                 {{"movement", id}, {"lane", "green"}, {"reason", "escorted convoy"}}, sead);
  BOOST_REQUIRE_MESSAGE(ok.status == 201, ok.body);
  BOOST_TEST(json::parse(ok.body)["override"] == true);
  BOOST_TEST(json::parse(ok.body)["officer"] == "sead");
}

BOOST_AUTO_TEST_CASE(nothing_to_accept_and_no_such_movement_are_told_apart) {
  auto r = Call("POST", "/api/movements", R"({"mode":"rail","direction":"out"})", marko.cookie,
                marko.csrf);
  BOOST_REQUIRE(r.status == 201);
  std::string id = json::parse(r.body)["id"].get<std::string>();  // no ruleset: not assessed
  auto none = Post("/api/lane/decision", {{"movement", id}, {"accept", true}}, marko);
  BOOST_TEST(none.status == 409, none.body);
  BOOST_TEST(json::parse(none.body)["errors"][0]["field"] == "accept", none.body);
  std::string absent = UuidToString(store->NewId());
  auto gone = Post("/api/lane/inspection", {{"movement", absent}, {"result", "nil"}}, marko);
  BOOST_TEST(gone.status == 404, gone.body);
  BOOST_TEST(json::parse(gone.body)["errors"][0]["field"] == "movement", gone.body);
  auto missing = Post("/api/lane/decision", {{"accept", true}}, marko);
  BOOST_TEST(missing.status == 422);
  BOOST_TEST(json::parse(missing.body)["errors"][0]["field"] == "movement", missing.body);
}

BOOST_AUTO_TEST_CASE(an_inspection_and_its_seizure_are_stored_together) {
  std::string id = SavedAndAssessed();
  json body = {{"movement", id},
               {"methods", "xray,physical_partial"},
               {"result", "seizure"},
               {"note", "cartons behind the pallets"},
               {"seizures", json::array({Seizure("KGM")})}};
  auto r = Post("/api/lane/inspection", body, marko);
  BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  json i = json::parse(r.body);
  BOOST_TEST(i["result"] == "seizure");
  BOOST_TEST(i["selection_basis"] == "rule");
  BOOST_TEST(i["seizures"].size() == 1u);
  BOOST_TEST(Count("live_inspection WHERE officers = 'marko'") == 1);
  BOOST_TEST(Count("live_seizure") == 1);
}

BOOST_AUTO_TEST_CASE(a_refused_seizure_stores_no_inspection_and_every_field_is_named) {
  std::string id = SavedAndAssessed();
  json body = {{"movement", id},
               {"result", "maybe"},
               {"seizures", json::array({Seizure("KGM"), Seizure("KG")})}};
  auto r = Post("/api/lane/inspection", body, marko);
  BOOST_TEST(r.status == 422, r.body);
  json errors = json::parse(r.body)["errors"];
  BOOST_REQUIRE_MESSAGE(errors.size() == 2u, r.body);
  BOOST_TEST(errors[0]["field"] == "inspection.result", r.body);
  BOOST_TEST(errors[0]["value"] == "maybe", r.body);
  BOOST_TEST(errors[1]["field"] == "inspection.seizures[1].unit", r.body);
  BOOST_TEST(errors[1]["value"] == "KG", r.body);
  BOOST_TEST(errors[1]["rule"].get<std::string>().find("UN/ECE Rec 20") != std::string::npos);
  BOOST_TEST(Count("inspection") == 0);
  BOOST_TEST(Count("seizure") == 0);
}

BOOST_AUTO_TEST_CASE(roles_and_the_csrf_token_are_checked_on_the_server) {
  std::string id = SavedAndAssessed();
  json body = {{"movement", id}, {"accept", true}};
  auto admin = SignIn("ana");
  BOOST_TEST(Post("/api/lane/decision", body, admin).status == 403);
  BOOST_TEST(Post("/api/lane/inspection", {{"movement", id}, {"result", "nil"}}, admin).status ==
             403);
  BOOST_TEST(Call("POST", "/api/lane/decision", body.dump(), marko.cookie, "").status == 403);
  BOOST_TEST(Call("POST", "/api/lane/decision", body.dump()).status == 401);
  BOOST_TEST(Call("GET", "/api/lane/decision", "", marko.cookie).status == 405);
  BOOST_TEST(Count("risk_decision") == 0);
  BOOST_TEST(Count("inspection") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::testing
