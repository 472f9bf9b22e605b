// Runs the real `outpost` binary and checks what a user or a script sees:
// exit codes, stdout, stderr. Command groups add their cases here or in a
// file of their own next to this one, using Run() from run_outpost.h.
#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <string>

#include "base/sqlite.h"
#include "tests/cli/run_outpost.h"

namespace fs = std::filesystem;
using namespace outpost::cli_testing;

namespace {

int LineCount(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Usage errors: exit 2, stdout empty, exactly one "outpost: error: " line.
void CheckUsageError(const RunResult& r, const std::string& mention) {
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(LineCount(r.err) == 1, "stderr: " << r.err);
  BOOST_TEST(r.err.rfind("outpost: error: ", 0) == 0, "stderr: " << r.err);
  BOOST_TEST(Contains(r.err, mention), "stderr: " << r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_binary)

BOOST_AUTO_TEST_CASE(help_lists_commands_options_and_exit_codes) {
  auto r = Run({"--help"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty());
  for (const char* s : {"Commands:", "paths", "--data", "--json", "--passphrase-file", "--officer",
                        "--version", "OUTPOST_DATA", "Exit codes:"}) {
    BOOST_TEST(Contains(r.out, s), "--help lacks " << s);
  }
  // Hidden commands stay hidden.
  BOOST_TEST(!Contains(r.out, "check-passphrase"));
}

BOOST_AUTO_TEST_CASE(command_help_describes_the_command) {
  auto r = Run({"paths", "--help"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Contains(r.out, "Usage: outpost paths"));
  BOOST_TEST(Contains(r.out, "data directory"));
}

BOOST_AUTO_TEST_CASE(version_prints_project_version) {
  auto r = Run({"--version"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out == std::string("outpost ") + OUTPOST_VERSION + "\n");
}

BOOST_AUTO_TEST_CASE(unknown_command_is_a_usage_error) {
  CheckUsageError(Run({"frobnicate"}), "unknown command \"frobnicate\"");
}

BOOST_AUTO_TEST_CASE(unknown_option_is_a_usage_error) {
  CheckUsageError(Run({"--frob", "paths"}), "--frob");
  CheckUsageError(Run({"paths", "--frob"}), "--frob");
}

BOOST_AUTO_TEST_CASE(missing_option_argument_is_a_usage_error) {
  CheckUsageError(Run({"paths", "--data"}), "--data");
}

BOOST_AUTO_TEST_CASE(missing_command_is_a_usage_error) {
  CheckUsageError(Run({}), "no command given");
  CheckUsageError(Run({"--json"}), "no command given");
}

BOOST_AUTO_TEST_CASE(invalid_officer_flag_is_a_usage_error) {
  CheckUsageError(Run({"--officer", "a b", "paths"}), "\"a b\"");
}

BOOST_AUTO_TEST_CASE(paths_json_honours_data_flag) {
  TempDir d;
  auto r = Run({"--json", "--data", d.path.string(), "paths"});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  auto j = ParseJson(r.out);
  BOOST_TEST(j["data_dir"] == d.path.string());
  BOOST_TEST(j["source"] == "flag");
  BOOST_TEST(j["exists"] == true);
  BOOST_TEST(j["is_directory"] == true);
}

BOOST_AUTO_TEST_CASE(global_options_work_after_the_command) {
  TempDir d;
  auto r = Run({"paths", "--json", "--data", (d.path / "new").string()});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  auto j = ParseJson(r.out);
  BOOST_TEST(j["data_dir"] == (d.path / "new").string());
  BOOST_TEST(j["exists"] == false);
}

BOOST_AUTO_TEST_CASE(paths_json_honours_outpost_data) {
  TempDir d;
  auto r = Run({"paths", "--json"}, {{"OUTPOST_DATA", d.path.string()}});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  auto j = ParseJson(r.out);
  BOOST_TEST(j["data_dir"] == d.path.string());
  BOOST_TEST(j["source"] == "env");
}

BOOST_AUTO_TEST_CASE(data_flag_beats_outpost_data) {
  TempDir d;
  auto r = Run({"paths", "--json", "--data", (d.path / "flag").string()},
               {{"OUTPOST_DATA", (d.path / "env").string()}});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  BOOST_TEST(ParseJson(r.out)["data_dir"] == (d.path / "flag").string());
}

BOOST_AUTO_TEST_CASE(default_data_dir_is_outpost_data_in_the_working_directory) {
  TempDir d;
  fs::path cwd = fs::canonical(d.path);
  auto r = Run({"paths", "--json"}, {}, cwd);
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  auto j = ParseJson(r.out);
  BOOST_TEST(j["data_dir"] == (cwd / "outpost-data").string());
  BOOST_TEST(j["source"] == "default");
  BOOST_TEST(j["exists"] == false);
}

BOOST_AUTO_TEST_CASE(relative_data_dir_is_resolved_against_the_working_directory) {
  TempDir d;
  fs::path cwd = fs::canonical(d.path);
  auto r = Run({"paths", "--json", "--data", "sub/../store/"}, {}, cwd);
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  BOOST_TEST(ParseJson(r.out)["data_dir"] == (cwd / "store").string());
}

BOOST_AUTO_TEST_CASE(paths_human_output_names_the_directory) {
  TempDir d;
  fs::path file = d.WriteFile("not-a-dir", "x");
  auto r = Run({"paths", "--data", file.string()});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(Contains(r.out, "data directory: " + file.string() + " (from --data)"));
  BOOST_TEST(Contains(r.out, "exists but is not a directory"));
}

BOOST_AUTO_TEST_CASE(passphrase_from_file) {
  TempDir d;
  fs::path f = d.WriteFile("pass", "correct horse\n");
  auto r = Run({"--json", "--passphrase-file", f.string(), "check-passphrase"},
               {{"OUTPOST_PASSPHRASE", "from-env"}});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  BOOST_TEST(r.err.empty());
  auto j = ParseJson(r.out);
  BOOST_TEST(j["source"] == "file");
  BOOST_TEST(!Contains(r.out, "correct horse"));
}

BOOST_AUTO_TEST_CASE(passphrase_from_env) {
  auto r = Run({"check-passphrase"}, {{"OUTPOST_PASSPHRASE", "from-env"}});
  BOOST_TEST(r.exit_code == 0, "stderr: " << r.err);
  BOOST_TEST(r.out == "passphrase: ok (from env)\n");
}

BOOST_AUTO_TEST_CASE(missing_passphrase_fails_with_one_clear_line) {
  auto r = Run({"check-passphrase"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err ==
             "outpost: error: no passphrase: pass --passphrase-file FILE or set "
             "OUTPOST_PASSPHRASE\n");
}

BOOST_AUTO_TEST_CASE(unreadable_passphrase_file_names_the_file) {
  TempDir d;
  auto r = Run({"--passphrase-file", (d.path / "missing").string(), "check-passphrase"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(LineCount(r.err) == 1, "stderr: " << r.err);
  BOOST_TEST(Contains(r.err, "outpost: error: --passphrase-file: "));
  BOOST_TEST(Contains(r.err, (d.path / "missing").string()));
}

BOOST_AUTO_TEST_CASE(invalid_officer_from_env_fails) {
  auto r = Run({"paths"}, {{"OUTPOST_OFFICER", "x;rm"}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.rfind("outpost: error: OUTPOST_OFFICER: ", 0) == 0, "stderr: " << r.err);
}

BOOST_AUTO_TEST_SUITE_END()

// Records and the audit log through the real binary, as an officer and an
// admin would use them.
BOOST_AUTO_TEST_SUITE(cli_records)

BOOST_AUTO_TEST_CASE(record_add_get_list_import_and_audit_verify) {
  TempDir d;
  std::string data = (d.path / "node").string();
  fs::path pass = d.WriteFile("pass", "correct horse battery staple\n");
  std::map<std::string, std::string> env{{"OUTPOST_DATA", data},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"},
                                         {"OUTPOST_OFFICER", "BA-GRA-0042"}};
  auto init = Run({"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);

  const std::string truck =
      R"({"mode":"road","direction":"in","time":"2026-11-28T10:15:00Z",)"
      R"("vehicle":{"plate":"SA123BC","plate_country":"RS","kind":"truck"},)"
      R"("equipment":[{"number":"CSQU3054383","loaded":true}],)"
      R"("persons":[{"role":"driver","family_name":"Petrovic","given_names":"Marko"}]})";
  auto add = Run({"--json", "record", "add", "movement", "--doc", truck}, env);
  BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.err);
  std::string id = ParseJson(add.out)["id"];

  auto get = Run({"--json", "record", "get", id}, env);
  BOOST_REQUIRE_MESSAGE(get.exit_code == 0, get.err);
  auto m = ParseJson(get.out);
  BOOST_TEST(m["equipment"][0]["number"] == "CSQU3054383");
  BOOST_TEST(m["crossing"] == "BA-GRA");

  // A bad container number: exit 1, the field and the rule named, nothing stored.
  std::string bad = truck;
  bad.replace(bad.find("CSQU3054383"), 11, "CSQU3054384");
  auto refused = Run({"record", "add", "movement", "--doc", bad}, env);
  BOOST_TEST(refused.exit_code == 1);
  BOOST_TEST(Contains(refused.err, "movement.equipment[0].number"), refused.err);
  BOOST_TEST(Contains(refused.err, "expected 3"), refused.err);
  auto list = Run({"--json", "record", "list", "movement"}, env);
  BOOST_TEST(ParseJson(list.out).size() == 1u);

  // Import: valid lines load, the bad one is reported with its line number.
  fs::path lines = d.WriteFile("day.jsonl", R"({"type":"movement","direction":"out","mode":"rail"})"
                                            "\n"
                                            R"({"type":"movement","mode":"boat"})"
                                            "\n"
                                            R"({"type":"party","name":"Acme","country":"BA"})"
                                            "\n");
  auto imp = Run({"--json", "record", "import", lines.string()}, env);
  BOOST_TEST(imp.exit_code == 1);
  auto rep = ParseJson(imp.out);
  BOOST_TEST(rep["loaded"] == 2);
  BOOST_TEST(rep["errors"][0]["line"] == 2);

  // The audit log is intact, then tampered with as with the sqlite3 shell.
  auto ok = Run({"audit", "verify"}, env);
  BOOST_TEST(ok.exit_code == 0, ok.err);
  {
    auto db = outpost::Db::Open(data + "/outpost.db");
    BOOST_REQUIRE(db.ok());
    BOOST_REQUIRE((*db)->Exec("UPDATE audit_entry SET officer = 'nobody' WHERE seq = 1").ok());
  }
  auto broken = Run({"audit", "verify"}, env);
  BOOST_TEST(broken.exit_code == 1);
  BOOST_TEST(Contains(broken.err, "entry 1"), broken.err);
  BOOST_TEST(Contains(broken.err, "altered"), broken.err);

  auto digest = Run({"--json", "digest"}, env);
  BOOST_TEST(digest.exit_code == 0);
  BOOST_TEST(ParseJson(digest.out)["digest"].get<std::string>().size() == 64u);
}

BOOST_AUTO_TEST_CASE(record_commands_without_a_store_say_how_to_start) {
  TempDir d;
  auto r = Run({"record", "list", "movement", "--officer", "x"},
               {{"OUTPOST_DATA", (d.path / "none").string()}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(Contains(r.err, "outpost init"), r.err);
}

// An admin who typed a peer's address wrong can correct it: `peers add` with
// the name in use says how, `peers remove` frees the name, and removing a
// name that is not there fails and names it.
BOOST_AUTO_TEST_CASE(peers_add_remove_and_correct_an_address) {
  TempDir d;
  std::map<std::string, std::string> env{{"OUTPOST_DATA", (d.path / "node").string()},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  auto init = Run({"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);

  BOOST_REQUIRE(Run({"peers", "add", "hq", "10.20.0.1:7040"}, env).exit_code == 0);
  auto again = Run({"peers", "add", "hq", "10.20.0.1:7400"}, env);
  BOOST_TEST(again.exit_code == 1);
  BOOST_TEST(Contains(again.err, "10.20.0.1:7040"), again.err);
  BOOST_TEST(Contains(again.err, "outpost peers remove hq"), again.err);

  auto removed = Run({"--json", "peers", "remove", "hq"}, env);
  BOOST_REQUIRE_MESSAGE(removed.exit_code == 0, removed.err);
  BOOST_TEST(ParseJson(removed.out)["removed"] == "hq");
  BOOST_TEST(ParseJson(Run({"--json", "peers", "list"}, env).out).empty());

  BOOST_REQUIRE(Run({"peers", "add", "hq", "10.20.0.1:7400"}, env).exit_code == 0);
  auto list = ParseJson(Run({"--json", "peers", "list"}, env).out);
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0]["address"] == "10.20.0.1:7400");

  auto missing = Run({"peers", "remove", "gradiska"}, env);
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(Contains(missing.err, "\"gradiska\" is not in the address book"), missing.err);
  BOOST_TEST(ParseJson(Run({"--json", "peers", "list"}, env).out).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
