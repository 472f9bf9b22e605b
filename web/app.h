// The node's web application: pages, assets and the JSON API under /api
// (docs/api.md), as a function from one HTTP request to one response. It
// knows nothing of sockets or TLS (web/server.h feeds it), so tests and the
// fuzz target call it directly.
//
// Invariants:
//  1. Every endpoint names the roles that may call it (kRoutes in app.cc);
//     a signed-in account of another role gets 403, no session gets 401
//     (pages: a redirect to /login). Never only a hidden button.
//  2. Every state-changing request (POST) but /api/login carries the
//     session's CSRF token in X-CSRF-Token, and every POST body is
//     Content-Type: application/json (which a cross-site form cannot send).
//  3. Errors are JSON {"errors": [{field, value, rule, message}]}.
//  4. What a signed-in account records is recorded under its name: the
//     audit log's officer is the account (node::Actor). A movement is
//     stored and assessed by node::RecordMovement, as the CLI does.
//  5. Every response carries Content-Security-Policy default-src 'self'
//     (no inline script, nothing from elsewhere) and nosniff.
//  6. A machine client sends `Authorization: Bearer TOKEN` (web/tokens.h)
//     instead of a cookie: it acts with the token's role and no CSRF token
//     (a browser never sends this header by itself), and what it records is
//     recorded under "token:NAME". A bad token is 401, whatever the cookie.
// Not thread-safe: the server calls Handle from its one thread.
#ifndef OUTPOST_WEB_APP_H_
#define OUTPOST_WEB_APP_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "node/records.h"
#include "node/store.h"
#include "web/accounts.h"
#include "web/sessions.h"
#include "web/tokens.h"

namespace outpost::web {

struct HttpRequest {
  std::string method;        // "GET", "POST", ...
  std::string target;        // path and query, as sent
  std::string content_type;  // the header, as sent
  std::string cookie;        // the Cookie header
  std::string csrf;          // the X-CSRF-Token header
  std::string body;
  std::string peer;           // the remote address (rate limit key)
  bool secure = false;        // over TLS: cookies get the Secure attribute
  std::string authorization;  // the Authorization header (a machine client's token)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

inline constexpr const char* kSessionCookie = "outpost_session";
// JSON documents deeper than this are refused before parsing.
inline constexpr int kMaxJsonDepth = 32;

class App {
 public:
  // `tokens` may be null: then no machine client is accepted.
  App(node::Store& store, Accounts& accounts, Sessions& sessions, LoginRateLimiter& limiter,
      Tokens* tokens = nullptr)
      : store_(store),
        accounts_(accounts),
        sessions_(sessions),
        limiter_(limiter),
        tokens_(tokens) {}

  HttpResponse Handle(const HttpRequest& request);

 private:
  struct Call;
  HttpResponse Route(Call& call);
  // The caller: a session cookie (FromCookie), or a token (FromToken: false
  // when the Authorization header is not a live token).
  void FromCookie(Call& call);
  bool FromToken(Call& call);
  // Who the audit log records for this call: the account (or token:NAME),
  // flagged when it is a break-glass account (node::StampActor).
  static node::Actor ActorOf(const Call& call);
  HttpResponse Login(Call& call);
  HttpResponse Logout(Call& call);
  HttpResponse Me(Call& call);
  HttpResponse SetLanguage(Call& call);
  HttpResponse ListUsers(Call& call);
  HttpResponse AddUser(Call& call);
  HttpResponse Catalogue(Call& call);
  HttpResponse AddMovement(Call& call);
  // GET /api/search (web/search_api.cc): `query` is the URL's query string.
  HttpResponse SearchMovements(const std::string& query, node::Actor actor);
  // GET /api/movement (web/movement_api.cc): a movement's file.
  HttpResponse MovementFileApi(const std::string& query, node::Actor actor);
  // web/shift_api.cc
  HttpResponse QueueApi(node::Actor actor);
  HttpResponse ShiftApi();
  // POST /api/lane/decision and /api/lane/inspection (web/lane_api.cc):
  // `body` is the request's JSON body.
  HttpResponse LaneDecision(const std::string& body, node::Actor actor);
  HttpResponse LaneInspection(const std::string& body, node::Actor actor);
  // GET /api/network and /api/network/sessions (web/network_api.cc): HQ's
  // view of its crossings; `query` is the URL's query string.
  HttpResponse NetworkApi(const std::string& query);
  HttpResponse NetworkSessionsApi(const std::string& query);
  // GET /api/volumes and /api/volumes.csv (web/volumes_api.cc): HQ's
  // volume counters for the URL's query string, as JSON or as a CSV file.
  HttpResponse VolumesApi(const std::string& query, bool csv);

  node::Store& store_;
  Accounts& accounts_;
  Sessions& sessions_;
  LoginRateLimiter& limiter_;
  Tokens* tokens_;
};

// A JSON response; Fail's body is {"errors": [{field, value, rule, message}]}
// (invariant 3). Shared by the API's files (app.cc, search_api.cc, ...).
HttpResponse JsonResponse(int status, const nlohmann::json& body);
HttpResponse Fail(int status, std::string field, std::string value, std::string rule,
                  std::string message);
// The parameters of a URL's query string (form-decoded: '+' a space, %XX a
// byte); the first of a repeated name wins.
std::map<std::string, std::string> QueryParams(std::string_view query);
// {"errors": [...]} from a record API refusal, one entry per field that
// failed ("movement.equipment[0].number: \"CSQU3054384\" fails ...").
nlohmann::json ErrorsFromStatus(const Status& status);
// The body parsed as one JSON object, or kInvalidArgument naming the rule
// it broke (not JSON, too deep, not an object).
Result<nlohmann::json> ParseJsonBody(std::string_view body);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_APP_H_
