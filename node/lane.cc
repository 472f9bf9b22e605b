#include "node/lane.h"

#include "node/audit.h"
#include "node/records_internal.h"

namespace outpost::node {

using nlohmann::json;

namespace {

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

std::string Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

Status RequireActor(const Actor& actor) {
  if (actor.officer.empty()) {
    return Status::InvalidArgument(
        "officer: \"\" must not be empty: every decision and inspection is recorded with who "
        "made it");
  }
  return Status::Ok();
}

// The stored, live movement with id text `text`.
Result<Uuid> FindMovement(Store& store, std::string_view text) {
  auto id = ParseUuid(text);
  if (!id.ok()) {
    return Status::InvalidArgument("movement: " + Quoted(text) + " is not a record id (a UUID)");
  }
  const schema::Table* mt = store.catalogue().Find("movement");
  bool deleted = false;
  auto row = store.replica().ReadRow(*mt, *id, &deleted);
  if (!row.ok() || deleted) {
    return Status::NotFound("movement: " + Quoted(text) + " is no movement on this node");
  }
  return *id;
}

// Whether the latest decision on the movement chose yellow or red against
// the recommendation (the officer selected it).
Result<bool> OfficerSelected(Store& store, const Uuid& movement) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("SELECT lane, override FROM live_risk_decision WHERE movement "
                                 "= ? ORDER BY decided_at DESC, id DESC LIMIT 1"));
  st->BindBlob(1, movement);
  OUTPOST_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) return false;
  std::string_view lane = st->Text(0);
  return st->Int(1) != 0 && (lane == "yellow" || lane == "red");
}

}  // namespace

Result<Decision> DecideLane(Store& store, std::string_view movement_id, const LaneChoice& choice,
                            const Actor& actor) {
  OUTPOST_RETURN_IF_ERROR(RequireActor(actor));
  OUTPOST_ASSIGN_OR_RETURN(Uuid id, FindMovement(store, movement_id));
  std::string note = Trimmed(choice.reason);
  if (note.size() > kMaxReasonBytes) {
    return Status::InvalidArgument("reason: " + std::to_string(note.size()) +
                                   " bytes, more than the limit of " +
                                   std::to_string(kMaxReasonBytes));
  }
  risk::Lane lane = risk::Lane::kGreen;
  std::string reason;
  if (choice.accept) {
    OUTPOST_ASSIGN_OR_RETURN(auto latest, FindLatestAssessment(store, id));
    if (!latest || !latest->lane) {
      return Status::FailedPrecondition(
          "accept: movement " + std::string(movement_id) +
          " has no lane recommendation to accept (no ruleset, or not assessed); choose a lane "
          "and give the reason");
    }
    if (choice.lane && *choice.lane != *latest->lane) {
      return Status::InvalidArgument(
          "lane: " + Quoted(risk::LaneName(*choice.lane)) + " is not the recommended " +
          std::string(risk::LaneName(*latest->lane)) +
          "; to choose another lane, override it with a reason instead of accepting");
    }
    lane = *latest->lane;
    reason = std::string(kAcceptedReason) + (note.empty() ? "" : "; " + note);
  } else {
    if (!choice.lane) {
      return Status::InvalidArgument(
          "lane: \"\" must be red, yellow or green (or accept the recommended lane)");
    }
    if (note.empty()) {
      return Status::InvalidArgument(
          "reason: \"\" must not be empty: a lane the officer chooses is recorded with why "
          "(LED 2016/680 Art. 11)");
    }
    lane = *choice.lane;
    reason = note;
  }
  return RecordDecision(store, UuidToString(id), lane, reason, actor.officer, &actor);
}

namespace {

// Fills the inspection's defaults (lane.h, RecordInspection) and checks what
// the caller may not set. Errors go to `errors`.
Status CompleteInspection(Store& store, const Uuid& movement, const Actor& actor, json& doc,
                          std::optional<Uuid>* assessment, std::vector<std::string>& errors) {
  const std::string mid = UuidToString(movement);
  if (doc.contains("movement") && doc["movement"] != json(mid)) {
    errors.push_back("inspection.movement: " + doc["movement"].dump() +
                     " is not the movement inspected (" + mid + ")");
  }
  doc["movement"] = mid;
  OUTPOST_ASSIGN_OR_RETURN(auto latest, FindLatestAssessment(store, movement));
  if (latest) *assessment = latest->id;
  if (!doc.contains("assessment") && latest) doc["assessment"] = UuidToString(latest->id);
  if (!doc.contains("officers")) doc["officers"] = actor.officer;
  if (!doc.contains("selection_basis")) {
    OUTPOST_ASSIGN_OR_RETURN(bool by_officer, OfficerSelected(store, movement));
    std::string basis = "officer";
    if (!by_officer && latest && latest->random_selected) {
      basis = "random";
    } else if (!by_officer && latest && latest->lane && *latest->lane != risk::Lane::kGreen) {
      basis = "rule";
    }
    doc["selection_basis"] = basis;
  }
  return Status::Ok();
}

// Invariant 3, on the documents as given.
void CheckResultAgrees(const json& doc, size_t seizures, std::vector<std::string>& errors) {
  if (!doc.contains("result") || !doc["result"].is_string()) return;  // the catalogue says why
  const std::string result = doc["result"].get<std::string>();
  // A result the catalogue refuses is named once, by the catalogue's rule.
  if (result != "nil" && result != "irregularity" && result != "seizure") return;
  if (result == "seizure" && seizures == 0) {
    errors.push_back(
        "inspection.result: \"seizure\" needs at least one seizure recorded with it "
        "(inspection.seizures: what was seized, quantity, unit)");
  } else if (result != "seizure" && seizures > 0) {
    errors.push_back("inspection.result: " + Quoted(result) + " contradicts the " +
                     std::to_string(seizures) +
                     " seizure(s) recorded with it; with a seizure the result is \"seizure\"");
  }
}

}  // namespace

Result<RecordedInspection> RecordInspection(Store& store, std::string_view movement_id,
                                            const json& given, const Actor& actor) {
  OUTPOST_RETURN_IF_ERROR(RequireActor(actor));
  OUTPOST_ASSIGN_OR_RETURN(Uuid movement, FindMovement(store, movement_id));
  if (!given.is_object()) {
    return Status::InvalidArgument("inspection: expected a JSON object, got " +
                                   std::string(given.type_name()));
  }
  json doc = given;
  json seizures = json::array();
  std::vector<std::string> errors;
  if (doc.contains("seizures")) {
    seizures = std::move(doc["seizures"]);
    doc.erase("seizures");
    if (!seizures.is_array()) {
      errors.push_back("inspection.seizures: expected an array, got " +
                       std::string(seizures.type_name()));
      seizures = json::array();
    } else if (seizures.size() > kMaxSeizuresPerInspection) {
      return Status::InvalidArgument("inspection.seizures: " + std::to_string(seizures.size()) +
                                     " entries, more than the limit of " +
                                     std::to_string(kMaxSeizuresPerInspection));
    }
  }
  RecordedInspection out;
  out.movement = movement;
  OUTPOST_RETURN_IF_ERROR(CompleteInspection(store, movement, actor, doc, &out.assessment, errors));
  CheckResultAgrees(doc, seizures.size(), errors);

  std::vector<internal::PlannedRow> rows;
  auto planned = internal::PlanDocument(store, "inspection", doc, "inspection");
  // With the inspection refused, its seizures are still checked (against a
  // stand-in id) so that one answer names every field to fix.
  Uuid inspection = store.NewId();
  if (planned.ok()) {
    inspection = planned->front().id;
    rows = std::move(*planned);
  } else {
    errors.push_back(planned.status().message());
  }
  for (size_t i = 0; i < seizures.size(); ++i) {
    std::string path = "inspection.seizures[" + std::to_string(i) + "]";
    json z = seizures[i];
    if (!z.is_object()) {
      errors.push_back(path + ": expected an object, got " + std::string(z.type_name()));
      continue;
    }
    if (z.contains("inspection")) {
      errors.push_back(path + ".inspection: is set by the node; leave it out");
      continue;
    }
    z["inspection"] = UuidToString(inspection);
    auto p = internal::PlanDocument(store, "seizure", z, path);
    if (!p.ok()) {
      errors.push_back(p.status().message());
      continue;
    }
    out.seizures.push_back(p->front().id);
    for (auto& r : *p) rows.push_back(std::move(r));
  }
  if (!errors.empty()) return Status::InvalidArgument(internal::JoinErrors(errors));

  out.id = inspection;
  out.selection_basis = doc["selection_basis"].get<std::string>();
  out.result = doc["result"].get<std::string>();
  OUTPOST_ASSIGN_OR_RETURN(auto w, store.replica().BeginWrite());
  for (const auto& p : rows) {
    std::vector<sync::ColumnValue> vals;
    for (const auto& [col, v] : p.row.values) vals.push_back({col->id, v});
    OUTPOST_RETURN_IF_ERROR(w->Insert(*p.table, p.id, store.ScopeFor(*p.table), vals));
  }
  json ids = json::array();
  for (const auto& z : out.seizures) ids.push_back(UuidToString(z));
  AuditEvent ev{
      AuditAction::kCollect, actor.officer, "inspection", out.id,
      json{{"movement", UuidToString(movement)}, {"result", out.result}, {"seizures", ids}}};
  StampActor(actor, ev);
  OUTPOST_RETURN_IF_ERROR(AuditLog(store).Append(*w, ev));
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return out;
}

json ToJson(const RecordedInspection& r) {
  json seizures = json::array();
  for (const auto& z : r.seizures) seizures.push_back(UuidToString(z));
  return {{"id", UuidToString(r.id)},
          {"movement", UuidToString(r.movement)},
          {"assessment", r.assessment ? json(UuidToString(*r.assessment)) : json(nullptr)},
          {"selection_basis", r.selection_basis},
          {"result", r.result},
          {"seizures", seizures}};
}

}  // namespace outpost::node
