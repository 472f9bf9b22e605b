// GET /api/search (web/search_api.cc): roles, the short-query refusal naming
// q, percent-encoded Cyrillic and diacritics, pages, the audit entry's
// officer. Name vector: Serbian Cyrillic "Николић" is Latin "Nikolić".
#include <boost/test/unit_test.hpp>

#include "tests/web/web_fixture.h"

namespace outpost::web {
namespace {

using nlohmann::json;
using testing::WebFixture;

json Driver(const std::string& plate, const std::string& family, const std::string& given) {
  return json{{"direction", "in"},
              {"mode", "road"},
              {"vehicle", {{"plate", plate}, {"kind", "truck"}}},
              {"persons", json::array({{{"role", "driver"},
                                        {"family_name", family},
                                        {"given_names", given},
                                        {"review_date", "2030-01-01"}}})}};
}

struct SearchFixture : WebFixture {
  SearchFixture() {
    BOOST_REQUIRE(
        accounts->Add("vesna", Role::kAnalyst, testing::kGoodPassword, clock.NowMicros()).ok());
    for (auto [plate, family, given] :
         {std::tuple{"BG-111 AA", "Nikolić", "Miloš"}, std::tuple{"BG222BB", "Николић", "Петар"},
          std::tuple{"NS333CC", "Jovanović", "Ana"}}) {
      clock.Advance(60'000'000);
      BOOST_REQUIRE(records->Add("movement", Driver(plate, family, given), officer).ok());
    }
  }
};

BOOST_FIXTURE_TEST_SUITE(search_api, SearchFixture)

BOOST_AUTO_TEST_CASE(search_is_for_officers_supervisors_and_analysts_only) {
  BOOST_TEST(Call("GET", "/api/search?q=nikolic").status == 401);
  auto admin = SignIn("ana");
  BOOST_TEST(Call("GET", "/api/search?q=nikolic", "", admin.cookie).status == 403);
  for (const char* who : {"marko", "sead", "vesna"}) {
    auto s = SignIn(who);
    BOOST_TEST(Call("GET", "/api/search?q=nikolic", "", s.cookie).status == 200, who);
  }
}

BOOST_AUTO_TEST_CASE(a_query_under_two_characters_is_refused_naming_q) {
  auto s = SignIn("marko");
  for (const char* target :
       {"/api/search", "/api/search?q=", "/api/search?q=n", "/api/search?q=+"}) {
    auto r = Call("GET", target, "", s.cookie);
    BOOST_TEST(r.status == 422, target);
    BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "q", target);
  }
  auto r = Call("GET", "/api/search?q=nikolic&page=x", "", s.cookie);
  BOOST_TEST(r.status == 422);
  BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "page");
}

BOOST_AUTO_TEST_CASE(results_show_plates_names_and_times_newest_first) {
  auto s = SignIn("marko");
  // "Николић" percent-encoded as a browser sends it.
  auto r = Call("GET", "/api/search?q=%D0%9D%D0%B8%D0%BA%D0%BE%D0%BB%D0%B8%D1%9B", "", s.cookie);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  json j = json::parse(r.body);
  BOOST_REQUIRE(j["total"] == 2);
  BOOST_TEST(j["results"][0]["plate"] == "BG222BB");
  BOOST_TEST(j["results"][0]["driver"] == "Петар Николић");
  BOOST_TEST(j["results"][1]["plate"] == "BG-111 AA");
  BOOST_TEST(j["results"][1]["driver"] == "Miloš Nikolić");
  BOOST_TEST(j["results"][1]["time"].is_string());
  json p2 = json::parse(Call("GET", "/api/search?q=NIKOLIC&limit=1&page=2", "", s.cookie).body);
  BOOST_TEST(p2["results"].size() == 1u);
  BOOST_TEST(p2["results"][0]["plate"] == "BG-111 AA");
  BOOST_TEST(json::parse(Call("GET", "/api/search?q=bg+111-aa", "", s.cookie).body)["total"] == 1);
  auto who = store->db().QueryText(
      "SELECT officer FROM live_audit_entry WHERE action = 'consult' ORDER BY seq DESC LIMIT 1");
  BOOST_REQUIRE(who.ok());
  BOOST_TEST(*who == "marko");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::web
