// Command groups of the `outpost` tool.
//
// Each group lives in its own cli/cmd_<group>.cc and exposes one registration
// function that adds its subcommands to the top-level app. A registration
// function only declares options and attaches handlers with OnRun(); it does
// no work. The handler runs after parsing succeeded and the Context is
// resolved, and returns a Status (OK -> exit 0, else exit 1).
//
// To add a group:
//   1. write cli/cmd_<group>.cc defining Add<Group>Commands below;
//   2. add the file to OUTPOST_CLI_COMMANDS in cli/CMakeLists.txt;
//   3. add its line to the COMMAND GROUPS list in cli/main.cc;
//   4. test it through the binary in tests/cli/ (see cli_test.cc's Run()).
#ifndef OUTPOST_CLI_COMMANDS_H_
#define OUTPOST_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "node/record_movement.h"

namespace outpost::cli {

// Makes `cmd` run `handler` when it is the command chosen on the command line.
// For nested groups (`outpost keys rotate`), attach handlers to the leaves and
// call cmd->require_subcommand(1) on the group.
void OnRun(CLI::App* cmd, Context& ctx, Handler handler);

// Checks for option values, so that a malformed value is a usage error
// (exit 2) caught while parsing, like an unknown option:
//   UtcTimeCheck   an RFC 3339 UTC time, e.g. 2026-11-28T00:00:00Z
//   SiteCodeCheck  a crossing's site code, e.g. BA-GRA
CLI::Validator UtcTimeCheck();
CLI::Validator SiteCodeCheck();

// cmd_info.cc: `paths` (where the data lives), `check-passphrase` (hidden).
void AddInfoCommands(CLI::App& app, Context& ctx);

// The other groups, each defined in its cli/cmd_<group>.cc.
void AddStatusCommands(CLI::App& app, Context& ctx);  // init, status
void AddRecordCommands(CLI::App& app, Context& ctx);  // record movements, inspections, ...
void AddKeysCommands(CLI::App& app, Context& ctx);    // init, keys enroll/install/rotate/revoke
void AddRiskCommands(CLI::App& app, Context& ctx);    // rules, lanes, feedback
// cmd_risk.cc: the lines an officer reads on stderr after `record add
// movement`: the recommended lane and why, or why there is none.
std::string RiskOutcomeHuman(const node::RiskOutcome& outcome, const std::string& movement_id);
void AddSyncCommands(CLI::App& app, Context& ctx);   // sync with HQ, bundles (USB)
void AddAuditCommands(CLI::App& app, Context& ctx);  // the access log
void AddWebCommands(CLI::App& app, Context& ctx);    // web, users

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_COMMANDS_H_
