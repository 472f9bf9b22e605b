// GET /api/queue and GET /api/shift (docs/api.md): the officer's queue and
// the supervisor's shift summary, read by node/shift.h for the local day of
// now. Roles are checked by App::Route (kRoutes in app.cc).
#include "node/shift.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

// A sync older than this makes the shift page warn.
constexpr int64_t kStaleSyncMicros = 2LL * 3600 * 1'000'000;

HttpResponse StoreError(const Status& s) {
  return Fail(500, "", "", "store readable", s.message());
}

}  // namespace

HttpResponse App::QueueApi(node::Actor actor) {
  node::Day day = node::LocalDay(store_.clock().NowMicros());
  // The plates listed are consulted by the signed-in account (node/shift.h).
  actor.reason = "queue";
  auto queue = node::Queue(store_, day, actor);
  if (!queue.ok()) return StoreError(queue.status());
  json items = json::array();
  for (const auto& q : *queue) items.push_back(node::ToJson(q));
  return JsonResponse(200, {{"day", {{"date", day.date}, {"zone", day.zone}}}, {"queue", items}});
}

HttpResponse App::ShiftApi() {
  int64_t now = store_.clock().NowMicros();
  auto summary = node::BuildShiftSummary(store_, node::LocalDay(now));
  if (!summary.ok()) return StoreError(summary.status());
  return JsonResponse(200, node::ToJson(*summary, now, kStaleSyncMicros));
}

}  // namespace outpost::web
