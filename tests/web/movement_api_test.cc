// GET /api/movement (web/movement_api.cc): a movement's file for the desk,
// by role, refusing an unknown or malformed id at the field `id`, and read
// under the signed-in account's name in the audit log.
#include <boost/test/unit_test.hpp>

#include "node/audit.h"
#include "node/risk/assessments.h"
#include "tests/web/web_fixture.h"

namespace outpost::web {
namespace {

using nlohmann::json;
using testing::WebFixture;

struct FileFixture : WebFixture {
  std::string id;
  FileFixture() {
    json car = {
        {"direction", "in"},
        {"mode", "road"},
        {"vehicle", {{"plate", "BL456KM"}, {"kind", "car"}}},
        {"persons",
         json::array({{{"role", "driver"}, {"family_name", "Hodžić"}, {"given_names", "Amra"}}})}};
    auto m = records->Add("movement", car, officer);
    BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
    id = (*m)["id"];
    BOOST_REQUIRE(node::RecordDecision(*store, id, risk::Lane::kRed, "nervous", "marko").ok());
  }
};

BOOST_FIXTURE_TEST_SUITE(movement_api, FileFixture)

BOOST_AUTO_TEST_CASE(the_desk_reads_a_movements_file_and_the_read_is_audited_as_its_own) {
  BOOST_TEST(Call("GET", "/api/movement?id=" + id).status == 401);
  auto admin = SignIn("ana");
  BOOST_TEST(Call("GET", "/api/movement?id=" + id, "", admin.cookie).status == 403);
  auto s = SignIn("marko");
  auto r = Call("GET", "/api/movement?id=" + id, "", s.cookie);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  json j = json::parse(r.body);
  BOOST_TEST(j["movement"]["vehicle"]["plate"] == "BL456KM");
  BOOST_TEST(j["decisions"][0]["lane"] == "red");
  BOOST_TEST(j["inspections"].empty());
  auto last = node::AuditLog(*store).List(1, true);
  BOOST_REQUIRE(last.ok() && !last->empty());
  BOOST_TEST((*last)[0]["officer"] == "marko", last->dump());
  BOOST_TEST((*last)[0]["action"] == "consult", last->dump());
  BOOST_TEST((*last)[0].dump().find("desk view") != std::string::npos, last->dump());
}

BOOST_AUTO_TEST_CASE(an_unknown_or_malformed_id_is_refused_at_the_field_id) {
  auto s = SignIn("marko");
  for (auto [query, status] :
       {std::pair{"?id=" + UuidToString(store->NewId()), 404}, std::pair{std::string("?id=x"), 422},
        std::pair{std::string(""), 422}}) {
    auto r = Call("GET", "/api/movement" + query, "", s.cookie);
    BOOST_TEST(r.status == status, query << " -> " << r.status << " " << r.body);
    BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "id", r.body);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::web
