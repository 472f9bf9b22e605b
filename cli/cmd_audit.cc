// Audit commands (EU LED Art. 25 log):
//   outpost audit list [--limit N] [--mine]
//   outpost audit verify      exit 1 naming the first broken entry
#include "cli/commands.h"
#include "cli/node_access.h"
#include "node/audit.h"

namespace outpost::cli {
namespace {

struct AuditArgs {
  int64_t limit = 50;
  bool mine = false;
};

Status RunList(Context& ctx, const AuditArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::AuditLog log(*store);
  OUTPOST_ASSIGN_OR_RETURN(auto entries, log.List(a.limit, a.mine));
  std::string human;
  for (const auto& e : entries) {
    human += e["time"].get<std::string>() + "  #" + std::to_string(e["seq"].get<int64_t>()) + "  " +
             e["officer"].get<std::string>() + "  " + e["action"].get<std::string>() + "  " +
             e["record_type"].get<std::string>() + " " + e["record_id"].get<std::string>() + "  " +
             e["detail"].dump() + "\n";
  }
  if (entries.empty()) human = "(no audit entries)";
  ctx.Emit(entries, human);
  return Status::Ok();
}

Status RunVerify(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::AuditLog log(*store);
  OUTPOST_ASSIGN_OR_RETURN(auto rep, log.Verify());
  nlohmann::json j{{"ok", rep.ok}, {"entries", rep.entries}, {"nodes", rep.nodes}};
  if (!rep.ok) {
    j["first_broken"] = rep.first_broken;
    j["broken"] = rep.broken;
    j["breaks"] = rep.breaks;
    std::string human;
    for (const auto& b : rep.broken) human += "broken: " + b + "\n";
    if (rep.breaks > static_cast<int64_t>(rep.broken.size())) {
      human += "... and " + std::to_string(rep.breaks - static_cast<int64_t>(rep.broken.size())) +
               " more\n";
    }
    ctx.Emit(j, human);
    return Status::Corruption("audit log broken in " + std::to_string(rep.breaks) +
                              " place(s), first at " + rep.first_broken);
  }
  ctx.Emit(j, "audit log intact: " + std::to_string(rep.entries) + " entries from " +
                  std::to_string(rep.nodes) + " node(s)");
  return Status::Ok();
}

}  // namespace

void AddAuditCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<AuditArgs>();
  auto* audit = app.add_subcommand("audit", "The tamper-evident log of personal-data processing");
  audit->require_subcommand(1);
  auto* list = audit->add_subcommand("list", "Show audit entries, newest first");
  list->add_option("--limit", args->limit, "At most N entries (default 50)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  list->add_flag("--mine", args->mine, "Only this node's entries");
  OnRun(list, ctx, [&ctx, args] { return RunList(ctx, *args); });
  auto* verify = audit->add_subcommand("verify", "Check every node's hash chain");
  OnRun(verify, ctx, [&ctx] { return RunVerify(ctx); });
}

}  // namespace outpost::cli
