// The command line behaves the same way everywhere (issue 17, item 6): help
// sections, exit code 2 for every invalid argument, stdout that a script can
// capture, and names the node does not know refused rather than answered
// with zeros.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

#include "tests/cli/run_outpost.h"

using namespace outpost::cli_testing;

namespace {

std::map<std::string, std::string> InitConsistencySite(TempDir& d) {
  std::map<std::string, std::string> env{{"OUTPOST_DATA", (d.path / "node").string()},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"},
                                         {"OUTPOST_OFFICER", "BA-GRA-0042"}};
  auto init = Run({"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  return env;
}

// Usage errors: exit 2, nothing on stdout, one line naming the option.
void CheckUsage(const RunResult& r, const std::string& mention) {
  BOOST_TEST(r.exit_code == 2, r.err);
  BOOST_TEST(r.out.empty(), r.out);
  BOOST_TEST(r.err.rfind("outpost: error: ", 0) == 0, r.err);
  BOOST_TEST(Contains(r.err, mention), r.err);
}

std::string Section(const std::string& help, const std::string& title) {
  size_t at = help.find("\n" + title + ":\n");
  if (at == std::string::npos) return "";
  size_t end = help.find("\n\n", at + 1);
  return help.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_consistency)

BOOST_AUTO_TEST_CASE(command_help_separates_its_options_from_the_global_ones) {
  auto r = Run({"record", "list", "--help"});
  BOOST_TEST(r.exit_code == 0);
  std::string own = Section(r.out, "Options"), global = Section(r.out, "Global options");
  BOOST_TEST(Contains(own, "--since"), r.out);
  BOOST_TEST(Contains(own, "--limit"), r.out);
  BOOST_TEST(!Contains(global, "--since"), r.out);
  for (const char* g : {"--data", "--json", "--passphrase-file", "--officer"}) {
    BOOST_TEST(Contains(global, g), "global options lack " << g << ":\n" << r.out);
  }
}

BOOST_AUTO_TEST_CASE(invalid_arguments_exit_2) {
  TempDir d;
  auto env = InitConsistencySite(d);
  CheckUsage(Run({"record", "list", "movement", "--since", "bad"}, env), "--since");
  CheckUsage(Run({"record", "list", "movement", "--limit", "0"}, env), "--limit");
  CheckUsage(Run({"audit", "list", "--limit", "0"}, env), "--limit");
  CheckUsage(Run({"risk", "report", "--since", "bad"}, env), "\"bad\" is not a UTC time");
  CheckUsage(Run({"risk", "decide", "0190f5e0-0000-7000-8000-000000000000", "--lane", "purple",
                  "--reason", "x"},
                 env),
             "\"purple\" is not one of red, yellow, green");
  // The documented peer-name rule: letters, digits, '.', '_', '-'.
  CheckUsage(Run({"peers", "add", "my hq", "10.0.0.5:7400"}, env), "\"my hq\" is not a peer name");
  BOOST_TEST(ParseJson(Run({"--json", "peers", "list"}, env).out).empty());
}

BOOST_AUTO_TEST_CASE(record_add_prints_only_the_id_and_list_prints_a_table) {
  TempDir d;
  auto env = InitConsistencySite(d);
  auto add = Run({"record", "add", "movement", "--doc",
                  R"({"direction":"in","mode":"road","time":"2026-11-28T10:15:00Z"})"},
                 env);
  BOOST_REQUIRE_MESSAGE(add.exit_code == 0, add.err);
  // ID=$(outpost record add ...) captures the id alone; the lane goes to stderr.
  BOOST_TEST(add.out.size() == 37u, add.out);
  BOOST_TEST(add.out.back() == '\n');
  std::string id = add.out.substr(0, 36);
  BOOST_TEST(Contains(add.err, "risk:"), add.err);

  auto list = Run({"record", "list", "movement"}, env);
  BOOST_TEST(list.exit_code == 0, list.err);
  BOOST_TEST(list.out.rfind("id ", 0) == 0, list.out);  // a header line, not JSON
  BOOST_TEST(Contains(list.out, "direction"), list.out);
  BOOST_TEST(Contains(list.out, id), list.out);
  BOOST_TEST(!Contains(list.out, "{"), list.out);
  auto json = ParseJson(Run({"--json", "record", "list", "movement"}, env).out);
  BOOST_TEST(json.size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_site_and_scope_are_refused) {
  TempDir d;
  auto env = InitConsistencySite(d);
  auto report = Run({"risk", "report", "--site", "BA-ZZZ"}, env);
  BOOST_TEST(report.exit_code == 1);
  BOOST_TEST(Contains(report.err, "no crossing BA-ZZZ is known here"), report.err);
  BOOST_TEST(Run({"risk", "report", "--site", "BA-GRA"}, env).exit_code == 0);

  auto digest = Run({"digest", "--scope", "site:NOPE"}, env);
  BOOST_TEST(digest.exit_code == 1);
  BOOST_TEST(Contains(digest.err, "\"site:NOPE\" is not a scope this node knows"), digest.err);
  BOOST_TEST(Run({"digest", "--scope", "site:BA-GRA"}, env).exit_code == 0);
  BOOST_TEST(Run({"digest", "--scope", "shared"}, env).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(hq_init_without_an_address_says_what_that_means) {
  TempDir d;
  std::map<std::string, std::string> env{{"OUTPOST_DATA", (d.path / "hq").string()},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  auto r = Run({"init", "--role", "hq", "--name", "HQ"}, env);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(Contains(r.err, "warning: no --hq-address"), r.err);
  BOOST_TEST(Contains(r.err, "outpost peers add hq HOST:PORT"), r.err);

  TempDir e;
  env["OUTPOST_DATA"] = (e.path / "hq").string();
  auto with = Run({"init", "--role", "hq", "--name", "HQ", "--hq-address", "10.0.0.5:7400"}, env);
  BOOST_TEST(with.exit_code == 0, with.err);
  BOOST_TEST(with.err.empty(), with.err);
}

// `outpost run` on a busy port fails without first claiming to serve; an HQ
// daemon with no listen address is refused (its crossings could not reach it).
BOOST_AUTO_TEST_CASE(run_refuses_a_busy_port_and_an_hq_that_does_not_serve) {
  TempDir d;
  std::string data = (d.path / "hq").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  auto init = Run(
      {"--data", data, "init", "--role", "hq", "--name", "HQ", "--hq-address", "127.0.0.1:7400"},
      env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);

  auto no_listen = Run({"--data", data, "run"}, env);
  BOOST_TEST(no_listen.exit_code == 1);
  BOOST_TEST(Contains(no_listen.err, "HQ must serve its crossings: pass --listen HOST:PORT"),
             no_listen.err);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  BOOST_REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof sa;
  BOOST_REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  std::string busy = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));

  TempDir io;
  pid_t pid = detail::Spawn({"--data", data, "run", "--listen", busy}, env, io.path / "out",
                            io.path / "err", std::nullopt);
  int wstatus = 0;
  bool ended = false;
  for (int i = 0; i < 400 && !ended; ++i) {  // 40 s: the key unlock is slow on a loaded machine
    ended = waitpid(pid, &wstatus, WNOHANG) == pid;
    if (!ended) usleep(100'000);
  }
  if (!ended) {
    kill(pid, SIGTERM);
    waitpid(pid, &wstatus, 0);
  }
  close(fd);
  std::string err = Slurp(io.path / "err");
  BOOST_TEST(ended, "run kept running on a busy port: " << err);
  BOOST_TEST((WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1), err);
  BOOST_TEST(!Contains(err, "running:"), err);
  BOOST_TEST(Contains(err, busy), err);
}

BOOST_AUTO_TEST_SUITE_END()
