// GET /api/network[?behind_hours=H (a decimal number)] and GET /api/network/sessions?node=...
// [&before=ID][&limit=L] (docs/api.md): HQ's view of every enrolled
// crossing and one crossing's sync sessions, read by node/network.h. Roles
// (analyst, admin) are checked in kRoutes (web/app.cc). Nothing here is
// personal data: crossings, counts, times and errors; not audited.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "node/network.h"
#include "node/registry.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultBehindHours = 6;
constexpr int64_t kMaxBehindHours = 24 * 30;
constexpr int64_t kDefaultSessions = 50;
constexpr int64_t kMaxSessions = 200;

// The integer parameter `name` in [lo, hi], or `fallback` when absent; a
// refusal naming the field otherwise.
std::optional<HttpResponse> IntParam(const std::map<std::string, std::string>& params,
                                     const char* name, int64_t lo, int64_t hi, int64_t fallback,
                                     int64_t* out) {
  *out = fallback;
  auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return std::nullopt;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec != std::errc() || p != s.data() + s.size() || *out < lo || *out > hi) {
    std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    return Fail(
        422, name, s.substr(0, 40), "a whole number in " + range,
        std::string(name) + ": \"" + s.substr(0, 40) + "\" is not a whole number in " + range);
  }
  return std::nullopt;
}

}  // namespace

HttpResponse App::NetworkApi(const std::string& query) {
  auto params = QueryParams(query);
  double hours = kDefaultBehindHours;
  if (auto it = params.find("behind_hours"); it != params.end() && !it->second.empty()) {
    const std::string& s = it->second;
    char* end = nullptr;
    hours = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(hours) || hours <= 0 ||
        hours > kMaxBehindHours) {
      return Fail(422, "behind_hours", s.substr(0, 40), "a number of hours above 0, at most 720",
                  "behind_hours: \"" + s.substr(0, 40) +
                      "\" is not a number of hours above 0 and at most 720");
    }
  }
  int64_t now = store_.clock().NowMicros();
  auto behind = std::max<int64_t>(1, std::llround(hours * 3600.0 * 1e6));
  auto view = node::BuildNetworkView(store_, now, behind);
  if (!view.ok()) return Fail(500, "", "", "store readable", view.status().message());
  json out = node::ToJson(*view);
  out["node"] = {{"name", store_.identity().name},
                 {"hq", store_.identity().role == node::Role::kHq}};
  return JsonResponse(200, out);
}

HttpResponse App::NetworkSessionsApi(const std::string& query) {
  auto params = QueryParams(query);
  const std::string node = params["node"];
  if (node.empty()) {
    return Fail(422, "node", "", "a crossing's id or name",
                "node: missing; name the crossing (its id or its name)");
  }
  int64_t before = 0, limit = 0;
  if (auto bad = IntParam(params, "before", 0, INT64_MAX, 0, &before)) return *bad;
  if (auto bad = IntParam(params, "limit", 1, kMaxSessions, kDefaultSessions, &limit)) return *bad;
  auto id = node::FindNode(store_, node);
  if (!id.ok()) {
    int status = id.status().code() == Code::kNotFound ? 404 : 422;
    return Fail(status, "node", node.substr(0, 100), "an enrolled node", id.status().message());
  }
  auto page = node::CrossingSessions(store_, *id, before, limit);
  if (!page.ok()) return Fail(500, "", "", "store readable", page.status().message());
  json out = node::ToJson(*page);
  out["node"] = {{"id", UuidToString(*id)}, {"name", node::NodeDisplayName(store_, *id)}};
  return JsonResponse(200, out);
}

}  // namespace outpost::web
