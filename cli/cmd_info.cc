// Info commands: they read nothing but the Context, so they work before a
// node is initialised and help an operator check their setup.
//   outpost paths             where the data directory is and whether it exists
//   outpost check-passphrase  (hidden) resolves the passphrase as a key-opening
//                             command would, and says from where; never prints it
#include <filesystem>
#include <string>

#include "cli/commands.h"

namespace outpost::cli {
namespace {

Status RunPaths(Context& ctx) {
  std::error_code ec;
  auto st = std::filesystem::status(ctx.data_dir, ec);
  bool exists = std::filesystem::exists(st);
  bool is_dir = std::filesystem::is_directory(st);

  nlohmann::json j = {{"data_dir", ctx.data_dir},
                      {"source", ctx.data_dir_source},
                      {"exists", exists},
                      {"is_directory", is_dir}};
  std::string from = ctx.data_dir_source == "flag"     ? "from --data"
                     : ctx.data_dir_source == "env"    ? "from OUTPOST_DATA"
                     : ctx.data_dir_source == "config" ? "from the config file's data_dir"
                                                       : "default; set --data or OUTPOST_DATA";
  std::string state = !exists  ? "does not exist yet"
                      : is_dir ? "exists"
                               : "exists but is not a directory";
  ctx.Emit(j, "data directory: " + ctx.data_dir + " (" + from + ")\n" + "status: " + state);
  return Status::Ok();
}

Status RunCheckPassphrase(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(std::string_view passphrase, ctx.Passphrase());
  (void)passphrase;  // resolving is the check; the value is never shown
  ctx.Emit({{"passphrase", "ok"}, {"source", ctx.passphrase_source()}},
           "passphrase: ok (from " + ctx.passphrase_source() + ")");
  return Status::Ok();
}

}  // namespace

void AddInfoCommands(CLI::App& app, Context& ctx) {
  auto* paths = app.add_subcommand("paths", "Show the data directory and whether it exists");
  OnRun(paths, ctx, [&ctx] { return RunPaths(ctx); });

  auto* check = app.add_subcommand("check-passphrase",
                                   "Resolve the passphrase as key commands do; report its source");
  check->group("");  // hidden: a setup and test aid, not part of the daily commands
  OnRun(check, ctx, [&ctx] { return RunCheckPassphrase(ctx); });
}

}  // namespace outpost::cli
