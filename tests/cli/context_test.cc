// The Context in-process, with a fake environment: resolution order, the
// lazy passphrase and Emit.
#include "cli/context.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using outpost::Code;
using outpost::Result;
using outpost::Status;
using outpost::cli::Context;
using outpost::cli::Environment;

namespace {

struct Fake {
  std::map<std::string, std::string> vars;
  bool tty = false;
  int prompts = 0;
  std::string typed = "typed secret";
  unsigned mode = 0600;
  std::ostringstream out, err;

  Environment Env() {
    Environment e;
    e.getenv = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      // Keep an installed /etc/outpost/outpost.toml out of the tests.
      if (it == vars.end() && n == "OUTPOST_CONFIG") return std::string("/dev/null");
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    e.stdin_is_tty = [this] { return tty; };
    e.read_secret = [this](const std::string&) -> Result<std::string> {
      ++prompts;
      return typed;
    };
    e.file_mode = [this](const std::string&) -> std::optional<unsigned> { return mode; };
    e.out = &out;
    e.err = &err;
    return e;
  }
};

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& content) {
    std::string tmpl = (fs::temp_directory_path() / "outpost-ctx-test-XXXXXX").string();
    int fd = mkstemp(tmpl.data());
    BOOST_REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path, std::ios::binary) << content;
  }
  ~TempFile() { fs::remove(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(context)

BOOST_AUTO_TEST_CASE(data_dir_order_is_flag_env_default) {
  Fake f;
  f.vars["OUTPOST_DATA"] = "/srv/env";
  {
    Context c(f.Env());
    c.data_flag = "/srv/flag";
    BOOST_REQUIRE(c.Resolve().ok());
    BOOST_TEST(c.data_dir == "/srv/flag");
    BOOST_TEST(c.data_dir_source == "flag");
  }
  {
    Context c(f.Env());
    BOOST_REQUIRE(c.Resolve().ok());
    BOOST_TEST(c.data_dir == "/srv/env");
    BOOST_TEST(c.data_dir_source == "env");
  }
  f.vars["OUTPOST_DATA"] = "";  // empty counts as unset
  {
    Context c(f.Env());
    BOOST_REQUIRE(c.Resolve().ok());
    BOOST_TEST(c.data_dir == (fs::current_path() / "outpost-data").string());
    BOOST_TEST(c.data_dir_source == "default");
  }
}

BOOST_AUTO_TEST_CASE(officer_order_and_requirement) {
  Fake f;
  {
    Context c(f.Env());
    BOOST_REQUIRE(c.Resolve().ok());
    auto o = c.Officer();
    BOOST_REQUIRE(!o.ok());
    BOOST_TEST(o.status().code() == Code::kInvalidArgument);
    BOOST_TEST(o.status().message() == "no officer: pass --officer ID or set OUTPOST_OFFICER");
  }
  f.vars["OUTPOST_OFFICER"] = "BA-0042";
  {
    Context c(f.Env());
    BOOST_REQUIRE(c.Resolve().ok());
    BOOST_TEST(*c.Officer() == "BA-0042");
    Context d(f.Env());
    d.officer_flag = "XK.17";
    BOOST_REQUIRE(d.Resolve().ok());
    BOOST_TEST(*d.Officer() == "XK.17");
  }
  f.vars["OUTPOST_OFFICER"] = std::string(65, 'a');
  {
    Context c(f.Env());
    Status s = c.Resolve();
    BOOST_TEST(s.code() == Code::kInvalidArgument);
    BOOST_TEST(s.message().rfind("OUTPOST_OFFICER: officer ID", 0) == 0, s.message());
  }
}

BOOST_AUTO_TEST_CASE(passphrase_file_wins_and_loses_one_trailing_newline) {
  Fake f;
  f.vars["OUTPOST_PASSPHRASE"] = "from env";
  f.tty = true;
  TempFile file("  spaced secret \r\n");
  Context c(f.Env());
  c.passphrase_file = file.path.string();
  auto p = c.Passphrase();
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(*p == "  spaced secret ");
  BOOST_TEST(c.passphrase_source() == "file");
  BOOST_TEST(f.prompts == 0);
  BOOST_TEST(f.err.str().empty());
}

BOOST_AUTO_TEST_CASE(passphrase_file_readable_by_others_warns) {
  Fake f;
  f.mode = 0644;
  TempFile file("secret");
  Context c(f.Env());
  c.passphrase_file = file.path.string();
  BOOST_REQUIRE(c.Passphrase().ok());
  BOOST_TEST(f.err.str().find("outpost: warning: passphrase file") == 0);
}

BOOST_AUTO_TEST_CASE(empty_passphrase_file_is_refused) {
  Fake f;
  TempFile file("\n");
  Context c(f.Env());
  c.passphrase_file = file.path.string();
  auto p = c.Passphrase();
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST(p.status().code() == Code::kInvalidArgument);
  BOOST_TEST(p.status().message().find("is empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_passphrase_file_is_not_found) {
  Fake f;
  Context c(f.Env());
  c.passphrase_file = "/nonexistent/outpost/pass";
  auto p = c.Passphrase();
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST(p.status().code() == Code::kNotFound);
  BOOST_TEST(p.status().message().find("/nonexistent/outpost/pass") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(passphrase_from_env_before_prompt) {
  Fake f;
  f.vars["OUTPOST_PASSPHRASE"] = "from env";
  f.tty = true;
  Context c(f.Env());
  BOOST_TEST(*c.Passphrase() == "from env");
  BOOST_TEST(c.passphrase_source() == "env");
  BOOST_TEST(f.prompts == 0);
}

BOOST_AUTO_TEST_CASE(passphrase_prompts_once_on_a_terminal) {
  Fake f;
  f.tty = true;
  Context c(f.Env());
  BOOST_TEST(*c.Passphrase() == "typed secret");
  BOOST_TEST(*c.Passphrase() == "typed secret");
  BOOST_TEST(f.prompts == 1);
  BOOST_TEST(c.passphrase_source() == "prompt");
}

BOOST_AUTO_TEST_CASE(no_passphrase_source_is_a_clear_error) {
  Fake f;
  f.vars["OUTPOST_PASSPHRASE"] = "";
  Context c(f.Env());
  auto p = c.Passphrase();
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST(p.status().code() == Code::kInvalidArgument);
  BOOST_TEST(p.status().message() ==
             "no passphrase: pass --passphrase-file FILE or set OUTPOST_PASSPHRASE");
  BOOST_TEST(f.prompts == 0);
}

BOOST_AUTO_TEST_CASE(emit_prints_json_or_human) {
  Fake f;
  Context c(f.Env());
  c.Emit({{"a", 1}}, "human line");
  c.json = true;
  c.Emit({{"a", 1}}, "human line");
  BOOST_TEST(f.out.str() == "human line\n{\"a\":1}\n");
}

BOOST_AUTO_TEST_SUITE_END()
