// `outpost users ...`, `outpost web` and the web certificate through the real
// binary (the pages themselves: tests/web/ and tests/ui/).
#include <boost/test/unit_test.hpp>

#include "tests/cli/run_outpost.h"

namespace outpost::cli_testing {
namespace {

const std::map<std::string, std::string> kWebEnv{
    {"OUTPOST_PASSPHRASE", "correct horse battery staple"},
    {"OUTPOST_NEW_PASSWORD", "a long and plain pass phrase"}};

std::string InitNode(TempDir& d) {
  const std::string data = (d.path / "node").string();
  auto r = Run({"--data", data, "init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"},
               kWebEnv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return data;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_web)

BOOST_AUTO_TEST_CASE(users_are_added_listed_and_disabled) {
  TempDir d;
  const std::string data = InitNode(d);
  auto weak = Run({"--data", data, "users", "add", "ivana", "--role", "officer"},
                  {{"OUTPOST_NEW_PASSWORD", "short"}});
  BOOST_TEST(weak.exit_code == 1);
  BOOST_TEST(Contains(weak.err, "password: too weak"), weak.err);
  auto role = Run({"--data", data, "users", "add", "ivana", "--role", "chief"}, kWebEnv);
  BOOST_TEST(role.exit_code == 1);
  BOOST_TEST(Contains(role.err, "\"chief\" is not one of officer, supervisor"), role.err);
  auto none = Run({"--data", data, "users", "add", "ivana", "--role", "officer"});
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(Contains(none.err, "no password"), none.err);
  BOOST_TEST(
      Run({"--data", data, "users", "add", "ivana", "--role", "officer"}, kWebEnv).exit_code == 0);
  auto again = Run({"--data", data, "users", "add", "ivana", "--role", "admin"}, kWebEnv);
  BOOST_TEST(Contains(again.err, "already an account"), again.err);
  BOOST_TEST(Run({"--data", data, "users", "disable", "ivana"}).exit_code == 0);
  auto list = Json(Run({"--data", data, "--json", "users", "list"}));
  BOOST_TEST(list["users"].size() == 1u);
  BOOST_TEST(list["users"][0]["name"] == "ivana");
  BOOST_TEST(list["users"][0]["role"] == "officer");
  BOOST_TEST(list["users"][0]["disabled"] == true);
  auto missing = Run({"--data", data, "users", "passwd", "nobody"}, kWebEnv);
  BOOST_TEST(Contains(missing.err, "\"nobody\" is not an account"), missing.err);
}

BOOST_AUTO_TEST_CASE(init_makes_the_web_certificate_and_status_shows_it) {
  TempDir d;
  const std::string data = InitNode(d);
  BOOST_TEST(std::filesystem::exists(data + "/web-cert.pem"));
  auto mode = std::filesystem::status(data + "/web-key.pem").permissions();
  BOOST_TEST(static_cast<int>(mode & std::filesystem::perms::all) == 0600);
  auto status = Json(Run({"--data", data, "--json", "status"}));
  BOOST_TEST(status["web_certificate_sha256"].get<std::string>().size() == 95u);
}

BOOST_AUTO_TEST_CASE(web_refuses_plain_http_off_loopback_and_a_missing_address) {
  TempDir d;
  const std::string data = InitNode(d);
  auto plain = Run({"--data", data, "web", "--plain", "--listen", "0.0.0.0:0"});
  BOOST_TEST(plain.exit_code == 1);
  BOOST_TEST(Contains(plain.err, "plain HTTP is served on a loopback address only"), plain.err);
  auto none = Run({"--data", data, "web"});
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(Contains(none.err, "no address: pass --listen HOST:PORT or set http_listen"),
             none.err);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::cli_testing
