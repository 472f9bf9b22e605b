// Each account's language: stored with the account, chosen through the API
// by the account itself, refused when unknown, and added to stores whose
// web_account table predates it.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/web/web_fixture.h"
#include "web/assets.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

std::string LanguageOf(WebFixture& f, const std::string& name) {
  auto a = f.accounts->Find(name);
  BOOST_REQUIRE(a.ok() && a->has_value());
  return (*a)->language;
}

BOOST_AUTO_TEST_SUITE(languages)

BOOST_FIXTURE_TEST_CASE(an_account_speaks_english_until_it_chooses, WebFixture) {
  BOOST_TEST(LanguageOf(*this, "marko") == "en");
  auto s = SignIn("marko");
  auto me = Call("GET", "/api/me", "", s.cookie);
  BOOST_TEST(json::parse(me.body)["language"] == "en");

  auto r = Call("POST", "/api/me/language", R"({"language": "bs"})", s.cookie, s.csrf);
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST(LanguageOf(*this, "marko") == "bs");
  BOOST_TEST(json::parse(Call("GET", "/api/me", "", s.cookie).body)["language"] == "bs");
  // The next sign-in says it too, so the first page is already in it.
  auto again =
      Call("POST", "/api/login", json{{"name", "marko"}, {"password", kGoodPassword}}.dump());
  BOOST_TEST(json::parse(again.body)["language"] == "bs");
  // Only the account's own: another account keeps its language.
  BOOST_TEST(LanguageOf(*this, "ana") == "en");
}

BOOST_FIXTURE_TEST_CASE(an_unknown_language_is_refused_at_its_field, WebFixture) {
  auto s = SignIn("marko");
  for (const char* body : {R"({"language": "fr"})", R"({"language": 7})", R"({})"}) {
    auto r = Call("POST", "/api/me/language", body, s.cookie, s.csrf);
    BOOST_TEST(r.status == 422, body << " -> " << r.status);
    auto e = json::parse(r.body)["errors"][0];
    BOOST_TEST(e["field"] == "language", r.body);
    BOOST_TEST(e["rule"].get<std::string>().find("en (English)") != std::string::npos, r.body);
  }
  BOOST_TEST(LanguageOf(*this, "marko") == "en");
  BOOST_TEST(Call("POST", "/api/me/language", R"({"language": "bs"})", s.cookie).status == 403);
  BOOST_TEST(Call("POST", "/api/me/language", R"({"language": "bs"})").status == 401);
  BOOST_TEST(LanguageOf(*this, "marko") == "en");
}

BOOST_FIXTURE_TEST_CASE(an_admin_may_give_a_new_account_its_language, WebFixture) {
  auto s = SignIn("ana");
  auto r = Call(
      "POST", "/api/users",
      json{{"name", "jelena"}, {"role", "officer"}, {"password", kGoodPassword}, {"language", "bs"}}
          .dump(),
      s.cookie, s.csrf);
  BOOST_TEST(r.status == 201, r.body);
  BOOST_TEST(LanguageOf(*this, "jelena") == "bs");
  r = Call(
      "POST", "/api/users",
      json{{"name", "ivo"}, {"role", "officer"}, {"password", kGoodPassword}, {"language", "de"}}
          .dump(),
      s.cookie, s.csrf);
  BOOST_TEST(r.status == 422, r.body);
  BOOST_TEST(!accounts->Find("ivo")->has_value());
  auto list = json::parse(Call("GET", "/api/users", "", s.cookie).body)["users"];
  bool seen = false;
  for (const auto& u : list) seen = seen || (u["name"] == "jelena" && u["language"] == "bs");
  BOOST_TEST(seen, list.dump());
}

BOOST_FIXTURE_TEST_CASE(a_store_made_before_languages_gets_the_column, SiteFixture) {
  // The table as it was before accounts had a language, with one account.
  BOOST_REQUIRE(store->db()
                    .Exec("CREATE TABLE web_account(name TEXT PRIMARY KEY, role TEXT NOT NULL, "
                          "hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, "
                          "break_glass INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, "
                          "changed INTEGER NOT NULL);"
                          "INSERT INTO web_account VALUES('old','officer','x',0,0,1,1)")
                    .ok());
  auto a = web::Accounts::Open(store->db(), web::PasswordCost::Cheapest());
  BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
  auto old = a->Find("old");
  BOOST_REQUIRE(old.ok() && old->has_value());
  BOOST_TEST((*old)->language == "en");
  BOOST_TEST(a->SetLanguage("old", "bs", 2).ok());
  // Opening again does not add the column twice.
  auto again = web::Accounts::Open(store->db(), web::PasswordCost::Cheapest());
  BOOST_REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  BOOST_TEST((*again->Find("old"))->language == "bs");
  BOOST_TEST(again->SetLanguage("nobody", "bs", 3).code() == Code::kNotFound);
}

// The strings of one language across the scripts: app.js's catalogue (en
// before "  bs: {", bs after it) and each page script's
// Object.assign(MESSAGES.<lang>, {...}) block.
std::string Catalogue(const std::string& lang) {
  std::string out;
  for (const auto& a : web::Assets()) {
    std::string_view js = a.body;
    if (a.name == "app.js") {
      size_t bs = js.find("  bs: {");
      out += std::string(lang == "en" ? js.substr(0, bs) : js.substr(bs));
      continue;
    }
    if (!a.name.ends_with(".js")) continue;
    std::string open = "Object.assign(MESSAGES." + lang + ", {";
    for (size_t at = js.find(open); at != std::string_view::npos; at = js.find(open, at + 1)) {
      out += std::string(js.substr(at, js.find("});", at) - at));
    }
  }
  return out;
}

BOOST_AUTO_TEST_CASE(every_string_marked_in_a_page_is_in_both_catalogues) {
  // data-t="key" in a page is filled from MESSAGES; a key missing from a
  // catalogue would leave the English text in every language, unnoticed.
  std::string en = Catalogue("en"), bs = Catalogue("bs");
  BOOST_REQUIRE(!en.empty() && !bs.empty());
  int keys = 0;
  for (const auto& a : web::Assets()) {
    std::string_view body = a.body;
    for (size_t at = body.find("data-t=\""); at != std::string_view::npos;
         at = body.find("data-t=\"", at + 1)) {
      size_t end = body.find('"', at + 8);
      std::string key(body.substr(at + 8, end - at - 8));
      BOOST_TEST(en.find(" " + key + ": ") != std::string::npos,
                 a.name << ": " << key << " has no en string");
      BOOST_TEST(bs.find(" " + key + ": ") != std::string::npos,
                 a.name << ": " << key << " has no bs string");
      ++keys;
    }
  }
  BOOST_TEST(keys >= 20);
}

BOOST_AUTO_TEST_CASE(every_string_a_page_script_adds_in_english_it_adds_in_bosnian) {
  // A page script's own strings (shown from code, not data-t) need both too.
  std::string bs = Catalogue("bs");
  std::regex key(R"((?:^|[{,]\s*)([a-z_]+): )");
  int keys = 0;
  for (const auto& a : web::Assets()) {
    if (a.name == "app.js" || !a.name.ends_with(".js")) continue;
    std::string js(a.body);
    size_t at = js.find("Object.assign(MESSAGES.en, {");
    if (at == std::string::npos) continue;
    std::string block = js.substr(at, js.find("});", at) - at);
    for (std::sregex_iterator m(block.begin(), block.end(), key), e; m != e; ++m) {
      std::string k = (*m)[1];
      bool found = bs.find(" " + k + ": ") != std::string::npos ||
                   bs.find("{" + k + ": ") != std::string::npos;
      BOOST_TEST(found, a.name << ": " << k << " has no bs string");
      ++keys;
    }
  }
  BOOST_TEST(keys >= 10);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
