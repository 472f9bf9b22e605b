#include "web/app.h"

#include <sodium.h>

#include <functional>

#include "node/record_movement.h"
#include "node/records.h"
#include "web/assets.h"

namespace outpost::web {
namespace {

using nlohmann::json;

constexpr unsigned kPublic = 0;
constexpr unsigned Bit(Role r) { return 1u << static_cast<unsigned>(r); }
constexpr unsigned kAnyRole =
    Bit(Role::kOfficer) | Bit(Role::kSupervisor) | Bit(Role::kAnalyst) | Bit(Role::kAdmin);
constexpr unsigned kDesk = Bit(Role::kOfficer) | Bit(Role::kSupervisor);
constexpr unsigned kAdminOnly = Bit(Role::kAdmin);
constexpr unsigned kHqRoom = Bit(Role::kAnalyst) | Bit(Role::kAdmin);

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Error(std::string field, std::string value, std::string rule, std::string message) {
  return {{"errors", json::array({{{"field", std::move(field)},
                                   {"value", std::move(value)},
                                   {"rule", std::move(rule)},
                                   {"message", std::move(message)}}})}};
}

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(std::string_view header, std::string_view name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

std::string SessionCookie(const std::string& id, bool secure, bool clear) {
  std::string c = std::string(kSessionCookie) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) c += "; Secure";
  if (clear) c += "; Max-Age=0";
  return c;
}

HttpResponse Page(std::string_view name) {
  const Asset* a = FindAsset(name);
  HttpResponse r;
  if (!a) return Fail(404, "path", std::string(name), "exists", "no such page");
  r.content_type = std::string(a->content_type);
  r.body = std::string(a->body);
  return r;
}

HttpResponse Redirect(const std::string& to) {
  HttpResponse r;
  r.status = 303;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", to);
  return r;
}

// Whether a path could step outside the assets or hide a character.
bool SuspiciousPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return true;
  for (char c : path) {
    if (c == '\\' || c == '%' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return path.find("..") != std::string_view::npos || path.find("//") != std::string_view::npos;
}

int Depth(std::string_view body) {
  int depth = 0, max = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') max = std::max(max, ++depth);
    if (c == '}' || c == ']') --depth;
  }
  return max;
}

json ColumnJson(const schema::Column& c) {
  static const char* kTypes[] = {"text", "integer", "real", "bool", "time", "id", "blob"};
  json j = {{"name", c.name},
            {"type", kTypes[static_cast<int>(c.type)]},
            {"required", c.required},
            {"nominal", c.nominal}};
  if (!c.allowed.empty()) j["allowed"] = c.allowed;
  if (c.type == schema::ColumnType::kText) j["max_len"] = c.max_len;
  return j;
}

// An embedded asset by its path (/assets/NAME), or 404.
HttpResponse ServeAsset(const std::string& path) {
  const Asset* a = FindAsset(path.substr(8));
  if (!a) return Fail(404, "path", path, "exists", "path: no such asset");
  HttpResponse r;
  r.content_type = std::string(a->content_type);
  r.body = std::string(a->body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

// Invariant 2 for a POST: a JSON body, and (unless `session` is null: a
// public endpoint) the session's CSRF token. The refusal, or nullopt.
std::optional<HttpResponse> CheckPost(const HttpRequest& req, const Session* session) {
  if (std::string_view(req.content_type).substr(0, 16) != "application/json") {
    return Fail(415, "Content-Type", req.content_type.substr(0, 100), "application/json",
                "Content-Type: requests with a body must send application/json");
  }
  if (session &&
      (req.csrf.size() != session->csrf.size() ||
       sodium_memcmp(req.csrf.data(), session->csrf.data(), session->csrf.size()) != 0)) {
    return Fail(403, "X-CSRF-Token", "", "the session's token",
                "X-CSRF-Token: missing or not this session's token; reload the page");
  }
  return std::nullopt;
}

}  // namespace

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = Dump(body);
  return r;
}

HttpResponse Fail(int status, std::string field, std::string value, std::string rule,
                  std::string message) {
  return JsonResponse(
      status, Error(std::move(field), std::move(value), std::move(rule), std::move(message)));
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 &&
               HexDigit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> QueryParams(std::string_view query) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    size_t eq = part.find('=');
    if (!part.empty()) {
      std::string key = FormDecode(part.substr(0, eq));
      out.emplace(key, eq == std::string_view::npos ? "" : FormDecode(part.substr(eq + 1)));
    }
    pos = end + 1;
  }
  return out;
}

struct App::Call {
  const HttpRequest& req;
  std::string path;
  std::string query;
  std::string session_id;
  std::optional<Session> session;
  std::string language = "en";  // the signed-in account's
  bool by_token = false;        // a machine client (invariant 6)
  bool break_glass = false;     // a crossing's emergency account
};

Result<json> ParseJsonBody(std::string_view body) {
  if (Depth(body) > kMaxJsonDepth) {
    return Status::InvalidArgument("body: nested deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body: is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("body: must be a JSON object");
  return j;
}

json ErrorsFromStatus(const Status& status) {
  json errors = json::array();
  const std::string& m = status.message();
  // Messages are "field: detail" joined by "; " (schema/row_json.cc); a new
  // one starts where "; " is followed by a field path and ": ".
  size_t start = 0;
  while (start < m.size()) {
    size_t next = m.find("; movement", start);
    if (next == std::string::npos) next = m.find("; and ", start);
    std::string part =
        m.substr(start, next == std::string::npos ? std::string::npos : next - start);
    size_t colon = part.find(": ");
    json e = {{"field", ""}, {"value", ""}, {"rule", part}, {"message", part}};
    if (colon != std::string::npos && part.find(' ') > colon) {
      e["field"] = part.substr(0, colon);
      std::string rest = part.substr(colon + 2);
      if (!rest.empty() && rest[0] == '"') {
        size_t close = 1;
        while (close < rest.size() && rest[close] != '"') close += rest[close] == '\\' ? 2 : 1;
        e["value"] = rest.substr(1, std::min(close, rest.size()) - 1);
        e["rule"] = close + 2 <= rest.size() ? rest.substr(close + 2) : "";
      } else {
        e["rule"] = rest;
      }
    }
    errors.push_back(e);
    if (next == std::string::npos || m.compare(next, 6, "; and ") == 0) break;
    start = next + 2;
  }
  return {{"errors", errors}};
}

HttpResponse App::Handle(const HttpRequest& req) {
  Call call{req, req.target, "", "", std::nullopt, "en", false, false};
  size_t q = call.path.find('?');
  if (q != std::string::npos) {
    call.query = call.path.substr(q + 1);
    call.path.resize(q);
  }
  HttpResponse r;
  if (SuspiciousPath(call.path)) {
    r = Fail(400, "path", call.path.substr(0, 200), "plain path",
             "path: no '..', '//', '%', '\\' or control characters");
  } else if (!req.authorization.empty()) {
    r = FromToken(call) ? Route(call)
                        : Fail(401, "Authorization", "", "Bearer and a live token",
                               "Authorization: not a live token (issued by an admin, not revoked)");
  } else {
    FromCookie(call);
    r = Route(call);
  }
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                         "form-action 'self'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (r.content_type == "application/json") r.headers.emplace_back("Cache-Control", "no-store");
  if (req.secure) r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  return r;
}

void App::FromCookie(Call& call) {
  call.session_id = CookieValue(call.req.cookie, kSessionCookie);
  if (!call.session_id.empty()) call.session = sessions_.Touch(call.session_id);
  if (!call.session) return;
  // A disabled (or removed) account's session ends at its next request.
  auto account = accounts_.Find(call.session->account);
  if (!account.ok() || !*account || (*account)->disabled) {
    sessions_.Remove(call.session_id);
    call.session.reset();
  } else {
    call.language = (*account)->language;
    call.break_glass = (*account)->break_glass;
  }
}

node::Actor App::ActorOf(const Call& call) {
  return node::Actor{call.session->account, "", call.break_glass};
}

bool App::FromToken(Call& call) {
  std::string_view auth = call.req.authorization;
  if (!tokens_ || auth.substr(0, 7) != "Bearer ") return false;
  auto token = tokens_->Verify(auth.substr(7));
  if (!token.ok() || !*token) return false;
  // A session for this request only: nothing is kept, no cookie is set.
  call.session = Session{TokenActor((*token)->name), (*token)->role, "", 0, 0};
  call.by_token = true;
  return true;
}

HttpResponse App::Route(Call& call) {
  using Handler = std::function<HttpResponse()>;
  struct Entry {
    const char* method;
    const char* path;
    unsigned roles;
    bool page;
    Handler run;
  };
  const Entry routes[] = {
      {"GET", "/login", kPublic, true, [] { return Page("login.html"); }},
      {"GET", "/", kAnyRole, true, [] { return Page("home.html"); }},
      {"GET", "/movements/new", kDesk, true, [] { return Page("movement.html"); }},
      {"GET", "/movements/view", kDesk, true, [] { return Page("lane.html"); }},
      {"GET", "/admin/users", kAdminOnly, true, [] { return Page("users.html"); }},
      {"POST", "/api/login", kPublic, false, [&] { return Login(call); }},
      {"POST", "/api/logout", kAnyRole, false, [&] { return Logout(call); }},
      {"GET", "/api/me", kAnyRole, false, [&] { return Me(call); }},
      {"POST", "/api/me/language", kAnyRole, false, [&] { return SetLanguage(call); }},
      {"GET", "/api/catalogue", kAnyRole, false, [&] { return Catalogue(call); }},
      {"GET", "/api/users", kAdminOnly, false, [&] { return ListUsers(call); }},
      {"POST", "/api/users", kAdminOnly, false, [&] { return AddUser(call); }},
      {"POST", "/api/movements", kDesk, false, [&] { return AddMovement(call); }},
      {"GET", "/search", kDesk, true, [] { return Page("search.html"); }},
      {"GET", "/api/search", kDesk | Bit(Role::kAnalyst), false,
       [&] { return SearchMovements(call.query, ActorOf(call)); }},
      {"GET", "/queue", kDesk, true, [] { return Page("queue.html"); }},
      {"GET", "/shift", Bit(Role::kSupervisor), true, [] { return Page("shift.html"); }},
      {"GET", "/api/movement", kDesk | Bit(Role::kAnalyst), false,
       [&] { return MovementFileApi(call.query, ActorOf(call)); }},
      {"GET", "/api/queue", kDesk, false, [&] { return QueueApi(ActorOf(call)); }},
      {"GET", "/api/shift", Bit(Role::kSupervisor), false, [&] { return ShiftApi(); }},
      {"POST", "/api/lane/decision", kDesk, false,
       [&] { return LaneDecision(call.req.body, ActorOf(call)); }},
      {"POST", "/api/lane/inspection", kDesk, false,
       [&] { return LaneInspection(call.req.body, ActorOf(call)); }},
      // HQ's network page (issue 20): analysts and admins.
      {"GET", "/network", kHqRoom, true, [] { return Page("network.html"); }},
      {"GET", "/api/network", kHqRoom, false, [&] { return NetworkApi(call.query); }},
      {"GET", "/api/network/sessions", kHqRoom, false,
       [&] { return NetworkSessionsApi(call.query); }},
      // HQ's volumes (web/volumes_api.cc): analysts and admins.
      {"GET", "/volumes", kHqRoom, true, [] { return Page("volumes.html"); }},
      {"GET", "/api/volumes", kHqRoom, false, [&] { return VolumesApi(call.query, false); }},
      {"GET", "/api/volumes.csv", kHqRoom, false, [&] { return VolumesApi(call.query, true); }},
  };
  if (call.req.method == "GET" && call.path.rfind("/assets/", 0) == 0) {
    return ServeAsset(call.path);
  }
  // A path may take more than one method (GET and POST /api/users): the
  // entry is the one of both; a path known with other methods only is 405.
  const Entry* found = nullptr;
  std::string allowed;
  for (const Entry& e : routes) {
    if (call.path != e.path) continue;
    if (call.req.method == e.method) found = &e;
    allowed += (allowed.empty() ? "" : ", ") + std::string(e.method);
  }
  if (!found && !allowed.empty()) {
    HttpResponse r = Fail(405, "method", call.req.method, "is " + allowed,
                          "method: " + call.path + " takes " + allowed);
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  if (found) {
    const Entry& e = *found;
    if (e.roles != kPublic) {
      if (!call.session) {
        if (e.page) return Redirect("/login");
        return Fail(401, "session", "", "signed in", "session: sign in first (or again)");
      }
      if (!(e.roles & Bit(call.session->role))) {
        std::string role(RoleName(call.session->role));
        if (e.page) {
          HttpResponse r = Page("forbidden.html");
          r.status = 403;
          return r;
        }
        return Fail(403, "role", role, "allowed for this endpoint",
                    "role: \"" + role + "\" may not use " + call.req.method + " " + call.path);
      }
    }
    if (e.method == std::string("POST")) {
      bool csrf = e.roles != kPublic && !call.by_token;
      auto refused = CheckPost(call.req, csrf ? &*call.session : nullptr);
      if (refused) return *refused;
    }
    return e.run();
  }
  return Fail(404, "path", call.path.substr(0, 200), "exists", "path: no such page or endpoint");
}

HttpResponse App::Login(Call& call) {
  auto body = ParseJsonBody(call.req.body);
  if (!body.ok()) return Fail(400, "body", "", "JSON object", body.status().message());
  if (!(*body)["name"].is_string() || !(*body)["password"].is_string()) {
    return Fail(400, "name", "", "name and password are strings",
                "body: {\"name\": \"...\", \"password\": \"...\"} expected");
  }
  std::string name = (*body)["name"].get<std::string>().substr(0, 64);
  std::string password = (*body)["password"].get<std::string>();
  int64_t retry = 0;
  if (!limiter_.Allowed(name, call.req.peer, &retry)) {
    HttpResponse r = Fail(
        429, "name", name, "at most a few failed sign-ins",
        "too many failed sign-ins: try again in " + std::to_string(retry) + " s or ask an admin");
    r.headers.emplace_back("Retry-After", std::to_string(retry));
    return r;
  }
  auto account = accounts_.Verify(name, password);
  if (!account.ok()) return Fail(500, "", "", "", account.status().message());
  if (!*account) {
    limiter_.Failed(name, call.req.peer);
    return Fail(401, "password", "", "matches the account",
                "name or password is wrong (or the account is disabled)");
  }
  limiter_.Succeeded(name);
  if (!call.session_id.empty()) sessions_.Remove(call.session_id);
  Session s;
  std::string id = sessions_.Create((*account)->name, (*account)->role, &s);
  HttpResponse r = JsonResponse(200, {{"name", s.account},
                                      {"role", std::string(RoleName(s.role))},
                                      {"csrf", s.csrf},
                                      {"language", (*account)->language}});
  r.headers.emplace_back("Set-Cookie", SessionCookie(id, call.req.secure, false));
  return r;
}

HttpResponse App::Logout(Call& call) {
  sessions_.Remove(call.session_id);
  HttpResponse r = JsonResponse(200, {{"signed_out", true}});
  r.headers.emplace_back("Set-Cookie", SessionCookie("", call.req.secure, true));
  return r;
}

HttpResponse App::Me(Call& call) {
  const Session& s = *call.session;
  return JsonResponse(200, {{"name", s.account},
                            {"role", std::string(RoleName(s.role))},
                            {"csrf", s.csrf},
                            {"language", call.language},
                            {"node", store_.identity().name},
                            {"site", store_.identity().site}});
}

HttpResponse App::SetLanguage(Call& call) {
  auto body = ParseJsonBody(call.req.body);
  if (!body.ok()) return Fail(400, "body", "", "a JSON object", body.status().message());
  const json& language = (*body)["language"];
  std::string code = language.is_string() ? language.get<std::string>() : language.dump();
  if (call.by_token) {
    return Fail(422, "language", code, "an account's", "language: a token has no pages");
  }
  Status s = accounts_.SetLanguage(call.session->account, code, store_.clock().NowMicros());
  if (s.code() == Code::kInvalidArgument) return JsonResponse(422, ErrorsFromStatus(s));
  if (!s.ok()) return Fail(500, "", "", "", s.message());
  return JsonResponse(200, {{"language", code}});
}

HttpResponse App::ListUsers(Call&) {
  auto list = accounts_.List();
  if (!list.ok()) return Fail(500, "", "", "", list.status().message());
  json out = json::array();
  for (const Account& a : *list) {
    out.push_back({{"name", a.name},
                   {"role", std::string(RoleName(a.role))},
                   {"disabled", a.disabled},
                   {"break_glass", a.break_glass},
                   {"language", a.language},
                   {"created", FormatUtcMicros(a.created)}});
  }
  return JsonResponse(200, {{"users", out}});
}

HttpResponse App::AddUser(Call& call) {
  auto body = ParseJsonBody(call.req.body);
  if (!body.ok()) return Fail(400, "body", "", "JSON object", body.status().message());
  json& b = *body;
  if (!b["name"].is_string() || !b["role"].is_string() || !b["password"].is_string()) {
    return Fail(400, "body", "", "name, role and password are strings",
                "body: {\"name\", \"role\", \"password\"} expected");
  }
  auto role = ParseRole(b["role"].get<std::string>());
  if (!role.ok()) return JsonResponse(422, ErrorsFromStatus(role.status()));
  const json& lang = b.contains("language") ? b["language"] : json("en");
  std::string language = lang.is_string() ? lang.get<std::string>() : lang.dump();
  Status s = accounts_.Add(b["name"].get<std::string>(), *role, b["password"].get<std::string>(),
                           store_.clock().NowMicros(), false, language);
  if (s.code() == Code::kAlreadyExists) return JsonResponse(409, ErrorsFromStatus(s));
  if (!s.ok()) return JsonResponse(422, ErrorsFromStatus(s));
  return JsonResponse(201, {{"name", b["name"]}, {"role", b["role"]}, {"language", language}});
}

HttpResponse App::Catalogue(Call&) {
  json tables = json::object();
  for (const char* name : {"movement", "vehicle", "person", "equipment", "seal", "consignment",
                           "party", "goods_item"}) {
    const schema::Table* t = store_.catalogue().Find(name);
    if (!t) continue;
    json cols = json::array();
    for (const auto& c : t->columns) {
      if (c.type == schema::ColumnType::kId || c.type == schema::ColumnType::kBlob) continue;
      cols.push_back(ColumnJson(c));
    }
    tables[name] = cols;
  }
  return JsonResponse(200, {{"tables", tables}, {"site", store_.identity().site}});
}

HttpResponse App::AddMovement(Call& call) {
  auto body = ParseJsonBody(call.req.body);
  if (!body.ok()) return Fail(400, "body", "", "JSON object", body.status().message());
  node::Actor actor = ActorOf(call);
  // Stored and assessed as `outpost record add movement` does: the lane
  // recommendation comes back with the record (node/record_movement.h).
  auto recorded = node::RecordMovement(store_, *body, actor);
  if (!recorded.ok()) {
    int status = recorded.status().code() == Code::kInvalidArgument ? 422 : 500;
    return JsonResponse(status, ErrorsFromStatus(recorded.status()));
  }
  json out = recorded->record;
  out["risk"] = node::RiskOutcomeJson(recorded->risk);
  return JsonResponse(201, out);
}

}  // namespace outpost::web
