// outpost: the command-line tool. Wires the libraries together; the commands
// themselves live in cmd_<group>.cc (see commands.h).
//
// Exit codes: 0 success; 1 the command failed; 2 usage error (unknown
// command or option, missing or invalid argument); 3 the key file does not
// open with the passphrase given. Errors are one line on
// stderr: "outpost: error: <message>".
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/context.h"

#ifndef OUTPOST_VERSION
#error "OUTPOST_VERSION must be defined by the build (project version)"
#endif

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// The node's key file did not open with the passphrase given: a restart
// cannot help (packaging/outpost.service: RestartPreventExitStatus=3).
constexpr int kExitWrongPassphrase = 3;

constexpr const char* kFooter = R"(
Environment:
  OUTPOST_DATA        data directory when --data is not given
  OUTPOST_PASSPHRASE  passphrase when --passphrase-file is not given
  OUTPOST_OFFICER     officer ID when --officer is not given
  OUTPOST_CONFIG      config file naming data_dir (else /etc/outpost/outpost.toml)

Exit codes:
  0  success
  1  the command failed (the reason is printed on stderr)
  2  usage error: unknown command or option, missing or invalid argument
  3  the node's key file does not open with the passphrase given

Run 'outpost COMMAND --help' for a command's options.)";

// One line, lower-case first letter, like the rest of Outpost's messages.
std::string OneLine(std::string m) {
  for (char& c : m) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!m.empty() && m.back() == ' ') m.pop_back();
  if (!m.empty() && m[0] >= 'A' && m[0] <= 'Z' && (m.size() < 2 || !(m[1] >= 'A' && m[1] <= 'Z')))
    m[0] = static_cast<char>(m[0] - 'A' + 'a');
  return m;
}

// The global options as a --help section, for every command's help (CLI11
// shows only a command's own options there).
std::string GlobalOptionsFooter(const CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group() != "Global options") continue;
    std::string name = o->get_name(false, true);
    if (!o->get_type_name().empty() && o->get_type_size() != 0) name += " " + o->get_type_name();
    rows.emplace_back(name, o->get_description());
    width = std::max(width, name.size());
  }
  std::string s = "Global options:\n";
  for (const auto& [name, desc] : rows) {
    s += "  " + name + std::string(width - name.size() + 2, ' ') + desc + "\n";
  }
  return s + "\nRun 'outpost --help' for the environment variables and exit codes.";
}

void SetGlobalOptionsFooter(CLI::App* app, const std::string& footer) {
  for (CLI::App* cmd : app->get_subcommands([](CLI::App*) { return true; })) {
    cmd->footer(footer);
    SetGlobalOptionsFooter(cmd, footer);
  }
}

int Fail(int code, const std::string& message) {
  std::cerr << "outpost: error: " << outpost::cli::Printable(OneLine(message)) << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace outpost::cli;
  Context ctx(Environment::Process());

  CLI::App app{"Outpost: the offline-first record store of a border crossing.", "outpost"};
  app.footer(kFooter);
  app.set_version_flag("--version", "outpost " OUTPOST_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.get_formatter()->label("Subcommands", "Commands");
  app.get_formatter()->label("SUBCOMMAND", "COMMAND");
  // Global options are accepted after the command name too: `outpost paths --json`.
  app.fallthrough();
  app.option_defaults()->group("Global options");

  auto not_empty = [](const std::string& v) -> std::string {
    return v.empty() ? std::string("must not be empty") : std::string();
  };
  app.add_option(
         "--data", ctx.data_flag,
         "Data directory (else $OUTPOST_DATA, else the config's data_dir, else ./outpost-data)")
      ->type_name("DIR")
      ->check(not_empty);
  app.add_flag("--json", ctx.json, "Print results on stdout as JSON");
  app.add_option("--passphrase-file", ctx.passphrase_file,
                 "File holding the key passphrase (else $OUTPOST_PASSPHRASE, else a prompt)")
      ->type_name("FILE")
      ->check(not_empty);
  app.add_option("--officer", ctx.officer_flag,
                 "Officer ID recorded on changes (else $OUTPOST_OFFICER)")
      ->type_name("ID")
      ->check([](const std::string& v) {
        auto s = outpost::cli::ValidateOfficerId(v);
        return s.ok() ? std::string() : s.message();
      });

  // A command's own options are its "Options"; the global ones are listed
  // at the end of every command's --help (GlobalOptionsFooter below).
  app.option_defaults()->group("Options");

  // ---- COMMAND GROUPS -----------------------------------------------------
  // One line per group; its cmd_<group>.cc goes in OUTPOST_CLI_COMMANDS in
  // cli/CMakeLists.txt (cli/commands.h says how to add one).
  AddInfoCommands(app, ctx);
  AddStatusCommands(app, ctx);
  AddRecordCommands(app, ctx);
  AddKeysCommands(app, ctx);
  AddRiskCommands(app, ctx);
  AddSyncCommands(app, ctx);
  AddWebCommands(app, ctx);
  AddAuditCommands(app, ctx);
  // ---- end of COMMAND GROUPS ----------------------------------------------

  // List top-level commands under "Commands:" (hidden ones keep their empty group).
  for (CLI::App* cmd : app.get_subcommands([](CLI::App*) { return true; })) {
    if (cmd->get_group() == "Subcommands") cmd->group("Commands");
  }
  SetGlobalOptionsFooter(&app, GlobalOptionsFooter(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    // The top level has no required option, so a RequiredError there is the missing command.
    if (app.get_subcommands().empty() && e.get_name() == "RequiredError") {
      message = "no command given";
    }
    // A word that is neither a command nor an option's value is an unknown command.
    if (app.get_subcommands().empty() && !app.remaining().empty() &&
        app.remaining().front().rfind('-', 0) != 0) {
      message = "unknown command \"" + app.remaining().front() + "\"";
    }
    return Fail(kExitUsage, message + " (see 'outpost --help')");
  }

  if (outpost::Status s = ctx.Resolve(); !s.ok()) return Fail(kExitFailure, s.message());
  if (!ctx.handler) return Fail(kExitUsage, "no command given (see 'outpost --help')");

  try {
    outpost::Status s = ctx.handler();
    std::cout.flush();
    if (!s.ok())
      return Fail(ctx.wrong_passphrase ? kExitWrongPassphrase : kExitFailure, s.message());
  } catch (const std::exception& e) {
    // A handler should return a Status; reaching here is a bug, but the officer
    // still gets one clear line rather than an abort.
    return Fail(kExitFailure, std::string("internal error: ") + e.what());
  }
  if (!std::cout) return Fail(kExitFailure, "cannot write to stdout");
  return kExitOk;
}
