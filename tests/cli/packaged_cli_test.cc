// An installed node (issue 17, item 8): the data directory comes from the
// system config file, so that `outpost status` on a packaged node needs no
// --data. $OUTPOST_CONFIG stands in for /etc/outpost/outpost.toml here.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "tests/cli/run_outpost.h"

using namespace outpost::cli_testing;

BOOST_AUTO_TEST_SUITE(cli_packaged)

BOOST_AUTO_TEST_CASE(data_directory_comes_from_the_config_file) {
  TempDir d;
  std::string data = (d.path / "var-lib-outpost").string();
  auto config = d.WriteFile("outpost.toml", "log_level = \"info\"\ndata_dir = \"" + data + "\"\n");
  std::map<std::string, std::string> env{{"OUTPOST_CONFIG", config.string()},
                                         {"OUTPOST_PASSPHRASE", "correct horse battery staple"}};
  auto paths = ParseJson(Run({"--json", "paths"}, env).out);
  BOOST_TEST(paths["data_dir"] == data);
  BOOST_TEST(paths["source"] == "config");
  BOOST_TEST(Contains(Run({"paths"}, env).out, "from the config file's data_dir"));

  // Commands use it: init there, then status without --data.
  auto init = Run({"init", "--role", "site", "--name", "Gradiska", "--site", "BA-GRA"}, env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  auto status = Json(Run({"--json", "status"}, env));
  BOOST_TEST(status["node"]["data"] == data);

  // --data and $OUTPOST_DATA still come first.
  auto env_data = env;
  env_data["OUTPOST_DATA"] = (d.path / "other").string();
  BOOST_TEST(ParseJson(Run({"--json", "paths"}, env_data).out)["source"] == "env");
  BOOST_TEST(ParseJson(Run({"--json", "paths", "--data", "/x"}, env).out)["source"] == "flag");
}

BOOST_AUTO_TEST_CASE(a_bad_or_missing_config_file_is_named) {
  TempDir d;
  auto missing = Run({"paths"}, {{"OUTPOST_CONFIG", (d.path / "none.toml").string()}});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(Contains(missing.err, "none.toml"), missing.err);

  auto relative = d.WriteFile("rel.toml", "data_dir = \"var/lib\"\n");
  auto r = Run({"paths"}, {{"OUTPOST_CONFIG", relative.string()}});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(Contains(r.err, "rel.toml:1: data_dir: \"var/lib\" must be an absolute path"), r.err);
}

// Under systemd ($JOURNAL_STREAM set) the daemon's log lines carry an
// sd-daemon priority and no timestamp of ours (the journal adds its own).
BOOST_AUTO_TEST_CASE(under_systemd_log_lines_carry_a_priority_and_no_timestamp) {
  TempDir d;
  std::string data = (d.path / "hq").string();
  std::map<std::string, std::string> env{{"OUTPOST_PASSPHRASE", "correct horse battery staple"},
                                         {"JOURNAL_STREAM", "8:123456"}};
  auto init = Run(
      {"--data", data, "init", "--role", "hq", "--name", "HQ", "--hq-address", "127.0.0.1:7400"},
      env);
  BOOST_REQUIRE_MESSAGE(init.exit_code == 0, init.err);
  Server server(data, env);
  // Something that is not an Outpost peer connects: the server logs the failure.
  int port = std::stoi(server.address.substr(server.address.rfind(':') + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  BOOST_REQUIRE(write(fd, junk, sizeof junk - 1) > 0);
  close(fd);
  std::string log;
  for (int i = 0; i < 100 && log.empty(); ++i) {
    usleep(50'000);
    log = Slurp(server.io.path / "stderr");
  }
  BOOST_REQUIRE_MESSAGE(!log.empty(), "serve logged nothing");
  std::istringstream lines(log);
  std::string line;
  const std::regex shape("^<[0-7]>outpost: .*");
  const std::regex stamp("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}");
  while (std::getline(lines, line)) {
    BOOST_TEST(std::regex_match(line, shape), line);
    BOOST_TEST(!std::regex_search(line, stamp), line);
  }
}

BOOST_AUTO_TEST_SUITE_END()
