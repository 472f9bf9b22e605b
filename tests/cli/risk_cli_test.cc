// `outpost risk ...` and the assessment of `outpost record add movement`
// through the real binary: HQ loads and signs a ruleset, an officer records a
// movement and sees the lane and the reasons, decides, HQ reports; a site
// cannot load; a tampered stored ruleset is refused with its reason.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "tests/cli/run_outpost.h"

namespace fs = std::filesystem;
using namespace outpost::cli_testing;

namespace {

void Write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

constexpr char kRules[] = R"(ruleset "national" version 1
thresholds yellow 40 red 70
list "plates_of_interest" plate from file
watchlist "persons" name from file
rule R-1 score 80 instructions "Check the cab."
  description "Plate of interest"
  when vehicle.plate in list "plates_of_interest"
end
rule R-2 score 10
  when watchlist "persons" matches persons.name fuzzy 0.9
end
)";

constexpr char kTruck[] =
    R"({"mode":"road","direction":"in","crossing":"BA-GRA","time":"2026-11-28T10:15:00Z",)"
    R"("vehicle":{"plate":"SA-123 BC","plate_country":"BA","kind":"truck"},)"
    R"("persons":[{"role":"driver","family_name":"Petrovic","given_names":"Marko"}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_risk)

BOOST_AUTO_TEST_CASE(load_assess_decide_report_test_show_and_refusals) {
  TempDir d;
  const std::string hq = (d.path / "hq").string(), gra = (d.path / "gra").string();
  fs::path pass = d.path / "pass";
  Write(pass, "correct horse battery staple\n");
  std::map<std::string, std::string> env{{"OUTPOST_OFFICER", "HQ-0001"}};
  auto P = [&](std::vector<std::string> args, const std::string& data) {
    std::vector<std::string> a = {"--data", data, "--passphrase-file", pass.string()};
    a.insert(a.end(), args.begin(), args.end());
    return a;
  };
  Json(Run(P({"--json", "init", "--role", "hq", "--name", "HQ"}, hq), env));

  // No ruleset yet: the movement is recorded, no lane is recommended.
  auto first = Run(P({"record", "add", "movement", "--doc", kTruck}, hq), env);
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  // stdout is the id alone (for ID=$(outpost record add ...)); the risk lines go to stderr.
  BOOST_TEST(first.out.size() == 37u, first.out);
  BOOST_TEST(Contains(first.err, "no ruleset loaded: no lane recommended"), first.err);
  auto first_j = Json(Run(P({"--json", "record", "add", "movement", "--doc", kTruck}, hq), env));
  BOOST_TEST(first_j["risk"]["lane"].is_null());

  fs::path rules = d.path / "rules.txt", plates = d.path / "plates.txt",
           persons = d.path / "persons.txt";
  Write(rules, kRules);
  Write(plates, "# plates\nSA123BC\nZG1111AA\n");
  Write(persons, "Petrović Marko\nHoxha Arben\n");
  auto load = Json(
      Run(P({"--json", "risk", "load", rules.string(), "--list",
             "plates_of_interest=" + plates.string(), "--watchlist", "persons=" + persons.string()},
            hq),
          env));
  BOOST_TEST(load["ruleset_id"] == "national");
  BOOST_TEST(load["rules"] == 2);
  BOOST_TEST(load["chunks"] == 1);

  auto bad_spec = Run(P({"risk", "load", rules.string(), "--list", "plates_of_interest"}, hq), env);
  BOOST_TEST(bad_spec.exit_code == 1);
  BOOST_TEST(Contains(bad_spec.err, "--list: \"plates_of_interest\" is not NAME=FILE"),
             bad_spec.err);
  auto same = Run(P({"risk", "load", rules.string()}, hq), env);
  BOOST_TEST(same.exit_code == 1);
  BOOST_TEST(Contains(same.err, "version 1 is already loaded"), same.err);

  auto show = Json(Run(P({"--json", "risk", "show"}, hq), env));
  BOOST_TEST(show["active"]["version"] == 1);
  BOOST_TEST(show["active"]["rules"] == 2);
  BOOST_TEST(show["active"]["lists"][0]["entries"] == 2);

  // The officer sees the lane and the reasons.
  auto add = Run(P({"record", "add", "movement", "--doc", kTruck}, hq), env);
  BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.err);
  BOOST_TEST(add.out.size() == 37u, add.out);
  BOOST_TEST(Contains(add.err, "risk: lane RED recommended (score 90"), add.err);
  BOOST_TEST(Contains(add.err, "R-1 v1 score 80: Plate of interest"), add.err);
  BOOST_TEST(Contains(add.err, "instructions: Check the cab."), add.err);
  BOOST_TEST(Contains(add.err, "random selection: no"), add.err);
  auto added = Json(Run(P({"--json", "record", "add", "movement", "--doc", kTruck}, hq), env));
  const std::string mid = added["id"];
  BOOST_TEST(added["risk"]["lane"] == "red");
  BOOST_TEST(added["risk"]["score"] == 90);
  BOOST_TEST(added["risk"]["random_selected"] == false);
  BOOST_TEST(added["risk"]["hits"][0]["rule_id"] == "R-1");
  BOOST_TEST(added["risk"]["hits"][0]["instructions"] == "Check the cab.");
  BOOST_TEST(added["risk"]["hits"][0]["matched"][0] == "vehicle.plate=SA-123 BC");
  BOOST_TEST(added["risk"]["hits"][1]["rule_id"] == "R-2");

  // The officer decides; a bad lane names the option, the value and the choices.
  auto blue = Run(P({"risk", "decide", mid, "--lane", "blue", "--reason", "x"}, hq), env);
  BOOST_TEST(blue.exit_code == 2);
  BOOST_TEST(Contains(blue.err, "--lane: \"blue\" is not one of red, yellow, green"), blue.err);
  auto dec = Json(Run(
      P({"--json", "risk", "decide", mid, "--lane", "green", "--reason", "escorted convoy"}, hq),
      env));
  BOOST_TEST(dec["override"] == true);
  BOOST_TEST(dec["recommended"] == "red");
  // Or accepts the recommendation: no reason to type, a fixed one is kept.
  auto acc = Json(Run(P({"--json", "risk", "decide", mid, "--accept"}, hq), env));
  BOOST_TEST(acc["lane"] == "red");
  BOOST_TEST(acc["override"] == false);
  auto neither = Run(P({"risk", "decide", mid}, hq), env);
  BOOST_TEST(neither.exit_code != 0);
  BOOST_TEST(Contains(neither.err, "--lane: choose red, yellow or green"), neither.err);

  // An inspection with its seizure in one go; a refused seizure stores neither.
  auto bad_unit = Run(P({"record", "inspect", mid, "--doc",
                         R"({"result":"seizure","seizures":[{"commodity_group":"tobacco",)"
                         R"("quantity":200,"unit":"KG"}]})"},
                        hq),
                      env);
  BOOST_TEST(bad_unit.exit_code != 0);
  BOOST_TEST(Contains(bad_unit.err, "inspection.seizures[0].unit: \"KG\""), bad_unit.err);
  auto none = Json(Run(P({"--json", "record", "list", "inspection"}, hq), env));
  BOOST_TEST(none.size() == 0u);
  auto seized = Json(Run(P({"--json", "record", "inspect", mid, "--doc",
                            R"({"result":"seizure","methods":"xray","seizures":[)"
                            R"({"commodity_group":"tobacco","quantity":200,"unit":"KGM"}]})"},
                           hq),
                         env));
  BOOST_TEST(seized["selection_basis"] == "rule");
  BOOST_TEST(seized["seizures"].size() == 1u);

  auto insp =
      Run(P({"record", "add", "inspection", "--doc",
             R"({"movement":")" + mid + R"(","selection_basis":"rule","result":"irregularity"})"},
            hq),
          env);
  BOOST_REQUIRE_MESSAGE(insp.exit_code == 0, insp.err);
  auto rep = Json(Run(P({"--json", "risk", "report"}, hq), env));
  BOOST_TEST(rep["assessed"] == 2);
  BOOST_TEST(rep["inspected"] == 1);
  BOOST_TEST(rep["positives"] == 1);
  BOOST_TEST(rep["overrides"] == 1);
  BOOST_TEST(rep["rules"][0]["rule_id"] == "R-1");
  BOOST_TEST(rep["rules"][0]["hits"] == 2);
  BOOST_TEST(rep["rules"][0]["precision"] == 1.0);
  auto rep_h = Run(P({"risk", "report", "--since", "yesterday"}, hq), env);
  BOOST_TEST(rep_h.exit_code == 2);
  BOOST_TEST(Contains(rep_h.err, "--since: \"yesterday\" is not a UTC time"), rep_h.err);

  // Backtest: counts per lane and rule, nothing written.
  fs::path recs = d.path / "day.jsonl";
  Write(recs, std::string(kTruck) + "\n" +
                  R"({"type":"movement","direction":"out","mode":"rail"})" + "\n");
  auto before = Json(Run(P({"--json", "digest"}, hq), env));
  auto bt = Json(Run(P({"--json", "risk", "test", rules.string(), "--records", recs.string(),
                        "--list", "plates_of_interest=" + plates.string()},
                       hq),
                     env));
  BOOST_TEST(bt["movements"] == 2);
  BOOST_TEST(bt["lanes"]["red"] == 1);
  BOOST_TEST(bt["lanes"]["green"] == 1);
  BOOST_TEST(bt["rules"][0]["rule_id"] == "R-1");
  BOOST_TEST(bt["rules"][0]["hits"] == 1);
  auto after = Json(Run(P({"--json", "digest"}, hq), env));
  BOOST_TEST(before["digest"] == after["digest"]);

  // A site cannot author a ruleset.
  Json(Run(P({"--json", "init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, gra),
           env));
  auto site_load = Run(P({"risk", "load", rules.string()}, gra), env);
  BOOST_TEST(site_load.exit_code == 1);
  BOOST_TEST(Contains(site_load.err, "only HQ authors rulesets"), site_load.err);

  // A byte flipped in the stored manifest: not activated, and the reason shown.
  {
    auto db = outpost::Db::Open(hq + "/outpost.db");
    BOOST_REQUIRE(db.ok());
    BOOST_REQUIRE((*db)
                      ->Exec("UPDATE risk_ruleset SET manifest = CAST(replace(CAST(manifest AS "
                             "TEXT), 'national', 'nationaL') AS BLOB)")
                      .ok());
  }
  auto tampered = Run(P({"risk", "show"}, hq), env);
  BOOST_TEST(tampered.exit_code == 0);
  BOOST_TEST(Contains(tampered.out, "no ruleset loaded"), tampered.out);
  BOOST_TEST(Contains(tampered.out, "signature does not verify with the pinned HQ key"),
             tampered.out);
  auto unassessed = Json(Run(P({"--json", "record", "add", "movement", "--doc", kTruck}, hq), env));
  BOOST_TEST(unassessed["risk"]["lane"].is_null());
  BOOST_TEST(unassessed["risk"]["refused"][0]["code"] == "unauthenticated");
}

BOOST_AUTO_TEST_SUITE_END()
