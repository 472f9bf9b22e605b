// `outpost record import` as an operator runs it: a partly refused file
// corrected and run again, and an import interrupted with SIGINT (Ctrl-C)
// and run again. Each good line must be stored exactly once, and the audit
// chain must stay intact.
//
// The kill test's size comes from the environment, so that the slow tier can
// run the acceptance size: OUTPOST_IMPORT_MOVEMENTS (default 3000) movements,
// OUTPOST_IMPORT_KILLS (default 1) interruptions, OUTPOST_IMPORT_SEED (default:
// from the clock; printed) for the kill points.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "tests/cli/run_outpost.h"

namespace fs = std::filesystem;
using namespace outpost::cli_testing;

namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : fallback;
}

// A crossing's store, initialised, with the environment its commands need.
struct Crossing {
  TempDir dir;
  std::map<std::string, std::string> env;
  Crossing() {
    env = {{"OUTPOST_DATA", (dir.path / "node").string()},
           {"OUTPOST_PASSPHRASE", "correct horse battery staple"},
           {"OUTPOST_OFFICER", "BA-GRA-0042"}};
    auto init = Run({"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, env);
    BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  }
  std::string db() const { return env.at("OUTPOST_DATA") + "/outpost.db"; }
  int64_t Movements() {
    auto j = Json(Run({"--json", "status"}, env));
    return j["records"]["movement"].get<int64_t>();
  }
};

std::string Movement(int i) {
  // Distinct times keep distinct lines; minute i of 2026-11-28.
  char t[32];
  std::snprintf(t, sizeof t, "2026-11-28T%02d:%02d:00Z", (i / 60) % 24, i % 60);
  return std::string(R"({"type":"movement","direction":"in","mode":"road","time":")") + t +
         R"(","vehicle":{"plate":"SA)" + std::to_string(100 + i) + R"(BC","plate_country":"RS"}})";
}

// Lines the import has committed, read by another (read-only) connection;
// -1 until the import has made its table.
int64_t ImportedLines(const std::string& db_path) {
  outpost::DbOptions o;
  o.create = false;
  o.read_only = true;
  auto db = outpost::Db::Open(db_path, o);
  BOOST_REQUIRE_MESSAGE(db.ok(), db.status().message());
  auto n = (*db)->QueryInt(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'import_line'");
  if (!n.ok() || *n == 0) return -1;
  auto lines = (*db)->QueryInt("SELECT count(*) FROM import_line");
  return lines.ok() ? *lines : -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_import)

// A file with 3 bad lines loads the good ones; corrected and run again, it
// loads the 3 corrected lines and skips the others; a third run loads nothing.
// Two identical lines are two records, on every run.
BOOST_AUTO_TEST_CASE(partly_refused_file_rerun_after_correction_loads_each_line_once) {
  Crossing c;
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i) lines.push_back(Movement(i));
  lines.push_back(Movement(3));  // the same content again: a second movement
  std::vector<std::string> bad = lines;
  bad[2].replace(bad[2].find("\"road\""), 6, "\"boat\"");
  bad[5] = R"({"type":"movement","mode":"road",)";  // cut short
  bad[8].replace(bad[8].find("\"RS\""), 4, "\"R5\"");
  auto write = [&](const std::vector<std::string>& ls) {
    std::string text;
    for (const auto& l : ls) text += l + "\n";
    return c.dir.WriteFile("day.jsonl", text);
  };

  fs::path file = write(bad);
  auto first = Run({"--json", "record", "import", file.string()}, c.env);
  BOOST_TEST(first.exit_code == 1);
  auto r1 = ParseJson(first.out);
  BOOST_TEST(r1["loaded"] == 8);
  BOOST_TEST(r1["skipped"] == 0);
  BOOST_TEST(r1["errors"].size() == 3u);
  BOOST_TEST(c.Movements() == 8);

  write(lines);
  auto second = Run({"--json", "record", "import", file.string()}, c.env);
  BOOST_TEST(second.exit_code == 0, second.err);
  auto r2 = ParseJson(second.out);
  BOOST_TEST(r2["loaded"] == 3);
  BOOST_TEST(r2["skipped"] == 8);
  BOOST_TEST(c.Movements() == 11);

  // Human output says what was skipped; nothing more is loaded.
  auto third = Run({"record", "import", file.string()}, c.env);
  BOOST_TEST(third.exit_code == 0, third.err);
  BOOST_TEST(Contains(third.out, "loaded 0 of 11 lines"), third.out);
  BOOST_TEST(Contains(third.out, "11 already imported from day.jsonl"), third.out);
  BOOST_TEST(c.Movements() == 11);

  // Another source name is another input: its lines are new records.
  auto other = Run({"--json", "record", "import", file.string(), "--source", "day-2"}, c.env);
  BOOST_TEST(ParseJson(other.out)["loaded"] == 11);
  BOOST_TEST(c.Movements() == 22);

  BOOST_TEST(Run({"audit", "verify"}, c.env).exit_code == 0);
}

// The acceptance test of issue 17: an import interrupted with SIGINT at
// random points and run again ends with each movement stored once and an
// intact audit chain. The kill points are lines already committed (read
// from the store by another connection) plus a random delay, so they fall
// anywhere in a batch's work.
BOOST_AUTO_TEST_CASE(import_interrupted_by_sigint_and_run_again_stores_each_line_once) {
  const int64_t movements = EnvInt("OUTPOST_IMPORT_MOVEMENTS", 3000);
  const int64_t kills = EnvInt("OUTPOST_IMPORT_KILLS", 1);
  const uint64_t seed = static_cast<uint64_t>(
      EnvInt("OUTPOST_IMPORT_SEED",
             std::chrono::system_clock::now().time_since_epoch().count() % 1000000));
  BOOST_TEST_MESSAGE("import kill test: " << movements << " movements, " << kills << " kills, seed "
                                          << seed << " (replay with OUTPOST_IMPORT_SEED)");
  std::mt19937_64 rng(seed);

  Crossing c;
  fs::path file = c.dir.path / "traffic.jsonl";
  auto sim = Run({"simulate", "--site", "BA-GRA", "--movements", std::to_string(movements),
                  "--seed", std::to_string(seed), "--out", file.string()},
                 c.env);
  BOOST_REQUIRE_MESSAGE(sim.exit_code == 0, sim.err);

  std::vector<int64_t> points;
  for (int64_t k = 0; k < kills; ++k) {
    points.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(movements)));
  }
  std::sort(points.begin(), points.end());
  int interrupted = 0;
  int signaled = 0;
  for (int64_t point : points) {
    int delay_us = static_cast<int>(rng() % 50'000);
    TempDir io;
    pid_t pid = detail::Spawn({"--json", "record", "import", file.string(), "--batch", "100"},
                              c.env, io.path / "out", io.path / "err", std::nullopt);
    int64_t before = ImportedLines(c.db());
    int wstatus = 0;
    bool exited = false;
    // Wait until `point` lines are committed (or the import ended), then SIGINT.
    for (;;) {
      if (waitpid(pid, &wstatus, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (ImportedLines(c.db()) >= point) break;
      usleep(2'000);
    }
    if (!exited) {
      usleep(delay_us);
      kill(pid, SIGINT);
      BOOST_REQUIRE(waitpid(pid, &wstatus, 0) == pid);
    }
    int64_t stored = ImportedLines(c.db());
    BOOST_TEST_MESSAGE("kill point " << point << " + " << delay_us << " us: " << stored
                                     << " lines stored");
    // The import either finished before the signal, or stopped cleanly and said where.
    // The handler lives only while lines are read: a signal before the import began or
    // after it ended takes the default action, and then the store holds nothing new or
    // every line (a transaction is all or nothing).
    if (WIFSIGNALED(wstatus)) {
      BOOST_TEST(WTERMSIG(wstatus) == SIGINT);
      BOOST_TEST((stored == before || stored == movements),
                 "killed by signal " << WTERMSIG(wstatus) << " with " << stored << " lines stored, "
                                     << before << " before");
      ++signaled;
      continue;
    }
    BOOST_REQUIRE(WIFEXITED(wstatus));
    std::string err = Slurp(io.path / "err");
    if (WEXITSTATUS(wstatus) != 0) {
      BOOST_TEST(WEXITSTATUS(wstatus) == 1);
      BOOST_TEST(Contains(err, "import stopped by SIGINT after line"), err);
      BOOST_TEST(Contains(err, "run the same command again"), err);
      auto rep = ParseJson(Slurp(io.path / "out"));
      BOOST_TEST(rep["stopped"] == true);
      ++interrupted;
    }
  }
  BOOST_TEST_MESSAGE(interrupted << " of " << kills << " imports stopped by SIGINT, " << signaled
                                 << " ended by it outside the import");

  auto last = Run({"--json", "record", "import", file.string()}, c.env);
  BOOST_TEST(last.exit_code == 0, last.err);
  auto rep = ParseJson(last.out);
  BOOST_TEST(rep["loaded"].get<int64_t>() + rep["skipped"].get<int64_t>() == movements);
  BOOST_TEST(c.Movements() == movements);
  auto verify = Run({"audit", "verify"}, c.env);
  BOOST_TEST(verify.exit_code == 0, verify.err);
}

BOOST_AUTO_TEST_SUITE_END()
