// GET /api/network, GET /api/network/sessions and the /network page through
// web::App: who may read them (analysts and admins; 401 without a session),
// the JSON they answer at an HQ with an enrolled crossing that never
// connected, and the refusals of bad parameters (node/network.h).
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "tests/node/keyed_node.h"
#include "tests/web/web_fixture.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

// HQ with one enrolled crossing (never connected) and an App over HQ's
// store, with an analyst, an officer and a supervisor account.
struct HqWeb {
  FakeClock clock{1'795'000'000'000'000};
  SeededRandom random{20};
  KeyedNode hq{clock, random, node::Role::kHq, "HQ"};
  KeyedNode gra{clock, random, node::Role::kSite, "BA-GRA"};
  std::optional<web::Accounts> accounts;
  std::unique_ptr<web::Sessions> sessions;
  std::unique_ptr<web::LoginRateLimiter> limiter;
  std::unique_ptr<web::App> app;

  HqWeb() {
    EnrollSite(hq, gra);
    auto a = web::Accounts::Open(hq.store->db(), web::PasswordCost::Cheapest());
    BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    accounts.emplace(std::move(*a));
    sessions = std::make_unique<web::Sessions>(clock, random, web::SessionLimits{});
    limiter = std::make_unique<web::LoginRateLimiter>(clock, web::RateLimits{});
    app = std::make_unique<web::App>(*hq.store, *accounts, *sessions, *limiter);
    for (auto [name, role] :
         {std::pair{"vesna", web::Role::kAnalyst}, std::pair{"ana", web::Role::kAdmin},
          std::pair{"marko", web::Role::kOfficer}, std::pair{"sead", web::Role::kSupervisor}}) {
      BOOST_REQUIRE(accounts->Add(name, role, kGoodPassword, clock.NowMicros()).ok());
    }
  }
  web::HttpResponse Get(const std::string& target, const std::string& cookie = "") {
    web::HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.cookie = cookie;
    r.peer = "10.0.0.5";
    r.secure = true;
    return app->Handle(r);
  }
  std::string SignIn(const std::string& name) {
    web::HttpRequest r;
    r.method = "POST";
    r.target = "/api/login";
    r.content_type = "application/json";
    r.body = json{{"name", name}, {"password", kGoodPassword}}.dump();
    r.secure = true;
    auto res = app->Handle(r);
    BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
    std::string v = Header(res, "Set-Cookie");
    return v.substr(0, v.find(';'));
  }
};

BOOST_AUTO_TEST_SUITE(network_api)

BOOST_AUTO_TEST_CASE(the_network_is_for_analysts_and_admins_only) {
  HqWeb f;
  for (const char* path : {"/api/network", "/api/network/sessions?node=BA-GRA"}) {
    BOOST_TEST(f.Get(path).status == 401, path);
    for (const char* desk : {"marko", "sead"}) {
      auto r = f.Get(path, f.SignIn(desk));
      BOOST_TEST(r.status == 403, path << " as " << desk);
      BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "role", r.body);
    }
  }
  BOOST_TEST(f.Get("/network").status == 303);  // a page: to /login
  for (const char* desk : {"marko", "sead"}) {
    auto page = f.Get("/network", f.SignIn(desk));
    BOOST_TEST(page.status == 403);
    BOOST_TEST(page.body.find("Not allowed") != std::string::npos);
  }
  for (const char* hq : {"vesna", "ana"}) {
    std::string cookie = f.SignIn(hq);
    BOOST_TEST(f.Get("/api/network", cookie).status == 200, hq);
    BOOST_TEST(f.Get("/network", cookie).status == 200, hq);
    auto page = f.Get("/network", cookie);
    BOOST_TEST(page.body.find("/assets/network.js") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(the_network_lists_a_crossing_that_never_connected) {
  HqWeb f;
  std::string cookie = f.SignIn("vesna");
  auto r = f.Get("/api/network", cookie);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  json j = json::parse(r.body);
  BOOST_TEST(j["behind_after_hours"].get<double>() == 6.0);
  BOOST_TEST(j["node"]["hq"] == true);
  BOOST_TEST(j["newest_ruleset"].is_null());
  BOOST_REQUIRE(j["crossings"].size() == 1u);  // HQ itself is not listed
  const json& c = j["crossings"][0];
  BOOST_TEST(c["id"] == UuidToString(f.gra.store->identity().id));
  BOOST_TEST(c["site"] == "BA-GRA");
  BOOST_TEST(c["state"] == "never connected");
  BOOST_TEST(c["never_connected"] == true);
  BOOST_TEST(c["behind"] == false);
  BOOST_TEST(c["last_contact"].is_null());
  BOOST_TEST(c["pending_out"].get<int64_t>() > 0);
  BOOST_TEST(c["pending_in"] == 0);
  BOOST_TEST(c["revoked"] == false);
  BOOST_TEST(c["certificate"]["epoch"] == 1);
  BOOST_TEST(c["certificate"]["expires"].is_string());
  BOOST_TEST(c["certificate"]["expired"] == false);
  BOOST_TEST(c["ruleset"].is_null());
  BOOST_TEST(j["counts"]["never connected"] == 1);
  for (const char* key : {"last_error", "failing_since", "silent_seconds", "quarantined",
                          "refused_batches", "last_refusal", "revoked_at", "revoked_reason"}) {
    BOOST_TEST(c.contains(key), key);
  }

  // Seven hours later, silent since its enrolment: behind.
  f.clock.Advance(7 * 3600 * int64_t{1'000'000});
  cookie = f.SignIn("vesna");
  j = json::parse(f.Get("/api/network", cookie).body);
  BOOST_TEST(j["crossings"][0]["state"] == "behind");
  BOOST_TEST(j["crossings"][0]["behind"] == true);
  // ... but not with a threshold of eight hours (a decimal is fine).
  j = json::parse(f.Get("/api/network?behind_hours=8.5", cookie).body);
  BOOST_TEST(j["crossings"][0]["state"] == "never connected");
  BOOST_TEST(j["behind_after_hours"].get<double>() == 8.5);

  // Its sessions: none, by id or by name.
  for (std::string node : {UuidToString(f.gra.store->identity().id), std::string("BA-GRA")}) {
    auto s = f.Get("/api/network/sessions?node=" + node, cookie);
    BOOST_REQUIRE_MESSAGE(s.status == 200, s.body);
    json sj = json::parse(s.body);
    BOOST_TEST(sj["sessions"].is_array());
    BOOST_TEST(sj["sessions"].empty());
    BOOST_TEST(sj["next_before"].is_null());
    BOOST_TEST(sj["refused_connections"].is_array());
    BOOST_TEST(sj["node"]["name"] == "BA-GRA");
  }
}

BOOST_AUTO_TEST_CASE(bad_parameters_are_refused_at_their_field) {
  HqWeb f;
  std::string cookie = f.SignIn("ana");
  struct Case {
    const char* target;
    int status;
    const char* field;
  };
  for (const Case& c : {Case{"/api/network?behind_hours=0", 422, "behind_hours"},
                        Case{"/api/network?behind_hours=-1", 422, "behind_hours"},
                        Case{"/api/network?behind_hours=721", 422, "behind_hours"},
                        Case{"/api/network?behind_hours=6h", 422, "behind_hours"},
                        Case{"/api/network?behind_hours=nan", 422, "behind_hours"},
                        Case{"/api/network/sessions", 422, "node"},
                        Case{"/api/network/sessions?node=BA-XXX", 404, "node"},
                        Case{"/api/network/sessions?node=BA-GRA&limit=0", 422, "limit"},
                        Case{"/api/network/sessions?node=BA-GRA&limit=201", 422, "limit"},
                        Case{"/api/network/sessions?node=BA-GRA&before=x", 422, "before"}}) {
    auto r = f.Get(c.target, cookie);
    BOOST_TEST(r.status == c.status, c.target << " -> " << r.status << " " << r.body);
    BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == c.field, c.target << " " << r.body);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
