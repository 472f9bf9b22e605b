// The Context in-process, with a fake environment: resolution order, the
// lazy passphrase and Emit.
#include "cli/context.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "cli/config.h"

namespace fs = std::filesystem;
using outpost::Code;
using outpost::Result;
using outpost::Status;
using outpost::cli::Context;
using outpost::cli::Environment;
using outpost::cli::Printable;

namespace {

struct Fake {
  std::map<std::string, std::string> vars;
  bool tty = false;
  int prompts = 0;
  std::string typed = "typed secret";
  std::vector<std::string> answers;  // if not empty: typed in turn, instead of `typed`
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
      if (!answers.empty()) {
        std::string a = answers.front();
        answers.erase(answers.begin());
        return a;
      }
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

// Issue 16, flaw 10: the passphrase is kept once (and wiped with the
// Context); callers get views of that copy, not copies of their own that
// nobody wipes. A short one (it fits a string's inline buffer) and a long one.
// The admission limits of issue 16 are settings; their defaults are the
// transport's, and a value out of range names the key.
BOOST_AUTO_TEST_CASE(config_reads_the_admission_limits) {
  auto d = outpost::cli::ParseConfig("", "t.toml");
  BOOST_REQUIRE(d.ok());
  BOOST_TEST(d->max_connections_per_address == 8);
  BOOST_TEST(d->max_handshaking == 32);
  auto c = outpost::cli::ParseConfig("max_connections_per_address = 64\nmax_handshaking = 48\n",
                                     "t.toml");
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  BOOST_TEST(c->max_connections_per_address == 64);
  BOOST_TEST(c->max_handshaking == 48);
  auto bad = outpost::cli::ParseConfig("max_handshaking = 0\n", "t.toml");
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.status().message().find("max_handshaking") != std::string::npos,
             bad.status().message());
}

BOOST_AUTO_TEST_CASE(passphrase_is_handed_out_as_views_of_one_copy) {
  for (std::string secret : {std::string("short"), std::string(64, 'p')}) {
    Fake f;
    f.vars["OUTPOST_PASSPHRASE"] = secret;
    Context c(f.Env());
    auto p1 = c.Passphrase();
    auto p2 = c.Passphrase();
    BOOST_REQUIRE(p1.ok());
    BOOST_REQUIRE(p2.ok());
    BOOST_TEST(*p1 == secret);
    BOOST_TEST(static_cast<const void*>(p1->data()) == static_cast<const void*>(p2->data()));
  }
}

// Issue 16, flaw 8: what a peer wrote never reaches a terminal as control
// bytes: escape sequences, C1 controls, bidi overrides, invalid UTF-8.
BOOST_AUTO_TEST_CASE(printable_escapes_control_bytes_and_keeps_text) {
  BOOST_TEST(Printable("site:BA-GRA Gradiška Vermicë") == "site:BA-GRA Gradiška Vermicë");
  BOOST_TEST(Printable("\x1b]0;owned\x07\x1b[2J") == "\\x1b]0;owned\\x07\\x1b[2J");
  BOOST_TEST(Printable("a\r\nb") == "a\\x0d\\x0ab");
  BOOST_TEST(Printable("a\nb\tc", true) == "a\nb\tc");
  BOOST_TEST(Printable("\xc2\x9b"
                       "31m") == "\\u{009b}31m");  // C1 CSI
  BOOST_TEST(Printable("x\xe2\x80\xae"
                       "y") == "x\\u{202e}y");         // right-to-left override
  BOOST_TEST(Printable("\xff\xc0\xaf\xed\xa0\x80") ==  // invalid, overlong, surrogate
             "\\xff\\xc0\\xaf\\xed\\xa0\\x80");
  BOOST_TEST(Printable("\x7f") == "\\x7f");
}

// Emit escapes the human text, and --json output survives invalid UTF-8.
BOOST_AUTO_TEST_CASE(emit_never_prints_a_peers_control_bytes) {
  const std::string peer = "peer reported: \x1b[2J\x1b]0;owned\x07\xff";
  {
    Fake f;
    Context c(f.Env());
    c.Emit({{"error", peer}}, "FAILED  " + peer + "\nnext line");
    const std::string out = f.out.str();
    BOOST_TEST(out.find('\x1b') == std::string::npos, out);
    BOOST_TEST(out.find('\x07') == std::string::npos, out);
    BOOST_TEST(out.find("\\x1b[2J") != std::string::npos, out);
    BOOST_TEST(out.find("\nnext line") != std::string::npos, out);
  }
  {
    Fake f;
    Context c(f.Env());
    c.json = true;
    c.Emit({{"error", peer}}, "");
    const std::string out = f.out.str();
    BOOST_TEST(out.find('\x1b') == std::string::npos, out);
    auto j = nlohmann::json::parse(out, nullptr, false);
    BOOST_REQUIRE(!j.is_discarded());
    // The text itself is kept (JSON escaped it on the wire); the invalid byte
    // became U+FFFD rather than an exception.
    BOOST_TEST(j["error"].get<std::string>().find('\x1b') != std::string::npos);
    BOOST_TEST(j["error"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
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

BOOST_AUTO_TEST_CASE(a_new_passphrase_is_asked_twice_on_a_terminal) {
  Fake f;
  f.tty = true;
  f.answers = {"Kestrel-harbour 42 lantern", "Kestrel-harbour 42 lantern"};
  Context c(f.Env());
  auto p = c.NewPassphrase();
  BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  BOOST_TEST(*p == "Kestrel-harbour 42 lantern");
  BOOST_TEST(f.prompts == 2);

  Fake g;
  g.tty = true;
  g.answers = {"Kestrel-harbour 42 lantern", "Kestrel-harbour 42 lanterm"};
  Context d(g.Env());
  auto q = d.NewPassphrase();
  BOOST_TEST(q.status().code() == Code::kInvalidArgument);
  BOOST_TEST(q.status().message().find("differ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_weak_new_passphrase_is_refused_before_the_second_prompt) {
  Fake f;
  f.tty = true;
  f.answers = {"a", "a"};
  Context c(f.Env());
  auto p = c.NewPassphrase();
  BOOST_TEST(p.status().code() == Code::kInvalidArgument);
  BOOST_TEST(p.status().message().find("too weak") != std::string::npos, p.status().message());
  BOOST_TEST(f.prompts == 1);
}

BOOST_AUTO_TEST_CASE(passphrase_strength_estimate) {
  using outpost::cli::EstimatePassphraseBits;
  BOOST_TEST(EstimatePassphraseBits("") == 0);
  BOOST_TEST(EstimatePassphraseBits("aaaaaaaaaaaaaaaaaaaaaaaa") < 10);
  BOOST_TEST(EstimatePassphraseBits("abababababababababababab") < 20);
  BOOST_TEST(EstimatePassphraseBits("abcdefghijklmnopqrstuvwx") < 40);
  BOOST_TEST(EstimatePassphraseBits("correct horse battery staple") > 80);
  BOOST_TEST(outpost::cli::CheckPassphraseStrength("correct horse battery staple").ok());
  BOOST_TEST(!outpost::cli::CheckPassphraseStrength("Tr0ub4dor&3").ok());  // 11 characters
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
