// `outpost init` and `outpost keys ...` through the real binary, as HQ's and a
// site's admins use them: init hq, init site, request, enroll, install,
// list, rotate, revoke. Key files are sealed at Argon2id MODERATE here (the
// CLI never uses weaker parameters), so each unlock costs ~0.5 s.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "tests/cli/run_outpost.h"

namespace fs = std::filesystem;
using namespace outpost::cli_testing;

BOOST_AUTO_TEST_SUITE(cli_keys)

// The admin path of a rotation with a link: `keys rotate` at the site,
// `sync`, and the new epoch shows at both ends; `keys log` is empty.
BOOST_AUTO_TEST_CASE(rotate_then_sync_installs_the_next_epoch) {
  TempDir d;
  const std::string hq = (d.path / "hq").string(), gra = (d.path / "gra").string();
  const std::string req = (d.path / "gra.request").string();
  const std::string cert = (d.path / "gra.cert").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  auto h =
      Json(Run({"--data", hq, "--json", "init", "--role", "hq", "--name", "HQ Sarajevo"}, env));
  const std::string hq_fp = h["hq_fingerprint"];
  Json(Run(
      {"--data", gra, "--json", "init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"},
      env));
  Json(Run({"--data", gra, "--json", "keys", "request", "--out", req}, env));
  Json(Run({"--data", hq, "--json", "keys", "enroll", req, "--out", cert, "--yes"}, env));
  Json(Run({"--data", gra, "--json", "keys", "install", cert, "--hq-fingerprint", hq_fp}, env));

  Server server(hq, env);
  Json(Run({"--data", gra, "--json", "peers", "add", "hq", server.address}, {}));
  auto first = Json(Run({"--data", gra, "--json", "sync"}, env));
  BOOST_TEST(first["rotation"] == "");

  auto r = Json(Run({"--data", gra, "--json", "keys", "rotate"}, env));
  BOOST_TEST(r["new_epoch"] == 2);
  BOOST_TEST(r["resumed"] == false);
  auto show = Json(Run({"--data", gra, "--json", "keys", "show"}, {}));
  BOOST_TEST(show["rotation_pending"] == true);
  BOOST_TEST(show["certificate"]["epoch"] == 1);
  // Asked again while pending: the same new key, nothing new made.
  auto again = Json(Run({"--data", gra, "--json", "keys", "rotate"}, env));
  BOOST_TEST(again["resumed"] == true);
  BOOST_TEST(again["new_signing_fingerprint"] == r["new_signing_fingerprint"]);

  auto sync = Run({"--data", gra, "sync"}, env);
  BOOST_REQUIRE_MESSAGE(sync.exit_code == 0, sync.err);
  BOOST_TEST(Contains(sync.out, "key rotation: installed certificate epoch 2"), sync.out);
  show = Json(Run({"--data", gra, "--json", "keys", "show"}, {}));
  BOOST_TEST(show["certificate"]["epoch"] == 2);
  BOOST_TEST(show["rotation_pending"] == false);
  BOOST_TEST(show["signing_fingerprint"] == r["new_signing_fingerprint"]);
  BOOST_TEST(!fs::exists(gra + "/node.key.next"));

  auto list = Json(Run({"--data", hq, "--json", "keys", "list"}, {}));
  bool seen = false;
  for (const auto& n : list["nodes"]) {
    if (n["name"] == "Gradiska") {
      seen = true;
      BOOST_TEST(n["epoch"] == 2);
      BOOST_TEST(n["signing_fingerprint"] == r["new_signing_fingerprint"]);
      BOOST_TEST(n.contains("previous_key_accepted_until"));
    }
  }
  BOOST_TEST(seen);
  // The next sync runs on the new keys.
  auto after = Json(Run({"--data", gra, "--json", "sync"}, env));
  BOOST_TEST(after["ok"] == true);
  BOOST_TEST(after["refused"] == 0);
  auto log = Json(Run({"--data", hq, "--json", "keys", "log"}, {}));
  BOOST_TEST(log["trust_log"].size() == 0u, log.dump());
  BOOST_TEST(log["quarantine"].size() == 0u);
}

BOOST_AUTO_TEST_CASE(init_enroll_install_list_rotate_revoke) {
  TempDir d;
  const std::string hq = (d.path / "hq").string(), gra = (d.path / "gra").string();
  const std::string req = (d.path / "gra.request").string();
  const std::string cert = (d.path / "gra.cert").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"}};

  auto h = Json(Run({"--data", hq, "--json", "init", "--role", "hq", "--name", "HQ Sarajevo",
                     "--hq-address", "hq.example:7700"},
                    env));
  const std::string hq_fp = h["hq_fingerprint"];
  BOOST_TEST(hq_fp.size() == 39u);
  auto again = Run({"--data", hq, "init", "--role", "hq", "--name", "HQ"}, env);
  BOOST_TEST(again.exit_code == 1);
  BOOST_TEST(Contains(again.err, "already exists"), again.err);

  auto s = Json(Run(
      {"--data", gra, "--json", "init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"},
      env));
  const std::string site_fp = s["signing_fingerprint"];
  BOOST_TEST(fs::exists(gra + "/node.key"));
  BOOST_TEST(((fs::status(gra + "/node.key").permissions() & fs::perms::all) ==
              (fs::perms::owner_read | fs::perms::owner_write)));

  // No passphrase: refused, nothing created.
  auto nopass = Run({"--data", (d.path / "x").string(), "init", "--role", "site", "--name", "X",
                     "--site", "BA-BIJ"},
                    {});
  BOOST_TEST(nopass.exit_code == 1);
  BOOST_TEST(Contains(nopass.err, "no passphrase"), nopass.err);

  Json(Run({"--data", gra, "--json", "keys", "request", "--out", req}, env));
  // Without --yes: the fingerprint is shown, nothing is issued.
  auto unconfirmed = Run({"--data", hq, "keys", "enroll", req, "--out", cert}, env);
  BOOST_TEST(unconfirmed.exit_code == 1);
  BOOST_TEST(Contains(unconfirmed.err, site_fp), unconfirmed.err);
  BOOST_TEST(Contains(unconfirmed.err, "--yes"), unconfirmed.err);
  BOOST_TEST(!fs::exists(cert));
  auto issued = Json(Run(
      {"--data", hq, "--json", "keys", "enroll", req, "--out", cert, "--valid-days", "30", "--yes"},
      env));
  BOOST_TEST(issued["signing_fingerprint"] == site_fp);
  BOOST_TEST(issued["write_scopes"][0] == "site:BA-GRA");

  // A wrong pinned fingerprint is refused; the right one installs.
  auto wrong = Run({"--data", gra, "keys", "install", cert, "--hq-fingerprint", site_fp}, env);
  BOOST_TEST(wrong.exit_code == 1);
  BOOST_TEST(Contains(wrong.err, "does not match"), wrong.err);
  auto inst =
      Json(Run({"--data", gra, "--json", "keys", "install", cert, "--hq-fingerprint", hq_fp}, env));
  BOOST_TEST(inst["hq_address"] == "hq.example:7700");
  auto show = Json(Run({"--data", gra, "--json", "keys", "show"}, {}));  // no passphrase needed
  BOOST_TEST(show["hq_fingerprint"] == hq_fp);
  BOOST_TEST(show["certificate"]["epoch"] == 1);

  auto list = Json(Run({"--data", hq, "--json", "keys", "list"}, {}));
  BOOST_REQUIRE(list["nodes"].size() == 2u);

  // Rotation by file.
  const std::string rot = (d.path / "gra.rotate").string();
  const std::string cert2 = (d.path / "gra2.cert").string();
  auto r = Json(Run({"--data", gra, "--json", "keys", "rotate", "--out", rot}, env));
  auto issued2 =
      Json(Run({"--data", hq, "--json", "keys", "enroll", rot, "--out", cert2, "--yes"}, env));
  BOOST_TEST(issued2["epoch"] == 2);
  BOOST_TEST(issued2["signing_fingerprint"] == r["new_signing_fingerprint"]);
  auto inst2 = Json(
      Run({"--data", gra, "--json", "keys", "install", cert2, "--hq-fingerprint", hq_fp}, env));
  BOOST_TEST(inst2["rotated"] == true);
  show = Json(Run({"--data", gra, "--json", "keys", "show"}, {}));
  BOOST_TEST(show["signing_fingerprint"] == r["new_signing_fingerprint"]);

  // Revocation (by name), then the listing says so.
  auto rev = Json(Run(
      {"--data", hq, "--json", "keys", "revoke", "Gradiska", "--reason", "laptop stolen"}, env));
  BOOST_TEST(rev["reason"] == "laptop stolen");
  list = Json(Run({"--data", hq, "--json", "keys", "list"}, {}));
  bool revoked = false;
  for (const auto& n : list["nodes"])
    revoked |= n["name"] == "Gradiska" && n["status"] == "revoked";
  BOOST_TEST(revoked);

  // A site cannot revoke; the passphrase change takes effect.
  auto site_revoke = Run({"--data", gra, "keys", "revoke", "HQ Sarajevo", "--reason", "x"}, env);
  BOOST_TEST(site_revoke.exit_code == 1);
  auto env2 = env;
  env2["OUTPOST_NEW_PASSPHRASE"] = "another long passphrase";
  Json(Run({"--data", gra, "--json", "keys", "change-passphrase"}, env2));
  auto old_pass = Run({"--data", gra, "keys", "request", "--out", req + "2"}, env);
  BOOST_TEST(old_pass.exit_code == 3);  // the key does not open: exit 3
  BOOST_TEST(Contains(old_pass.err, "wrong passphrase"), old_pass.err);
}

// Issue 16: two daemons on one data directory. A second `serve` or `run`
// exits at once with an error naming the process that holds the directory
// (it used to serve alongside the first).
BOOST_AUTO_TEST_CASE(a_second_daemon_on_one_data_directory_is_refused) {
  TempDir d;
  const std::string hq = (d.path / "hq").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  Json(Run({"--data", hq, "--json", "init", "--role", "hq", "--name", "HQ Sarajevo"}, env));
  Server first(hq, env);
  for (std::string cmd : {"serve", "run"}) {
    BOOST_TEST_CONTEXT(cmd) {
      TempDir io;
      pid_t pid = detail::Spawn({"--data", hq, cmd, "--listen", "127.0.0.1:0"}, env,
                                io.path / "out", io.path / "err", std::nullopt);
      int st = 0;
      pid_t done = 0;
      for (int i = 0; i < 400 && done == 0; ++i) {  // 20 s: the key file takes ~1 s to open
        done = waitpid(pid, &st, WNOHANG);
        if (done == 0) usleep(50'000);
      }
      if (done == 0) {
        kill(pid, SIGTERM);
        waitpid(pid, &st, 0);
      }
      BOOST_TEST(done == pid, "a second `outpost " << cmd << "` kept running");
      BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 1));
      const std::string err = Slurp(io.path / "err");
      BOOST_TEST(Contains(err, "is in use by another daemon"), err);
      BOOST_TEST(Contains(err, "held by process " + std::to_string(first.pid)), err);
    }
  }
}

// Issue 16, flaw 8: text a peer chose (an Error reason it sent, a scope
// name in a refused batch) lands in `sync_log` and `trust_log`; `transfers`
// and `keys log` print it escaped, never as escape sequences, and --json
// output stays valid JSON even with bytes that are not UTF-8.
BOOST_AUTO_TEST_CASE(peer_text_is_escaped_in_transfers_and_keys_log) {
  TempDir d;
  const std::string hq = (d.path / "hq").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  Json(Run({"--data", hq, "--json", "init", "--role", "hq", "--name", "HQ Sarajevo"}, env));
  Json(Run({"--data", hq, "--json", "transfers"}, env));  // creates sync_log
  const std::string evil =
      "\x1b]0;owned\x07\x1b[2J\xc2\x9b"
      "31m\xff";
  {
    auto db = outpost::Db::Open(hq + "/outpost.db");
    BOOST_REQUIRE(db.ok());
    auto st = (*db)->Prepare(
        "INSERT INTO sync_log(direction, address, started, finished, ok, error, batches_sent, "
        "batches_received, bytes_out, bytes_in, column_changes, refused, last_refusal) "
        "VALUES('in', '127.0.0.1', 0, 0, 0, ?, 0, 0, 0, 0, 0, 1, ?)");
    BOOST_REQUIRE(st.ok());
    (*st)->Bind(1, std::string_view("peer reported: " + evil)).Bind(2, std::string_view(evil));
    BOOST_REQUIRE((*st)->Run().ok());
    auto tl = (*db)->Prepare(
        "INSERT INTO trust_log(time, scope, code, message) VALUES(0, ?, "
        "'PERMISSION_DENIED', ?)");
    BOOST_REQUIRE(tl.ok());
    (*tl)->Bind(1, std::string_view(evil)).Bind(2, std::string_view("may not write scope " + evil));
    BOOST_REQUIRE((*tl)->Run().ok());
  }
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"transfers"}, std::vector<std::string>{"keys", "log"}}) {
    BOOST_TEST_CONTEXT(cmd.back()) {
      std::vector<std::string> args = {"--data", hq};
      args.insert(args.end(), cmd.begin(), cmd.end());
      auto human = Run(args, env);
      BOOST_REQUIRE_MESSAGE(human.exit_code == 0, human.err);
      BOOST_TEST(human.out.find('\x1b') == std::string::npos, human.out);
      BOOST_TEST(human.out.find('\x07') == std::string::npos, human.out);
      BOOST_TEST(human.out.find("\xc2\x9b") == std::string::npos, human.out);
      BOOST_TEST(Contains(human.out, "\\x1b]0;owned\\x07\\x1b[2J\\u{009b}31m\\xff"), human.out);
      args.insert(args.begin(), "--json");
      auto j = Run(args, env);
      BOOST_REQUIRE_MESSAGE(j.exit_code == 0, j.err);
      BOOST_TEST(j.out.find('\x1b') == std::string::npos);
      BOOST_TEST(!nlohmann::json::parse(j.out, nullptr, false).is_discarded(), j.out);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
