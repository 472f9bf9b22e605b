#include "cli/web_desk.h"

#include <optional>

#include "base/clock.h"
#include "cli/node_access.h"
#include "web/app.h"
#include "web/server.h"
#include "web/tls.h"

namespace outpost::cli {
namespace {

class Desk final : public WebDesk {
 public:
  std::string url() const override { return url_; }

  std::unique_ptr<node::Store> store;
  std::optional<web::Accounts> accounts;
  std::optional<web::Tokens> tokens;
  std::unique_ptr<web::Sessions> sessions;
  std::unique_ptr<web::LoginRateLimiter> limiter;
  std::unique_ptr<web::App> app;
  std::unique_ptr<web::Server> server;  // last: stopped first
  std::string url_;
};

}  // namespace

Result<std::unique_ptr<WebDesk>> StartWebDesk(Context& ctx, const NodeConfig& config,
                                              const WebArgs& args) {
  std::string listen = args.listen.empty() ? config.http_listen : args.listen;
  if (listen.empty()) {
    return Status::InvalidArgument(
        "web: no address: pass --listen HOST:PORT or set http_listen in " +
        (config.source.empty() ? ctx.data_dir + "/outpost.toml" : config.source));
  }
  auto desk = std::make_unique<Desk>();
  OUTPOST_ASSIGN_OR_RETURN(desk->store, OpenStore(ctx));
  OUTPOST_RETURN_IF_ERROR(web::EnsureCertificate(ctx.data_dir, desk->store->identity().name));
  OUTPOST_ASSIGN_OR_RETURN(auto accounts, web::Accounts::Open(desk->store->db()));
  desk->accounts.emplace(std::move(accounts));
  OUTPOST_ASSIGN_OR_RETURN(auto tokens, web::Tokens::Open(desk->store->db()));
  desk->tokens.emplace(std::move(tokens));
  web::SessionLimits limits;
  limits.idle_micros = config.http_session_idle_seconds * 1'000'000;
  limits.absolute_micros = config.http_session_max_seconds * 1'000'000;
  desk->sessions = std::make_unique<web::Sessions>(ProcessClock(), ProcessRandom(), limits);
  desk->limiter = std::make_unique<web::LoginRateLimiter>(ProcessClock(), web::RateLimits{});
  desk->app = std::make_unique<web::App>(*desk->store, *desk->accounts, *desk->sessions,
                                         *desk->limiter, &*desk->tokens);
  web::ServerOptions o;
  o.listen = listen;
  o.tls = !args.plain;
  o.cert_path = web::CertPath(ctx.data_dir);
  o.key_path = web::KeyPath(ctx.data_dir);
  std::ostream* err = &ctx.err();
  o.log = [err](const std::string& line) {
    *err << "outpost: " << FormatUtcMicros(ProcessClock().NowMicros()) << " " << Printable(line)
         << "\n";
    err->flush();
  };
  OUTPOST_ASSIGN_OR_RETURN(desk->server, web::Server::Start(*desk->app, o));
  desk->url_ = std::string(args.plain ? "http" : "https") + "://" +
               listen.substr(0, listen.rfind(':')) + ":" + std::to_string(desk->server->port());
  return std::unique_ptr<WebDesk>(std::move(desk));
}

}  // namespace outpost::cli
