// GET /api/queue and GET /api/shift through web::App: who may read them, and
// what a recorded, decided movement looks like in each (node/shift.h).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "node/record_movement.h"
#include "node/risk/assessments.h"
#include "tests/web/web_fixture.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

// Recorded now (no "time": the node's clock), so it is today's.
const json kTodaysTruck = {
    {"direction", "in"}, {"mode", "road"}, {"vehicle", {{"plate", "SA123BC"}, {"kind", "truck"}}}};

BOOST_AUTO_TEST_SUITE(shift_api)

BOOST_FIXTURE_TEST_CASE(the_shift_is_for_supervisors_and_needs_a_session, WebFixture) {
  BOOST_TEST(Call("GET", "/api/shift").status == 401);
  BOOST_TEST(Call("GET", "/api/queue").status == 401);
  BOOST_TEST(Call("GET", "/shift").status == 303);  // a page: to /login
  auto officer = SignIn("marko");
  auto r = Call("GET", "/api/shift", "", officer.cookie);
  BOOST_TEST(r.status == 403);
  BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "role");
  BOOST_TEST(Call("GET", "/shift", "", officer.cookie).status == 403);
  BOOST_TEST(Call("GET", "/api/queue", "", officer.cookie).status == 200);
  BOOST_TEST(Call("GET", "/api/queue", "", SignIn("ana").cookie).status == 403);  // admin
  auto supervisor = SignIn("sead");
  BOOST_TEST(Call("GET", "/api/shift", "", supervisor.cookie).status == 200);
  BOOST_TEST(Call("GET", "/api/queue", "", supervisor.cookie).status == 200);
  BOOST_TEST(Call("GET", "/queue", "", officer.cookie).status == 200);
}

BOOST_FIXTURE_TEST_CASE(a_red_lane_awaiting_inspection_shows_in_queue_and_shift, WebFixture) {
  auto m = node::RecordMovement(*store, kTodaysTruck, officer);
  BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  std::string id = UuidToString(m->id);
  auto d = node::RecordDecision(*store, id, risk::Lane::kRed, "smell of diesel", "BA-GRA-0042");
  BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());

  auto q = Call("GET", "/api/queue", "", SignIn("marko").cookie);
  BOOST_REQUIRE(q.status == 200);
  json queue = json::parse(q.body)["queue"];
  BOOST_REQUIRE(queue.size() == 1u);
  BOOST_TEST(queue[0]["id"] == id);
  BOOST_TEST(queue[0]["plate"] == "SA123BC");
  BOOST_TEST(queue[0]["lane"] == "red");
  BOOST_TEST(queue[0]["awaits"] == "inspection");
  // The plates listed were consulted by marko: one audit entry.
  auto audited = store->db().QueryInt(
      "SELECT count(*) FROM live_audit_entry WHERE action = 'consult' AND officer = 'marko'");
  BOOST_TEST(*audited == 1);

  auto s = Call("GET", "/api/shift", "", SignIn("sead").cookie);
  BOOST_REQUIRE(s.status == 200);
  json shift = json::parse(s.body);
  BOOST_TEST(shift["movements"] == 1);
  BOOST_TEST(shift["by_lane"]["red"] == 1);
  BOOST_TEST(shift["by_mode"]["road"] == 1);
  BOOST_TEST(shift["inspections"] == 0);
  BOOST_TEST(shift["overrides"].empty());  // no recommendation: not an override
  BOOST_TEST(shift["ruleset"].is_null());
  BOOST_TEST(shift["sync"]["warning"] == "This node has no sync peer: nothing reaches HQ.");
  BOOST_TEST(s.body.find("SA123BC") == std::string::npos);  // no plate on the summary
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
