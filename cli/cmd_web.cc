// The node's pages and their accounts (docs/api.md, docs/ui.md):
//   outpost web [--listen HOST:PORT] [--plain]   serve the pages and API alone
//   outpost users add NAME --role ROLE [--break-glass] [--language en|bs]
//   outpost users passwd NAME | users disable NAME | users enable NAME
//   outpost users language NAME en|bs
//   outpost tokens issue NAME --role ROLE | tokens revoke NAME | tokens list
//   outpost users list
// A new password comes from --password-file FILE, else $OUTPOST_NEW_PASSWORD,
// else a prompt (asked twice) when stdin is a terminal.
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/node_access.h"
#include "cli/stop_signal.h"
#include "cli/web_desk.h"
#include "web/accounts.h"
#include "web/tls.h"
#include "web/tokens.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

struct UserArgs {
  std::string name;
  std::string role;
  std::string password_file;
  std::string language = "en";
  bool break_glass = false;
};

Result<std::string> NewPassword(Context& ctx, const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::NotFound("--password-file: \"" + file + "\" cannot be read");
    std::string p((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
    return p;
  }
  if (auto env = ctx.env().getenv("OUTPOST_NEW_PASSWORD"); env && !env->empty()) return *env;
  if (!ctx.env().stdin_is_tty()) {
    return Status::InvalidArgument(
        "no password: pass --password-file FILE or set OUTPOST_NEW_PASSWORD");
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string a, ctx.env().read_secret("New password: "));
  OUTPOST_ASSIGN_OR_RETURN(std::string b, ctx.env().read_secret("Again: "));
  if (a != b) return Status::InvalidArgument("password: the two entries differ");
  return a;
}

Status RunUsersAdd(Context& ctx, const UserArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(web::Role role, web::ParseRole(a.role));
  OUTPOST_RETURN_IF_ERROR(web::ValidateAccountName(a.name));
  OUTPOST_RETURN_IF_ERROR(web::ValidateLanguage(a.language));
  OUTPOST_ASSIGN_OR_RETURN(std::string password, NewPassword(ctx, a.password_file));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(store->db()));
  OUTPOST_RETURN_IF_ERROR(
      accounts.Add(a.name, role, password, ProcessClock().NowMicros(), a.break_glass, a.language));
  ctx.Emit(
      {{"name", a.name},
       {"role", a.role},
       {"break_glass", a.break_glass},
       {"language", a.language}},
      "added account " + a.name + " (" + a.role + (a.break_glass ? ", break-glass" : "") + ")");
  return Status::Ok();
}

Status RunUsersLanguage(Context& ctx, const UserArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(store->db()));
  OUTPOST_RETURN_IF_ERROR(accounts.SetLanguage(a.name, a.language, ProcessClock().NowMicros()));
  ctx.Emit({{"name", a.name}, {"language", a.language}},
           "the pages of " + a.name + " are now in " + a.language);
  return Status::Ok();
}

Status RunUsersPasswd(Context& ctx, const UserArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(std::string password, NewPassword(ctx, a.password_file));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(store->db()));
  OUTPOST_RETURN_IF_ERROR(accounts.SetPassword(a.name, password, ProcessClock().NowMicros()));
  ctx.Emit({{"name", a.name}, {"password_changed", true}}, "password of " + a.name + " changed");
  return Status::Ok();
}

Status RunUsersDisable(Context& ctx, const UserArgs& a, bool disabled) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(store->db()));
  OUTPOST_RETURN_IF_ERROR(accounts.SetDisabled(a.name, disabled, ProcessClock().NowMicros()));
  ctx.Emit({{"name", a.name}, {"disabled", disabled}},
           a.name + (disabled ? " disabled: it cannot sign in, and its sessions end" : " enabled"));
  return Status::Ok();
}

Status RunUsersList(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(store->db()));
  OUTPOST_ASSIGN_OR_RETURN(auto list, accounts.List());
  json j = json::array();
  std::ostringstream h;
  if (list.empty()) h << "no accounts yet: outpost users add NAME --role ROLE\n";
  for (const auto& u : list) {
    j.push_back({{"name", u.name},
                 {"role", std::string(web::RoleName(u.role))},
                 {"disabled", u.disabled},
                 {"break_glass", u.break_glass},
                 {"language", u.language},
                 {"created", FormatUtcMicros(u.created)}});
    h << u.name << "  " << web::RoleName(u.role) << "  " << u.language
      << (u.disabled ? "  DISABLED" : "") << (u.break_glass ? "  break-glass" : "") << "\n";
  }
  ctx.Emit({{"users", j}}, h.str());
  return Status::Ok();
}

Status RunTokensIssue(Context& ctx, const UserArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(web::Role role, web::ParseRole(a.role));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto tokens, web::Tokens::Open(store->db()));
  SystemRandom random;
  OUTPOST_ASSIGN_OR_RETURN(std::string token,
                           tokens.Issue(a.name, role, random, ProcessClock().NowMicros()));
  ctx.Emit({{"name", a.name}, {"role", a.role}, {"token", token}},
           token + "\n(token " + a.name + ", role " + a.role +
               ": shown this once; the client sends it as 'Authorization: Bearer TOKEN')");
  return Status::Ok();
}

Status RunTokensRevoke(Context& ctx, const UserArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto tokens, web::Tokens::Open(store->db()));
  OUTPOST_RETURN_IF_ERROR(tokens.Revoke(a.name, ProcessClock().NowMicros()));
  ctx.Emit({{"name", a.name}, {"revoked", true}},
           "token " + a.name + " revoked: its next request is refused");
  return Status::Ok();
}

Status RunTokensList(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto tokens, web::Tokens::Open(store->db()));
  OUTPOST_ASSIGN_OR_RETURN(auto list, tokens.List());
  json j = json::array();
  std::ostringstream h;
  if (list.empty()) h << "no tokens: outpost tokens issue NAME --role ROLE\n";
  for (const auto& t : list) {
    std::string revoked = t.revoked ? FormatUtcMicros(*t.revoked) : "";
    j.push_back({{"name", t.name},
                 {"role", std::string(web::RoleName(t.role))},
                 {"created", FormatUtcMicros(t.created)},
                 {"revoked", t.revoked ? json(revoked) : json(nullptr)}});
    h << t.name << "  " << web::RoleName(t.role) << "  issued " << FormatUtcMicros(t.created)
      << (t.revoked ? "  REVOKED " + revoked : "") << "\n";
  }
  ctx.Emit({{"tokens", j}}, h.str());
  return Status::Ok();
}

Status RunWeb(Context& ctx, const std::string& config_path, const WebArgs& args) {
  OUTPOST_ASSIGN_OR_RETURN(NodeConfig config, LoadConfig(config_path, ctx.data_dir));
  InstallStopHandlers();
  OUTPOST_ASSIGN_OR_RETURN(auto desk, StartWebDesk(ctx, config, args));
  auto fp = web::CertificateFingerprint(web::CertPath(ctx.data_dir));
  ctx.Emit({{"url", desk->url()}, {"certificate_sha256", fp.ok() ? *fp : ""}},
           "serving " + desk->url() +
               (args.plain ? "" : " (certificate SHA-256 " + (fp.ok() ? *fp : "?") + ")") +
               " (stop with Ctrl-C)");
  ctx.out().flush();
  while (!StopRequested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return Status::Ok();
}

}  // namespace

void AddWebCommands(CLI::App& app, Context& ctx) {
  auto config = std::make_shared<std::string>();
  auto web = std::make_shared<WebArgs>();
  auto* serve = app.add_subcommand("web", "Serve this node's pages and JSON API (HTTPS)");
  serve->add_option("--listen", web->listen, "HOST:PORT (else http_listen in outpost.toml)");
  serve->add_flag("--plain", web->plain, "Plain HTTP instead of HTTPS (loopback addresses only)");
  serve->add_option("--config", *config, "Config file (else DATA/outpost.toml)");
  OnRun(serve, ctx, [&ctx, config, web] { return RunWeb(ctx, *config, *web); });

  auto a = std::make_shared<UserArgs>();
  auto* users = app.add_subcommand("users", "Accounts that sign in to this node's pages");
  users->require_subcommand(1);
  auto* add = users->add_subcommand("add", "Add an account");
  add->add_option("NAME", a->name, "Account name (a-z, 0-9, '.', '_', '-')")->required();
  add->add_option("--role", a->role, "officer, supervisor, analyst or admin")->required();
  add->add_flag("--break-glass", a->break_glass,
                "A crossing's local emergency account (flagged in the audit log)");
  add->add_option("--password-file", a->password_file, "File holding the new password");
  add->add_option("--language", a->language,
                  "The pages' language: en (default) or bs (Bosnian/Croatian/Serbian)");
  OnRun(add, ctx, [&ctx, a] { return RunUsersAdd(ctx, *a); });
  auto* language = users->add_subcommand("language", "Set the language of an account's pages");
  language->add_option("NAME", a->name, "Account name")->required();
  language->add_option("LANGUAGE", a->language, "en or bs")->required();
  OnRun(language, ctx, [&ctx, a] { return RunUsersLanguage(ctx, *a); });
  auto* passwd = users->add_subcommand("passwd", "Set an account's password");
  passwd->add_option("NAME", a->name, "Account name")->required();
  passwd->add_option("--password-file", a->password_file, "File holding the new password");
  OnRun(passwd, ctx, [&ctx, a] { return RunUsersPasswd(ctx, *a); });
  auto* disable = users->add_subcommand("disable", "Disable an account (it cannot sign in)");
  disable->add_option("NAME", a->name, "Account name")->required();
  OnRun(disable, ctx, [&ctx, a] { return RunUsersDisable(ctx, *a, true); });
  auto* enable = users->add_subcommand("enable", "Enable a disabled account again");
  enable->add_option("NAME", a->name, "Account name")->required();
  OnRun(enable, ctx, [&ctx, a] { return RunUsersDisable(ctx, *a, false); });
  auto* list = users->add_subcommand("list", "List the accounts");
  OnRun(list, ctx, [&ctx] { return RunUsersList(ctx); });

  auto* tokens = app.add_subcommand("tokens", "API tokens of machine clients (Bearer)");
  tokens->require_subcommand(1);
  auto* issue = tokens->add_subcommand("issue", "Issue a token; it is shown once");
  issue->add_option("NAME", a->name, "The client's name (a-z, 0-9, '.', '_', '-')")->required();
  issue->add_option("--role", a->role, "officer, supervisor, analyst or admin")->required();
  OnRun(issue, ctx, [&ctx, a] { return RunTokensIssue(ctx, *a); });
  auto* revoke = tokens->add_subcommand("revoke", "Revoke a token (its name stays taken)");
  revoke->add_option("NAME", a->name, "The token's name")->required();
  OnRun(revoke, ctx, [&ctx, a] { return RunTokensRevoke(ctx, *a); });
  auto* tlist = tokens->add_subcommand("list", "List the tokens (never their secrets)");
  OnRun(tlist, ctx, [&ctx] { return RunTokensList(ctx); });
}

}  // namespace outpost::cli
