// GET /api/search?q=...&page=N[&limit=L][&before=CURSOR][&reason=R]
// (docs/api.md): node::Search for the signed-in account, audited as the
// account's consultation. Roles are checked in kRoutes (web/app.cc).
#include <charconv>

#include "node/search.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

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
