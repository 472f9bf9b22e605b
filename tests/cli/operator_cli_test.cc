// The operator's path through the real binary (issue 17): what an admin
// reads when something is wrong — the passphrase (strength, a wrong one in
// the daemon's credential), the data directory (read-only, another user's),
// and the commands that diagnose a node without its passphrase.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/cli/run_outpost.h"

namespace fs = std::filesystem;
using namespace outpost::cli_testing;

namespace {

const std::map<std::string, std::string> kEnv{
    {"OUTPOST_PASSPHRASE", "correct horse battery staple"}};

// `outpost args...` as user and group `uid` (the test runs as root), with no
// OUTPOST_* variables and stdin from /dev/null.
RunResult RunAs(uid_t uid, const std::vector<std::string>& args) {
  TempDir io;
  fs::permissions(io.path, fs::perms(0777));
  const fs::path out = io.path / "stdout", err = io.path / "stderr";
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (in < 0 || o < 0 || e < 0) _exit(120);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    if (setgroups(0, nullptr) != 0 || setgid(uid) != 0 || setuid(uid) != 0) _exit(121);
    std::vector<std::string> argv_s = {OUTPOST_BIN};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    char path[] = "PATH=/usr/bin:/bin";
    char* envp[] = {path, nullptr};
    execve(argv[0], argv.data(), envp);
    _exit(122);
  }
  int st = 0;
  BOOST_REQUIRE(waitpid(pid, &st, 0) == pid);
  BOOST_REQUIRE(WIFEXITED(st));
  RunResult r;
  r.exit_code = WEXITSTATUS(st);
  BOOST_REQUIRE_MESSAGE(r.exit_code < 120, "could not run as uid " << uid);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

constexpr uid_t kNobody = 65534;

// A site store in `dir`, and the directory above it open to every user.
std::string InitOperatorSite(TempDir& d) {
  fs::permissions(d.path, fs::perms(0755));
  const std::string data = (d.path / "node").string();
  auto r = Run({"--data", data, "init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"},
               kEnv);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return data;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_operator)

BOOST_AUTO_TEST_CASE(init_refuses_a_weak_passphrase_and_creates_nothing) {
  TempDir d;
  const std::string data = (d.path / "node").string();
  for (const std::string weak : {"a", "password", "aaaaaaaaaaaaaaaaaaaa", "abababababababab",
                                 "abcdefghijklmnopq", "123456789012"}) {
    auto r = Run({"--data", data, "init", "--role", "site", "--name", "G", "--site", "BA-GRA"},
                 {{"OUTPOST_PASSPHRASE", weak}});
    BOOST_TEST(r.exit_code == 1, weak);
    BOOST_TEST(Contains(r.err, "too weak"), weak << ": " << r.err);
    BOOST_TEST(Contains(r.err, "at least 12 characters"), r.err);
    BOOST_TEST(!fs::exists(data + "/outpost.db"), weak);
  }
  auto ok = Run({"--data", data, "init", "--role", "site", "--name", "G", "--site", "BA-GRA"},
                {{"OUTPOST_PASSPHRASE", "Kestrel-harbour 42 lantern"}});
  BOOST_TEST(ok.exit_code == 0, ok.err);
}

// The daemon's credential holds a passphrase that does not open the key: a
// distinct exit status (the unit does not restart on it) and a message that
// says where the passphrase came from and what to do.
BOOST_AUTO_TEST_CASE(a_wrong_passphrase_exits_3_naming_its_source) {
  TempDir d;
  const std::string data = InitOperatorSite(d);
  auto file = d.WriteFile("credential", "not the passphrase of this node\n");
  auto r = Run({"--data", data, "--passphrase-file", file.string(), "run"});
  BOOST_TEST(r.exit_code == 3, r.err);
  BOOST_TEST(Contains(r.err, "does not open with the passphrase file " + file.string()), r.err);
  BOOST_TEST(Contains(r.err, "/etc/outpost/passphrase"), r.err);
  auto env = Run({"--data", data, "sync"}, {{"OUTPOST_PASSPHRASE", "wrong but long passphrase"}});
  BOOST_TEST(env.exit_code == 3, env.err);
  BOOST_TEST(Contains(env.err, "$OUTPOST_PASSPHRASE"), env.err);
  // The same for every command that opens the key.
  auto rotate = Run({"--data", data, "keys", "rotate"}, {{"OUTPOST_PASSPHRASE", "wrong but long"}});
  BOOST_TEST(rotate.exit_code == 3, rotate.err);
  BOOST_TEST(Contains(rotate.err, "does not open with $OUTPOST_PASSPHRASE"), rotate.err);
  // The unit stops on it instead of restarting forever.
  std::string unit = Slurp(fs::path(OUTPOST_SOURCE_DIR) / "packaging/outpost.service");
  BOOST_TEST(Contains(unit, "\nRestartPreventExitStatus=3\n"));
}

BOOST_AUTO_TEST_CASE(status_and_transfers_need_no_passphrase) {
  TempDir d;
  const std::string data = InitOperatorSite(d);
  auto t = Run({"--data", data, "transfers"});
  BOOST_TEST(t.exit_code == 0, t.err);
  BOOST_TEST(Contains(t.out, "no transfers yet"), t.out);
  auto s = Run({"--data", data, "--json", "status"});
  BOOST_TEST(s.exit_code == 0, s.err);
}

BOOST_AUTO_TEST_CASE(a_data_directory_of_another_user_says_whose_and_what_to_do) {
  if (geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: needs root to run outpost as another user");
    return;
  }
  TempDir d;
  const std::string data = InitOperatorSite(d);  // root's, 0700
  auto r = RunAs(kNobody, {"--data", data, "status"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(Contains(r.err, "is owned by root (uid 0), mode 0700"), r.err);
  BOOST_TEST(Contains(r.err, "sudo -u root outpost --data " + data), r.err);
  BOOST_TEST(!Contains(r.err, "internal error"), r.err);
}

BOOST_AUTO_TEST_CASE(a_read_only_data_directory_says_so_and_what_to_do) {
  TempDir d;
  const std::string data = InitOperatorSite(d);
  uid_t user = geteuid();
  if (user == 0) {
    // Root may write anywhere: hand the store to another user, who may not.
    user = kNobody;
    for (const auto& e : fs::recursive_directory_iterator(data)) {
      BOOST_REQUIRE(chown(e.path().c_str(), user, user) == 0);
    }
    BOOST_REQUIRE(chown(data.c_str(), user, user) == 0);
  }
  fs::permissions(data, fs::perms(0500));
  auto r =
      user == geteuid() ? Run({"--data", data, "status"}) : RunAs(user, {"--data", data, "status"});
  fs::permissions(data, fs::perms(0700));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(Contains(r.err, "data directory " + data + " is read-only (mode 0500)"), r.err);
  BOOST_TEST(Contains(r.err, "chmod u+w"), r.err);
  BOOST_TEST(!Contains(r.err, "PRAGMA"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()
