// Machine clients' tokens (web/tokens.h, App invariant 6): issued once,
// stored as a hash, verified in full, refused once revoked; a token acts with
// its role only, needs no CSRF token, and what it records is recorded under
// "token:NAME".
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "tests/web/web_fixture.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

const char* kCar = R"({"direction": "in", "mode": "road", "time": "2026-11-28T10:15:00Z",
  "vehicle": {"plate": "SA123BC", "plate_country": "RS", "kind": "car"}})";

struct TokenFixture : WebFixture {
  std::optional<web::Tokens> tokens;
  TokenFixture() {
    auto t = web::Tokens::Open(store->db());
    BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
    tokens.emplace(std::move(*t));
    app = std::make_unique<web::App>(*store, *accounts, *sessions, *limiter, &*tokens);
  }
  std::string Issue(const std::string& name, web::Role role) {
    auto t = tokens->Issue(name, role, random, clock.NowMicros());
    BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
    return *t;
  }
  web::HttpResponse WithToken(const std::string& method, const std::string& target,
                              const std::string& token, const std::string& body = "") {
    web::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.peer = "10.0.0.9";
    r.secure = true;
    r.authorization = "Bearer " + token;
    if (!body.empty()) r.content_type = "application/json";
    return app->Handle(r);
  }
};

BOOST_AUTO_TEST_SUITE(tokens)

BOOST_FIXTURE_TEST_CASE(a_token_records_under_its_own_name_without_csrf, TokenFixture) {
  std::string token = Issue("customs-bridge", web::Role::kOfficer);
  BOOST_TEST(token.size() == 4 + 16 + 1 + 64);
  auto r = WithToken("POST", "/api/movements", token, kCar);
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  // No cookie is set: nothing of the request is kept.
  BOOST_TEST(Header(r, "Set-Cookie").empty());
  auto officer = store->db().QueryText(
      "SELECT officer FROM live_audit_entry WHERE action='collect' ORDER BY seq DESC LIMIT 1");
  BOOST_TEST_REQUIRE(officer.ok(), officer.status().ToString());
  BOOST_TEST(*officer == "token:customs-bridge");
  // Only the hash is stored: the secret is nowhere in the table.
  auto stored = store->db().QueryText("SELECT hex(hash) || id FROM web_token");
  BOOST_TEST_REQUIRE(stored.ok());
  BOOST_TEST(stored->find(token.substr(21)) == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_token_acts_with_its_role_only, TokenFixture) {
  std::string officer = Issue("bridge", web::Role::kOfficer);
  std::string admin = Issue("provisioner", web::Role::kAdmin);
  BOOST_TEST(WithToken("GET", "/api/users", officer).status == 403);
  BOOST_TEST(WithToken("GET", "/api/users", admin).status == 200);
  auto me = WithToken("GET", "/api/me", officer);
  BOOST_TEST(json::parse(me.body)["name"] == "token:bridge");
}

BOOST_FIXTURE_TEST_CASE(a_wrong_malformed_or_revoked_token_is_401, TokenFixture) {
  std::string token = Issue("bridge", web::Role::kOfficer);
  std::string wrong = token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  std::string other_id = token;
  other_id[4] = other_id[4] == '0' ? '1' : '0';
  for (const std::string& bad :
       {wrong, other_id, token.substr(0, 50), token + "0", std::string("opt_"), std::string(""),
        std::string(token.size(), 'A')}) {
    auto r = WithToken("POST", "/api/movements", bad, kCar);
    BOOST_TEST(r.status == 401, bad << " -> " << r.status);
    BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "Authorization");
  }
  // "Bearer" is required; a cookie does not rescue a bad token.
  auto s = SignIn("marko");
  web::HttpRequest basic;
  basic.method = "GET";
  basic.target = "/api/me";
  basic.authorization = "Basic " + token;
  basic.cookie = s.cookie;
  BOOST_TEST(app->Handle(basic).status == 401);

  BOOST_TEST(tokens->Revoke("bridge", clock.NowMicros()).ok());
  BOOST_TEST(WithToken("GET", "/api/me", token).status == 401);
  BOOST_TEST(tokens->Revoke("bridge", clock.NowMicros()).ok());  // twice: no error
  BOOST_TEST(tokens->Revoke("nobody", clock.NowMicros()).code() == Code::kNotFound);
  // A revoked name stays taken.
  BOOST_TEST(tokens->Issue("bridge", web::Role::kOfficer, random, 1).status().code() ==
             Code::kAlreadyExists);
  BOOST_TEST(tokens->Issue("Bad Name", web::Role::kOfficer, random, 1).status().code() ==
             Code::kInvalidArgument);
  auto list = tokens->List();
  BOOST_TEST_REQUIRE(list.ok());
  BOOST_TEST(list->size() == 1);
  BOOST_TEST((*list)[0].revoked.has_value());
}

BOOST_FIXTURE_TEST_CASE(without_a_token_store_no_machine_client_is_accepted, WebFixture) {
  web::HttpRequest r;
  r.method = "GET";
  r.target = "/api/me";
  r.authorization = "Bearer opt_0000000000000000_" + std::string(64, '0');
  BOOST_TEST(app->Handle(r).status == 401);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
