// `outpost init` and `outpost keys ...` through the real binary, as HQ's and a
// site's admins use them: init hq, init site, request, enroll, install,
// list, rotate, revoke. Key files are sealed at Argon2id MODERATE here (the
// CLI never uses weaker parameters), so each unlock costs ~0.5 s.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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

BOOST_AUTO_TEST_SUITE_END()
