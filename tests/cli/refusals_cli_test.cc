// Data an officer's command must refuse (issue 17, item 7), through the real
// binary: an empty movement, weights and times no real traffic has, and
// invented inspections on a node that is not a training node.
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

#include "tests/cli/run_outpost.h"

using namespace outpost::cli_testing;

namespace {

std::map<std::string, std::string> InitRefusalSite(TempDir& d, bool training) {
  std::map<std::string, std::string> env{{"OUTPOST_DATA", (d.path / "node").string()},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"},
                                         {"OUTPOST_OFFICER", "BA-GRA-0042"}};
  std::vector<std::string> args{"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"};
  if (training) args.push_back("--training");
  auto init = Run(args, env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  return env;
}

int64_t Count(const std::map<std::string, std::string>& env, const std::string& table) {
  return Json(Run({"--json", "status"}, env))["records"][table].get<int64_t>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_refusals)

BOOST_AUTO_TEST_CASE(empty_movement_is_refused_naming_what_it_needs) {
  TempDir d;
  auto env = InitRefusalSite(d, false);
  auto r = Run({"record", "add", "movement", "--doc", "{}"}, env);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.empty(), r.out);
  BOOST_TEST(Contains(r.err, "movement.direction: is required"), r.err);
  BOOST_TEST(Contains(r.err, "movement.mode: is required"), r.err);
  BOOST_TEST(Count(env, "movement") == 0);

  // The minimum is enough: time and crossing are filled in.
  auto ok = Run(
      {"--json", "record", "add", "movement", "--doc", R"({"direction":"in","mode":"road"})"}, env);
  BOOST_TEST(ok.exit_code == 0, ok.err);
  BOOST_TEST(Count(env, "movement") == 1);
}

BOOST_AUTO_TEST_CASE(weights_and_times_outside_sane_ranges_are_refused) {
  TempDir d;
  auto env = InitRefusalSite(d, false);
  auto with_goods = [](const std::string& goods) {
    return R"({"direction":"in","mode":"road","time":"2026-11-28T10:00:00Z",)"
           R"("consignments":[{"goods":[)" +
           goods + "]}]}";
  };
  struct Case {
    std::string doc, field, rule;
  };
  for (const Case& c : {
           Case{with_goods(R"({"hs_code":"870323","gross_kg":1e308})"),
                "movement.consignments[0].goods[0].gross_kg", "1e+308 is more than 1000000000"},
           Case{with_goods(R"({"hs_code":"870323","net_kg":2e9})"),
                "movement.consignments[0].goods[0].net_kg", "2000000000 is more than 1000000000"},
           Case{R"({"direction":"in","mode":"road","time":"0001-01-01T00:00:00Z"})",
                "movement.time", "\"0001-01-01T00:00:00Z\" is outside the times accepted"},
           Case{R"({"direction":"in","mode":"road","time":"9999-12-31T23:59:59Z"})",
                "movement.time", "2000-01-01 to 2099-12-31"},
       }) {
    auto r = Run({"record", "add", "movement", "--doc", c.doc}, env);
    BOOST_TEST(r.exit_code == 1, c.doc);
    BOOST_TEST(Contains(r.err, c.field + ": "), r.err);
    BOOST_TEST(Contains(r.err, c.rule), r.err);
  }
  BOOST_TEST(Count(env, "movement") == 0);

  // Within the ranges: stored.
  auto ok = Run({"record", "add", "movement", "--doc",
                 with_goods(R"({"hs_code":"870323","gross_kg":24000,"net_kg":22000})")},
                env);
  BOOST_TEST(ok.exit_code == 0, ok.err);
  BOOST_TEST(Count(env, "goods_item") == 1);
}

BOOST_AUTO_TEST_CASE(simulated_inspections_only_on_a_training_node) {
  TempDir real_dir;
  auto real = InitRefusalSite(real_dir, false);
  auto refused = Run({"simulate", "--inspect"}, real);
  BOOST_TEST(refused.exit_code == 1);
  BOOST_TEST(Contains(refused.err, "not a training node"), refused.err);
  BOOST_TEST(Contains(refused.err, "outpost init --training"), refused.err);
  BOOST_TEST(Count(real, "inspection") == 0);

  TempDir training_dir;
  auto training = InitRefusalSite(training_dir, true);
  auto played = Run({"--json", "simulate", "--inspect"}, training);
  BOOST_TEST(played.exit_code == 0, played.err);
  BOOST_TEST(ParseJson(played.out).contains("inspections"));
}

BOOST_AUTO_TEST_SUITE_END()
