#include "node/risk/assessments.h"

#include <algorithm>
#include <map>
#include <set>

#include "node/audit.h"
#include "node/records_internal.h"
#include "schema/column_ids.h"

namespace outpost::node {

using nlohmann::json;

using internal::TableOf;

namespace {

constexpr size_t kHitsMax = 8000;
constexpr size_t kShadowMax = 4000;
constexpr size_t kWarningsMax = 2000;
constexpr size_t kRulesHitMax = 1000;

Result<risk::Lane> LaneFromName(std::string_view s) {
  if (s == "green") return risk::Lane::kGreen;
  if (s == "yellow") return risk::Lane::kYellow;
  if (s == "red") return risk::Lane::kRed;
  return Status::InvalidArgument("lane: \"" + std::string(s) + "\" is not red, yellow or green");
}

// The hits as JSON text of at most `max` bytes: matched values are cut
// first, then descriptions and instructions, then hits themselves; a cut
// list ends with {"truncated": N}.
std::string HitsText(const std::vector<risk::Hit>& hits, size_t max) {
  auto render = [&](int level) {
    json a = json::array();
    for (const auto& h : hits) {
      json j = {{"rule_id", h.rule_id}, {"rule_version", h.rule_version}, {"score", h.score}};
      if (h.forced_lane) j["lane"] = risk::LaneName(*h.forced_lane);
      if (h.floor_lane) j["floor"] = risk::LaneName(*h.floor_lane);
      if (level == 0) {
        j["matched"] = h.matched;
      } else if (level == 1 && !h.matched.empty()) {
        j["matched"] = std::vector<std::string>(
            h.matched.begin(), h.matched.begin() + std::min<size_t>(2, h.matched.size()));
      }
      a.push_back(std::move(j));
    }
    return a;
  };
  for (int level = 0; level < 3; ++level) {
    std::string s = render(level).dump();
    if (s.size() <= max) return s;
  }
  json a = render(2);
  while (!a.empty()) {
    size_t cut = hits.size() - a.size() + 1;
    a.erase(a.end() - 1);
    json b = a;
    b.push_back({{"truncated", cut}});
    std::string s = b.dump();
    if (s.size() <= max) return s;
  }
  return "[]";
}

std::string Clip(std::string s, size_t max) {
  if (s.size() <= max) return s;
  s.resize(max);
  // Do not end inside a UTF-8 sequence.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  return s;
}

std::string SiteScope(std::string_view site) { return "site:" + std::string(site); }

}  // namespace

Result<int64_t> StoreHistory::CountCrossings(std::string_view plate, int64_t since_micros) {
  auto fail = [this](const Status& s) {
    Status e = s.WithContext("history of crossings");
    if (status_.ok()) status_ = e;
    return e;
  };
  const schema::Table& mt = TableOf(store_, "movement");
  std::string scope = store_.ScopeFor(mt);
  auto st = store_.db().Cached(
      "SELECT count(*) FROM live_movement m JOIN vehicle v ON v.id = m.vehicle "
      "JOIN live_scope s ON s.scope_idx = m.scope_idx "
      "WHERE v.plate = ? AND m.time >= ? AND s.name = ? AND m.id != ?");
  if (!st.ok()) return fail(st.status());
  Uuid ex = exclude_.value_or(Uuid{});
  (*st)->Bind(1, plate).Bind(2, since_micros).Bind(3, scope).BindBlob(4, ex);
  auto row = (*st)->Step();
  if (!row.ok()) return fail(row.status());
  if (!*row) return fail(Status::Internal("count(*) returned no row"));
  return (*st)->Int(0);
}

Result<StoredAssessment> AssessMovement(Store& store, const ActiveRuleset& active,
                                        const Uuid& movement_id, const json& doc) {
  const schema::Table& mt = TableOf(store, "movement");
  bool deleted = false;
  OUTPOST_ASSIGN_OR_RETURN(auto values, store.replica().ReadRow(mt, movement_id, &deleted));
  if (deleted) return Status::NotFound("movement " + UuidToString(movement_id) + " is deleted");
  json m = doc.is_object() ? doc : json::object();
  // The stored row has the defaults the record API filled in (time, crossing).
  for (size_t i = 0; i < mt.columns.size() && i < values.size(); ++i) {
    const auto& c = mt.columns[i];
    if (c.name == "time" && std::holds_alternative<int64_t>(values[i])) {
      m["time"] = FormatUtcMicros(std::get<int64_t>(values[i]));
    } else if (c.name == "crossing" && std::holds_alternative<std::string>(values[i])) {
      m["crossing"] = std::get<std::string>(values[i]);
    }
  }
  StoreHistory history(store, movement_id);
  risk::AssessContext ctx;
  ctx.history = &history;
  if (store.identity().role == Role::kSite) ctx.crossing = store.identity().site;
  int64_t now = store.clock().NowMicros();
  StoredAssessment out;
  out.assessment = active.engine.Assess(m, UuidToString(movement_id), now, ctx);
  OUTPOST_RETURN_IF_ERROR(history.status());
  const risk::Assessment& a = out.assessment;

  std::string rules_hit, warnings;
  for (const auto& h : a.hits) {
    if (rules_hit.size() + h.rule_id.size() + 1 > kRulesHitMax) break;
    if (!rules_hit.empty()) rules_hit += ",";
    rules_hit += h.rule_id;
  }
  for (const auto& w : a.warnings) warnings += (warnings.empty() ? "" : "\n") + w;

  const schema::Table& at = TableOf(store, "risk_assessment");
  out.id = store.NewId();
  const Uuid& rs = active.info.row_id;
  namespace C = schema::columns::risk_assessment;
  std::vector<sync::ColumnValue> cols = {
      {C::kMovement, Bytes(movement_id.begin(), movement_id.end())},
      {C::kRuleset, Bytes(rs.begin(), rs.end())},
      {C::kRulesetId, a.ruleset_id},
      {C::kRulesetVersion, int64_t{a.ruleset_version}},
      {C::kScore, int64_t{a.score}},
      {C::kLane, std::string(risk::LaneName(a.lane))},
      {C::kRandomSelected, int64_t{a.random_selected}},
      {C::kRandomDraw, a.random_draw},
      {C::kRandomRate, a.random_rate},
      {C::kStale, int64_t{a.stale}},
      {C::kHits, HitsText(a.hits, kHitsMax)},
      {C::kShadowHits, HitsText(a.shadow_hits, kShadowMax)},
      {C::kRulesHit, rules_hit},
      {C::kWarnings, Clip(warnings, kWarningsMax)},
      {C::kAssessedAt, now},
  };
  OUTPOST_ASSIGN_OR_RETURN(auto w, store.replica().BeginWrite());
  OUTPOST_RETURN_IF_ERROR(w->Insert(at, out.id, store.ScopeFor(at), cols));
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return out;
}

Result<std::optional<LatestAssessment>> FindLatestAssessment(Store& store, const Uuid& movement) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("SELECT id, lane, random_selected FROM live_risk_assessment "
                                 "WHERE movement = ? ORDER BY assessed_at DESC, id DESC LIMIT 1"));
  st->BindBlob(1, movement);
  OUTPOST_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) return std::optional<LatestAssessment>();
  LatestAssessment a;
  auto b = st->Blob(0);
  if (b.size() == a.id.size()) std::copy(b.begin(), b.end(), a.id.begin());
  auto l = LaneFromName(st->Text(1));
  if (l.ok()) a.lane = *l;
  a.random_selected = st->Int(2) != 0;
  return std::optional<LatestAssessment>(a);
}

Result<Decision> RecordDecision(Store& store, std::string_view movement_id, risk::Lane lane,
                                const std::string& reason, const std::string& officer,
                                const Actor* audited) {
  if (reason.empty()) {
    return Status::InvalidArgument(
        "--reason: a decision is recorded with its reason (LED Art. 11); it must not be empty");
  }
  if (officer.empty()) {
    return Status::InvalidArgument(
        "--officer: a decision is recorded with the officer who made it");
  }
  auto id = ParseUuid(movement_id);
  if (!id.ok()) return id.status().WithContext("MOVEMENT_ID");
  const schema::Table& mt = TableOf(store, "movement");
  bool deleted = false;
  auto row = store.replica().ReadRow(mt, *id, &deleted);
  if (!row.ok() || deleted) {
    return Status::NotFound("MOVEMENT_ID: no movement " + std::string(movement_id) +
                            " on this node");
  }
  Decision d;
  d.lane = lane;
  OUTPOST_ASSIGN_OR_RETURN(auto latest, FindLatestAssessment(store, *id));
  std::optional<Uuid> assessment;
  if (latest) {
    assessment = latest->id;
    d.recommended = latest->lane;
  }
  d.override = d.recommended.has_value() && *d.recommended != lane;
  const schema::Table& dt = TableOf(store, "risk_decision");
  d.id = store.NewId();
  // One value at a time: GCC 12 warns (falsely) about variants copied out of
  // an initializer list here.
  std::vector<sync::ColumnValue> cols;
  auto add = [&cols](uint16_t column, schema::Value v) {
    cols.emplace_back();
    cols.back().column = column;
    cols.back().value = std::move(v);
  };
  add(1, Bytes(id->begin(), id->end()));
  if (assessment) add(2, Bytes(assessment->begin(), assessment->end()));
  if (d.recommended) add(3, std::string(risk::LaneName(*d.recommended)));
  add(4, std::string(risk::LaneName(lane)));
  add(5, Clip(reason, 1000));
  add(6, officer);
  add(7, store.clock().NowMicros());
  add(8, int64_t{d.override});
  OUTPOST_ASSIGN_OR_RETURN(auto w, store.replica().BeginWrite());
  OUTPOST_RETURN_IF_ERROR(w->Insert(dt, d.id, store.ScopeFor(dt), cols));
  // The movement's lane is the lane the officer chose.
  std::vector<sync::ColumnValue> lane_col = {{5, std::string(risk::LaneName(lane))}};
  OUTPOST_RETURN_IF_ERROR(w->Update(mt, *id, lane_col));
  if (audited) {
    AuditEvent ev{AuditAction::kCollect, audited->officer, "risk_decision", d.id,
                  json{{"movement", UuidToString(*id)},
                       {"lane", risk::LaneName(lane)},
                       {"override", d.override}}};
    StampActor(*audited, ev);
    OUTPOST_RETURN_IF_ERROR(AuditLog(store).Append(*w, ev));
  }
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return d;
}

Result<RiskReport> BuildReport(Store& store, const ReportOptions& o) {
  struct Movement {
    int64_t assessed_at = 0;
    bool selected = false, random = false, inspected = false, positive = false;
    std::vector<std::string> rules, shadow;
  };
  std::map<Bytes, Movement> movements;
  {
    std::string sql =
        "SELECT a.movement, a.assessed_at, a.lane, a.random_selected, a.rules_hit, "
        "a.shadow_hits FROM live_risk_assessment a JOIN live_movement m ON m.id = a.movement "
        "JOIN live_scope s ON s.scope_idx = m.scope_idx "
        "WHERE a.assessed_at >= ? AND (? = '' OR s.name = ?)";
    OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare(sql));
    std::string scope = o.site.empty() ? "" : SiteScope(o.site);
    st->Bind(1, o.since_micros.value_or(INT64_MIN)).Bind(2, scope).Bind(3, scope);
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
      if (!more) break;
      auto idb = st->Blob(0);
      Bytes key(idb.begin(), idb.end());
      int64_t at = st->Int(1);
      auto it = movements.find(key);
      if (it != movements.end() && it->second.assessed_at > at) continue;  // keep the latest
      Movement mv;
      mv.assessed_at = at;
      std::string_view lane = st->Text(2);
      mv.selected = lane == "yellow" || lane == "red";
      mv.random = st->Int(3) != 0;
      std::string rules(st->Text(4));
      size_t start = 0;
      while (start < rules.size()) {
        size_t comma = rules.find(',', start);
        if (comma == std::string::npos) comma = rules.size();
        if (comma > start) mv.rules.push_back(rules.substr(start, comma - start));
        start = comma + 1;
      }
      json shadow = json::parse(st->Text(5), nullptr, false);
      if (shadow.is_array()) {
        for (const auto& h : shadow) {
          if (h.is_object() && h.contains("rule_id") && h["rule_id"].is_string()) {
            mv.shadow.push_back(h["rule_id"].get<std::string>());
          }
        }
      }
      movements[key] = std::move(mv);
    }
  }
  {
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        store.db().Prepare("SELECT i.movement, i.result, "
                           "(SELECT count(*) FROM live_seizure z WHERE z.inspection = i.id) "
                           "FROM live_inspection i"));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
      if (!more) break;
      auto idb = st->Blob(0);
      auto it = movements.find(Bytes(idb.begin(), idb.end()));
      if (it == movements.end()) continue;
      it->second.inspected = true;
      std::string_view result = st->Text(1);
      if (result == "irregularity" || result == "seizure" || st->Int(2) > 0) {
        it->second.positive = true;
      }
    }
  }
  RiskReport r;
  OUTPOST_ASSIGN_OR_RETURN(
      r.overrides,
      store.db().QueryInt("SELECT count(*) FROM live_risk_decision WHERE override = 1"));
  std::map<std::pair<bool, std::string>, RuleFigures> rules;  // (shadow, id)
  for (const auto& [id, mv] : movements) {
    ++r.assessed;
    r.inspected += mv.inspected;
    r.positives += mv.inspected && mv.positive;
    r.selections += mv.selected;
    if (mv.random) {
      ++r.control;
      r.control_inspected += mv.inspected;
      r.control_positives += mv.inspected && mv.positive;
    }
    auto count = [&rules, &mv = mv](const std::vector<std::string>& ids, bool shadow) {
      std::set<std::string> seen(ids.begin(), ids.end());
      for (const auto& rule : seen) {
        RuleFigures& f = rules[{shadow, rule}];
        f.rule_id = rule;
        f.shadow = shadow;
        ++f.hits;
        f.inspections += mv.inspected;
        f.positives += mv.inspected && mv.positive;
        f.selections += mv.selected;
      }
    };
    count(mv.rules, false);
    count(mv.shadow, true);
  }
  auto ratio = [](int64_t a, int64_t b) -> std::optional<double> {
    if (b == 0) return std::nullopt;
    return static_cast<double>(a) / static_cast<double>(b);
  };
  r.inspected_share = ratio(r.inspected, r.assessed);
  r.hit_rate = ratio(r.positives, r.inspected);
  r.control_precision = ratio(r.control_positives, r.control_inspected);
  for (auto& [key, f] : rules) {
    f.precision = ratio(f.positives, f.inspections);
    f.share = ratio(f.selections, r.selections);
    if (f.precision && r.control_precision && *r.control_precision > 0) {
      f.lift = *f.precision / *r.control_precision;
    }
    r.rules.push_back(f);
  }
  return r;
}

json ToJson(const RiskReport& r) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json rules = json::array();
  for (const auto& f : r.rules) {
    rules.push_back({{"rule_id", f.rule_id},
                     {"status", f.shadow ? "shadow" : "active"},
                     {"hits", f.hits},
                     {"inspections", f.inspections},
                     {"positives", f.positives},
                     {"selections", f.selections},
                     {"precision", opt(f.precision)},
                     {"share_of_selections", opt(f.share)},
                     {"lift", opt(f.lift)}});
  }
  return {{"assessed", r.assessed},
          {"inspected", r.inspected},
          {"positives", r.positives},
          {"selections", r.selections},
          {"overrides", r.overrides},
          {"inspected_share", opt(r.inspected_share)},
          {"hit_rate", opt(r.hit_rate)},
          {"control",
           {{"selected", r.control},
            {"inspected", r.control_inspected},
            {"positives", r.control_positives},
            {"precision", opt(r.control_precision)}}},
          {"rules", rules}};
}

}  // namespace outpost::node
