// Helpers for the tests that run the real `outpost` binary
// (tests/cli/*_test.cc): a temporary directory, Run() for one command with
// its exit code, stdout and stderr, Json() for a command that must succeed
// with JSON on stdout, and Server for `outpost serve` in the background.
//
// Every child gets stdin from /dev/null (never a terminal) and the test's
// environment minus every OUTPOST_* variable plus what the test passes, so
// nothing set in the developer's shell reaches a test; OUTPOST_CONFIG is
// /dev/null unless the test sets it, so neither does /etc/outpost/outpost.toml. OUTPOST_BIN, the
// path of the built binary, is defined by tests/cli/CMakeLists.txt. Failures to spawn, to wait or
// to parse end the test case (BOOST_REQUIRE).
#ifndef OUTPOST_TESTS_CLI_RUN_OUTPOST_H_
#define OUTPOST_TESTS_CLI_RUN_OUTPOST_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"

extern char** environ;

namespace outpost::cli_testing {

// What a finished `outpost` run left: its exit code and everything it wrote.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory, removed with everything in it when this goes
// (tests/support/temp_dir.h).
using outpost::testing::TempDir;

namespace detail {

// Starts `OUTPOST_BIN args...` with stdin from /dev/null, stdout and stderr
// into the files `out` and `err`, the environment minus OUTPOST_* plus
// `env`, in `cwd` if given. Returns its pid; the caller waits for it.
inline pid_t Spawn(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::filesystem::path& out,
                   const std::filesystem::path& err,
                   const std::optional<std::filesystem::path>& cwd) {
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("OUTPOST_", 0) != 0) envs.emplace_back(*e);
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  // An installed /etc/outpost/outpost.toml must not choose a test's data
  // directory: an empty config unless the test names one.
  if (!env.count("OUTPOST_CONFIG")) envs.push_back("OUTPOST_CONFIG=/dev/null");
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_s = {OUTPOST_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd->c_str());
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  BOOST_REQUIRE_MESSAGE(rc == 0, "posix_spawn " << argv[0] << " failed: " << rc);
  return pid;
}

}  // namespace detail

// Runs `outpost args...` to the end with stdin from /dev/null, the test's
// environment minus every OUTPOST_* variable plus `env`, in `cwd` (default:
// the test's working directory).
inline RunResult Run(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {},
                     const std::optional<std::filesystem::path>& cwd = std::nullopt) {
  TempDir io;
  std::filesystem::path out = io.path / "stdout", err = io.path / "stderr";
  pid_t pid = detail::Spawn(args, env, out, err, cwd);
  int wstatus = 0;
  BOOST_REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  RunResult r;
  BOOST_REQUIRE_MESSAGE(WIFEXITED(wstatus), "outpost did not exit normally");
  r.exit_code = WEXITSTATUS(wstatus);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

// `s` parsed as JSON; anything else ends the test case.
inline nlohmann::json ParseJson(const std::string& s) {
  nlohmann::json j = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
  BOOST_REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << s);
  return j;
}

// The JSON a successful run printed; a non-zero exit ends the test case with
// the run's stderr.
inline nlohmann::json Json(const RunResult& r) {
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return ParseJson(r.out);
}

inline bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// `outpost --data DATA --json serve --listen 127.0.0.1:0` in the background,
// with the environment as for Run(): its pid and the address it listens on
// (read from its --json output, waiting up to 15 s). Stopped with SIGTERM
// and waited for when this goes.
struct Server {
  TempDir io;
  pid_t pid = -1;
  std::string address;
  Server(const std::string& data, const std::map<std::string, std::string>& env) {
    std::filesystem::path out = io.path / "stdout", err = io.path / "stderr";
    pid = detail::Spawn({"--data", data, "--json", "serve", "--listen", "127.0.0.1:0"}, env, out,
                        err, std::nullopt);
    for (int i = 0; i < 300 && address.empty(); ++i) {
      auto j = nlohmann::json::parse(Slurp(out), nullptr, false);
      if (!j.is_discarded() && j.contains("listening")) address = j["listening"];
      if (address.empty()) usleep(50'000);
    }
    BOOST_REQUIRE_MESSAGE(!address.empty(), "serve did not start: " << Slurp(err));
  }
  ~Server() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int st = 0;
      waitpid(pid, &st, 0);
    }
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
};

}  // namespace outpost::cli_testing

#endif  // OUTPOST_TESTS_CLI_RUN_OUTPOST_H_
