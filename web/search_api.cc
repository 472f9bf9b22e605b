// GET /api/search?q=...&page=N[&limit=L][&before=CURSOR][&reason=R]
// (docs/api.md): node::Search for the signed-in account, audited as the
// account's consultation. Roles are checked in kRoutes (web/app.cc).
#include <charconv>
#include <map>

#include "node/search.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

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

bool ParseInt(const std::string& s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

HttpResponse App::SearchMovements(const std::string& query, node::Actor actor) {
  auto params = QueryParams(query);
  node::SearchQuery q;
  q.text = params["q"];
  for (auto [name, target] : {std::pair{"page", &q.page}, std::pair{"limit", &q.limit}}) {
    auto it = params.find(name);
    if (it != params.end() && !ParseInt(it->second, target)) {
      return Fail(422, name, it->second, "integer", std::string(name) + ": not a number");
    }
  }
  if (auto it = params.find("before"); it != params.end() && !it->second.empty()) {
    q.before = it->second;
  }
  actor.reason = params.count("reason") ? params["reason"] : "desk search";
  auto found = node::Search(store_, q, actor);
  if (!found.ok()) {
    const std::string& m = found.status().message();
    if (found.status().code() != Code::kInvalidArgument) {
      return Fail(500, "", "", "", m);
    }
    std::string field = m.substr(0, m.find(':'));
    std::string value = field == "q" ? q.text : field == "before" ? q.before.value_or("") : "";
    return Fail(422, field, value, field == "q" ? "min 2 characters" : "valid", m);
  }
  return JsonResponse(200, *found);
}

}  // namespace outpost::web
