// A site node with accounts, sessions and the web App over it, for web/
// tests: cheap Argon2id (PasswordCost::Cheapest) and the fixture's clock.
#ifndef OUTPOST_TESTS_WEB_WEB_FIXTURE_H_
#define OUTPOST_TESTS_WEB_WEB_FIXTURE_H_

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tests/node/node_fixture.h"
#include "web/app.h"

namespace outpost::testing {

inline constexpr const char* kGoodPassword = "correct horse battery staple";

struct WebFixture : SiteFixture {
  std::optional<web::Accounts> accounts;
  std::unique_ptr<web::Sessions> sessions;
  std::unique_ptr<web::LoginRateLimiter> limiter;
  std::unique_ptr<web::App> app;

  WebFixture() {
    auto a = web::Accounts::Open(store->db(), web::PasswordCost::Cheapest());
    BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    accounts.emplace(std::move(*a));
    sessions = std::make_unique<web::Sessions>(clock, random, web::SessionLimits{});
    limiter = std::make_unique<web::LoginRateLimiter>(clock, web::RateLimits{});
    app = std::make_unique<web::App>(*store, *accounts, *sessions, *limiter);
    for (auto [name, role] :
         {std::pair{"marko", web::Role::kOfficer}, std::pair{"ana", web::Role::kAdmin},
          std::pair{"sead", web::Role::kSupervisor}}) {
      BOOST_REQUIRE(accounts->Add(name, role, kGoodPassword, clock.NowMicros()).ok());
    }
  }

  web::HttpResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& cookie = "",
                         const std::string& csrf = "", const std::string& peer = "10.0.0.5") {
    web::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.cookie = cookie;
    r.csrf = csrf;
    r.peer = peer;
    r.secure = true;
    if (!body.empty()) r.content_type = "application/json";
    return app->Handle(r);
  }

  struct Signed {
    std::string cookie;
    std::string csrf;
  };
  // Signs in; the cookie as a browser would send it back.
  Signed SignIn(const std::string& name, const std::string& password = kGoodPassword) {
    auto r =
        Call("POST", "/api/login", nlohmann::json{{"name", name}, {"password", password}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    std::string cookie;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
    }
    return {cookie, nlohmann::json::parse(r.body)["csrf"].get<std::string>()};
  }
};

inline std::string Header(const web::HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_WEB_WEB_FIXTURE_H_
