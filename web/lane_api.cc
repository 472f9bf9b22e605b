// POST /api/lane/decision and POST /api/lane/inspection (docs/api.md): the
// lane page's decision (accept or override) and the inspection with its
// seizures, through node::DecideLane and node::RecordInspection
// (node/lane.h) for the signed-in account. Roles, CSRF and the JSON content
// type are checked in kRoutes (web/app.cc) before these run.
#include "node/lane.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

// One error per refused field: the node joins them with "; " before each
// field path ("inspection.result: ...; inspection.seizures[0].unit: ...").
json LaneErrors(const Status& status) {
  json errors = json::array();
  const std::string& m = status.message();
  size_t start = 0;
  while (start < m.size()) {
    size_t next = m.find("; inspection.", start);
    Status part(status.code(),
                m.substr(start, next == std::string::npos ? std::string::npos : next - start));
    json parsed = ErrorsFromStatus(part);  // kept: range-for would not extend a temporary
    for (auto& e : parsed["errors"]) errors.push_back(std::move(e));
    if (next == std::string::npos) break;
    start = next + 2;
  }
  return {{"errors", errors}};
}

HttpResponse Refused(const Status& s) {
  int status = 500;
  if (s.code() == Code::kInvalidArgument) status = 422;
  if (s.code() == Code::kNotFound) status = 404;
  if (s.code() == Code::kFailedPrecondition) status = 409;
  return JsonResponse(status, LaneErrors(s));
}

// The movement's id from the body, or the refusal.
std::optional<HttpResponse> TakeMovement(json& body, std::string* id) {
  if (!body.contains("movement") || !body["movement"].is_string()) {
    std::string v = body.contains("movement") ? body["movement"].dump() : "";
    return Fail(422, "movement", v, "the id of a movement (a string)",
                "movement: the id of the movement is required");
  }
  *id = body["movement"].get<std::string>();
  body.erase("movement");
  return std::nullopt;
}

}  // namespace

HttpResponse App::LaneDecision(const std::string& request_body, node::Actor actor) {
  auto parsed = ParseJsonBody(request_body);
  if (!parsed.ok()) return Fail(400, "body", "", "a JSON object", parsed.status().message());
  json& b = *parsed;
  std::string movement;
  if (auto refused = TakeMovement(b, &movement)) return *refused;
  node::LaneChoice choice;
  if (b.contains("accept")) {
    if (!b["accept"].is_boolean()) {
      return Fail(422, "accept", b["accept"].dump(), "true or false",
                  "accept: true takes the recommended lane");
    }
    choice.accept = b["accept"].get<bool>();
  }
  if (b.contains("lane") && !b["lane"].is_null()) {
    std::string lane = b["lane"].is_string() ? b["lane"].get<std::string>() : b["lane"].dump();
    if (lane == "red") choice.lane = risk::Lane::kRed;
    if (lane == "yellow") choice.lane = risk::Lane::kYellow;
    if (lane == "green") choice.lane = risk::Lane::kGreen;
    if (!choice.lane) {
      return Fail(422, "lane", lane, "red, yellow or green",
                  "lane: \"" + lane + "\" is not red, yellow or green");
    }
  }
  if (b.contains("reason") && !b["reason"].is_null()) {
    if (!b["reason"].is_string()) {
      return Fail(422, "reason", b["reason"].dump(), "text", "reason: must be text");
    }
    choice.reason = b["reason"].get<std::string>();
  }
  auto d = node::DecideLane(store_, movement, choice, actor);
  if (!d.ok()) return Refused(d.status());
  auto name = [](std::optional<risk::Lane> l) {
    return l ? json(std::string(risk::LaneName(*l))) : json(nullptr);
  };
  return JsonResponse(201, {{"id", UuidToString(d->id)},
                            {"movement", movement},
                            {"lane", name(d->lane)},
                            {"recommended", name(d->recommended)},
                            {"override", d->override},
                            {"officer", actor.officer}});
}

HttpResponse App::LaneInspection(const std::string& request_body, node::Actor actor) {
  auto parsed = ParseJsonBody(request_body);
  if (!parsed.ok()) return Fail(400, "body", "", "a JSON object", parsed.status().message());
  json& b = *parsed;
  std::string movement;
  if (auto refused = TakeMovement(b, &movement)) return *refused;
  auto r = node::RecordInspection(store_, movement, b, actor);
  if (!r.ok()) return Refused(r.status());
  return JsonResponse(201, node::ToJson(*r));
}

}  // namespace outpost::web
