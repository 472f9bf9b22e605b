// Fuzzes what the node's web App decodes from a request (web/app.h): the
// JSON body of sign-in, new accounts and movements, the Cookie and CSRF
// headers, a machine client's Authorization header and the target, for a
// signed-in officer and an admin. The first byte picks the endpoint and the
// account, the next up to 64 bytes are the cookie (or token) suffix and the
// rest the body. Properties: no crash, every answer is
// a status in 200..599 with a JSON body that parses, and ErrorsFromStatus
// gives {field, value, rule, message} for any message.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "node/store.h"
#include "web/app.h"

namespace {

using namespace outpost;

struct World {
  std::string dir;
  FakeClock clock{1'795'000'000'000'000};
  SeededRandom random{1};
  std::unique_ptr<node::Store> store;
  std::optional<web::Accounts> accounts;
  std::optional<web::Tokens> tokens;
  std::unique_ptr<web::Sessions> sessions;
  std::unique_ptr<web::LoginRateLimiter> limiter;
  std::unique_ptr<web::App> app;
  std::string officer, officer_csrf, admin, admin_csrf, officer_token, admin_token;

  World() {
    dir = (std::filesystem::temp_directory_path() /
           ("outpost-fuzz-web-" + std::to_string(::getpid())))
              .string();
    std::filesystem::remove_all(dir);
    node::Identity id;
    id.id = NewUuidV7(clock, random);
    id.name = "fuzz";
    id.site = "BA-GRA";
    store = std::move(*node::Store::Create(dir, id, clock, random));
    accounts.emplace(std::move(*web::Accounts::Open(store->db(), web::PasswordCost::Cheapest())));
    sessions = std::make_unique<web::Sessions>(clock, random, web::SessionLimits{});
    limiter = std::make_unique<web::LoginRateLimiter>(clock, web::RateLimits{});
    tokens.emplace(std::move(*web::Tokens::Open(store->db())));
    officer_token = *tokens->Issue("bridge", web::Role::kOfficer, random, 0);
    admin_token = *tokens->Issue("provisioner", web::Role::kAdmin, random, 0);
    app = std::make_unique<web::App>(*store, *accounts, *sessions, *limiter, &*tokens);
    const char* pw = "correct horse battery staple";
    if (!accounts->Add("marko", web::Role::kOfficer, pw, 0).ok()) std::abort();
    if (!accounts->Add("ana", web::Role::kAdmin, pw, 0).ok()) std::abort();
    web::Session s;
    officer = sessions->Create("marko", web::Role::kOfficer, &s);
    officer_csrf = s.csrf;
    admin = sessions->Create("ana", web::Role::kAdmin, &s);
    admin_csrf = s.csrf;
  }
  ~World() { std::filesystem::remove_all(dir); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  if (size == 0) return 0;
  static const char* kTargets[] = {"/api/login",     "/api/movements",  "/api/users",
                                   "/api/logout",    "/api/me",         "/assets/app.js",
                                   "/movements/new", "/api/me/language"};
  uint8_t pick = data[0];
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t cut = std::min<size_t>(rest.size(), 64);
  web::HttpRequest r;
  r.target = kTargets[pick % 8];
  r.method = (pick & 0x08) ? "GET" : "POST";
  bool admin = pick & 0x10;
  if (pick & 0x20) {
    r.target += rest.substr(0, cut);  // a hostile target
  } else {
    r.cookie = std::string(web::kSessionCookie) + "=" + (admin ? w.admin : w.officer) +
               rest.substr(0, cut);
  }
  r.csrf = (pick & 0x40) ? std::string() : (admin ? w.admin_csrf : w.officer_csrf);
  if ((pick & 0x60) == 0x40 && !rest.empty() && (rest[0] & 1)) {
    // A machine client: a live token, or one spoiled by 1-3 more characters.
    size_t spoil = std::min<size_t>((static_cast<uint8_t>(rest[0]) >> 1) & 3, cut - 1);
    r.authorization = "Bearer " + (admin ? w.admin_token : w.officer_token) + rest.substr(1, spoil);
  }
  r.content_type = (pick & 0x80) ? "text/plain" : "application/json";
  r.body = rest.substr(cut);
  r.peer = "10.0.0.1";
  web::HttpResponse out = w.app->Handle(r);
  if (out.status < 200 || out.status > 599) std::abort();
  if (out.content_type == "application/json" && !out.body.empty()) {
    auto j = nlohmann::json::parse(out.body, nullptr, false);
    if (j.is_discarded()) std::abort();
  }
  nlohmann::json e = web::ErrorsFromStatus(Status::InvalidArgument(rest));
  for (const auto& x : e["errors"]) {
    if (!x.contains("field") || !x.contains("value") || !x.contains("rule")) std::abort();
  }
  // Sessions must survive: a logout in the input would end them.
  if (r.target == "/api/logout") {
    web::Session s;
    w.officer = w.sessions->Create("marko", web::Role::kOfficer, &s);
    w.officer_csrf = s.csrf;
    w.admin = w.sessions->Create("ana", web::Role::kAdmin, &s);
    w.admin_csrf = s.csrf;
  }
  return 0;
}
