// GET /api/movement?id=UUID[&reason=R] (docs/api.md): a movement's file for
// the desk's Movement page, read by node::Records::File and audited as the
// signed-in account's consultation. Roles are checked in kRoutes (app.cc).
#include "web/app.h"

namespace outpost::web {

HttpResponse App::MovementFileApi(const std::string& query, node::Actor actor) {
  auto params = QueryParams(query);
  const std::string& id = params["id"];
  actor.reason = params.count("reason") ? params["reason"] : "desk view";
  auto file = node::Records(store_).File(id, actor);
  if (file.ok()) return JsonResponse(200, *file);
  const Status& s = file.status();
  if (s.code() == Code::kNotFound) return Fail(404, "id", id, "a stored movement", s.message());
  if (s.code() == Code::kInvalidArgument) {
    return Fail(422, "id", id, "the id of a movement", s.message());
  }
  return Fail(500, "", "", "store readable", s.message());
}

}  // namespace outpost::web
