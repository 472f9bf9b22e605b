#include "node/shift.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "node/audit.h"
#include "node/risk/distribution.h"

namespace outpost::node {
namespace {

using nlohmann::json;

constexpr int64_t kMicros = 1'000'000;

Uuid UuidOf(std::span<const uint8_t> b) {
  Uuid u{};
  if (b.size() == u.size()) std::copy(b.begin(), b.end(), u.begin());
  return u;
}

std::string OwnMovementScope(Store& store) {
  const schema::Table* t = store.catalogue().Find("movement");
  return t ? store.ScopeFor(*t) : "";
}

// The day's own movements with what the queue and the summary need:
// latest assessment lane, latest decision lane, whether inspected.
constexpr char kDaySql[] =
    "SELECT m.id, m.time, m.direction, m.mode, m.lane, v.plate, "
    " (SELECT a.lane FROM live_risk_assessment a WHERE a.movement = m.id "
    "  ORDER BY a.assessed_at DESC, a.id DESC LIMIT 1), "
    " (SELECT d.lane FROM live_risk_decision d WHERE d.movement = m.id "
    "  ORDER BY d.decided_at DESC, d.id DESC LIMIT 1), "
    " EXISTS (SELECT 1 FROM live_inspection i WHERE i.movement = m.id) "
    "FROM live_movement m JOIN live_scope s ON s.scope_idx = m.scope_idx "
    "LEFT JOIN live_vehicle v ON v.id = m.vehicle "
    "WHERE s.name = ? AND m.time >= ? AND m.time < ? ORDER BY m.time, m.id";

Status CountsOfDay(Store& store, const Day& day, ShiftSummary& out) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare(kDaySql));
  st->Bind(1, OwnMovementScope(store)).Bind(2, day.start).Bind(3, day.end);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) break;
    ++out.movements;
    std::string lane = st->TextOrEmpty(4);
    ++out.by_lane[lane.empty() ? "undecided" : lane];
    ++out.by_mode[st->TextOrEmpty(3)];
  }
  return Status::Ok();
}

// Joins the day's own movements (m) to `from` (the rest of a query).
std::string OfDay(const std::string& select, const std::string& from) {
  return select + " FROM " + from +
         " JOIN live_movement m ON m.id = x.movement "
         "JOIN live_scope s ON s.scope_idx = m.scope_idx "
         "WHERE s.name = ? AND m.time >= ? AND m.time < ?";
}

Status OverridesOfDay(Store& store, const Day& day, ShiftSummary& out) {
  std::string sql = OfDay(
                        "SELECT x.movement, x.decided_at, x.recommended, x.lane, x.reason, "
                        "x.officer",
                        "live_risk_decision x") +
                    " AND x.override = 1 ORDER BY x.decided_at, x.id";
  OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare(sql));
  st->Bind(1, OwnMovementScope(store)).Bind(2, day.start).Bind(3, day.end);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) break;
    out.overrides.push_back({UuidOf(st->Blob(0)), st->Int(1), st->TextOrEmpty(2),
                             st->TextOrEmpty(3), st->TextOrEmpty(4), st->TextOrEmpty(5)});
  }
  return Status::Ok();
}

Status InspectionsOfDay(Store& store, const Day& day, ShiftSummary& out) {
  std::string scope = OwnMovementScope(store);
  {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             store.db().Prepare(OfDay("SELECT count(*)", "live_inspection x")));
    st->Bind(1, scope).Bind(2, day.start).Bind(3, day.end);
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) out.inspections = st->Int(0);
  }
  std::string sql =
      "SELECT z.commodity_group, z.subtype, z.quantity, z.unit, z.amount, z.currency "
      "FROM live_seizure z JOIN live_inspection x ON x.id = z.inspection "
      "JOIN live_movement m ON m.id = x.movement "
      "JOIN live_scope s ON s.scope_idx = m.scope_idx "
      "WHERE s.name = ? AND m.time >= ? AND m.time < ? ORDER BY m.time, z.id";
  OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare(sql));
  st->Bind(1, scope).Bind(2, day.start).Bind(3, day.end);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) break;
    SeizureLine z;
    z.commodity_group = st->TextOrEmpty(0);
    z.subtype = st->TextOrEmpty(1);
    z.quantity = st->Double(2);
    z.unit = st->TextOrEmpty(3);
    if (!st->IsNull(4)) z.amount = st->Double(4);
    z.currency = st->TextOrEmpty(5);
    out.seizure_list.push_back(std::move(z));
  }
  out.seizures = static_cast<int64_t>(out.seizure_list.size());
  return Status::Ok();
}

std::string Ago(int64_t now, int64_t then) {
  int64_t s = std::max<int64_t>(0, (now - then) / kMicros);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172'800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86'400) + " days ago";
}

std::string SyncWarning(const std::vector<PeerStatus>& peers, int64_t now, int64_t stale) {
  if (peers.empty()) return "This node has no sync peer: nothing reaches HQ.";
  int64_t last = 0;
  std::string error;
  for (const auto& p : peers) {
    if (p.revoked_at) continue;
    last = std::max(last, p.last_success);
    if (!p.last_error.empty() && error.empty()) {
      error = (p.name.empty() ? std::string("a peer") : p.name) + ": " + p.last_error;
    }
  }
  if (!error.empty()) return "The last sync failed (" + error + ").";
  if (last == 0) return "Never synced with HQ.";
  if (now - last > stale) return "Last sync with HQ " + Ago(now, last) + ".";
  return "";
}

json PeerJson(const PeerStatus& p, int64_t now) {
  return {{"name", p.name.empty() ? UuidToString(p.id) : p.name},
          {"address", p.address},
          {"last_success", p.last_success ? FormatUtcMicros(p.last_success) : ""},
          {"last_success_ago", p.last_success ? Ago(now, p.last_success) : "never"},
          {"pending_out", p.pending_out},
          {"pending_in", p.pending_in},
          {"last_error", p.last_error},
          {"failing_since", p.failing_since ? FormatUtcMicros(p.failing_since) : ""},
          {"revoked", p.revoked_at != 0}};
}

}  // namespace

Day LocalDay(int64_t micros) {
  time_t t = static_cast<time_t>(micros / kMicros);
  struct tm tm {};
  localtime_r(&t, &tm);
  Day d;
  char date[40];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  d.date = date;
  d.zone = tm.tm_zone && *tm.tm_zone ? tm.tm_zone : "UTC";
  struct tm start = tm;
  start.tm_hour = start.tm_min = start.tm_sec = 0;
  start.tm_isdst = -1;
  struct tm next = start;
  ++next.tm_mday;  // mktime normalises; a DST day is 23 or 25 h long
  d.start = static_cast<int64_t>(mktime(&start)) * kMicros;
  d.end = static_cast<int64_t>(mktime(&next)) * kMicros;
  return d;
}

std::string LocalClock(int64_t micros) {
  time_t t = static_cast<time_t>(micros / kMicros);
  struct tm tm {};
  localtime_r(&t, &tm);
  char out[32];
  std::snprintf(out, sizeof out, "%02d:%02d", tm.tm_hour, tm.tm_min);
  return out;
}

Result<std::vector<QueueItem>> Queue(Store& store, const Day& day, const Actor& actor) {
  std::vector<QueueItem> out;
  OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare(kDaySql));
  st->Bind(1, OwnMovementScope(store)).Bind(2, day.start).Bind(3, day.end);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) break;
    QueueItem q{UuidOf(st->Blob(0)), st->Int(1),         st->TextOrEmpty(5), st->TextOrEmpty(2),
                st->TextOrEmpty(3),  st->TextOrEmpty(6), st->TextOrEmpty(7), ""};
    bool inspected = st->Int(8) != 0;
    if (q.lane.empty()) {
      q.awaits = "decision";
    } else if (!q.lane.empty() && q.lane != "green" && !inspected) {
      q.awaits = "inspection";
    } else {
      continue;
    }
    out.push_back(std::move(q));
  }
  bool plates =
      std::any_of(out.begin(), out.end(), [](const QueueItem& q) { return !q.plate.empty(); });
  if (plates) {
    OUTPOST_ASSIGN_OR_RETURN(auto w, store.replica().BeginWrite());
    AuditEvent ev{AuditAction::kConsult, actor.officer, "vehicle", std::nullopt,
                  json{{"listed", out.size()}}};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(AuditLog(store).Append(*w, ev));
    OUTPOST_RETURN_IF_ERROR(w->Commit());
  }
  return out;
}

Result<ShiftSummary> BuildShiftSummary(Store& store, const Day& day) {
  ShiftSummary s;
  s.day = day;
  OUTPOST_RETURN_IF_ERROR(CountsOfDay(store, day, s));
  OUTPOST_RETURN_IF_ERROR(OverridesOfDay(store, day, s));
  OUTPOST_RETURN_IF_ERROR(InspectionsOfDay(store, day, s));
  OUTPOST_ASSIGN_OR_RETURN(s.peers, ListPeerStatuses(store));
  OUTPOST_ASSIGN_OR_RETURN(auto activation, ActivateNewest(store));
  if (activation.active) {
    s.ruleset_id = activation.active->info.ruleset_id;
    s.ruleset_version = activation.active->info.version;
    s.ruleset_issued = activation.active->info.issued;
  }
  s.rulesets_refused = static_cast<int64_t>(activation.refused.size());
  return s;
}

json ToJson(const QueueItem& q) {
  return {{"id", UuidToString(q.movement)},
          {"time", FormatUtcMicros(q.time)},
          {"local_time", LocalClock(q.time)},
          {"plate", q.plate},
          {"direction", q.direction},
          {"mode", q.mode},
          {"recommended", q.recommended.empty() ? json(nullptr) : json(q.recommended)},
          {"lane", q.lane.empty() ? json(nullptr) : json(q.lane)},
          {"awaits", q.awaits}};
}

json ToJson(const ShiftSummary& s, int64_t now, int64_t stale_after_micros) {
  json overrides = json::array();
  for (const auto& o : s.overrides) {
    overrides.push_back({{"movement", UuidToString(o.movement)},
                         {"decided_at", FormatUtcMicros(o.decided_at)},
                         {"local_time", LocalClock(o.decided_at)},
                         {"recommended", o.recommended},
                         {"lane", o.lane},
                         {"reason", o.reason},
                         {"officer", o.officer}});
  }
  json seizures = json::array();
  for (const auto& z : s.seizure_list) {
    seizures.push_back({{"commodity_group", z.commodity_group},
                        {"subtype", z.subtype},
                        {"quantity", z.quantity},
                        {"unit", z.unit},
                        {"amount", z.amount ? json(*z.amount) : json(nullptr)},
                        {"currency", z.currency}});
  }
  json peers = json::array();
  for (const auto& p : s.peers) peers.push_back(PeerJson(p, now));
  json ruleset = nullptr;
  if (!s.ruleset_id.empty()) {
    ruleset = {{"ruleset_id", s.ruleset_id},
               {"version", s.ruleset_version},
               {"issued", FormatUtcMicros(s.ruleset_issued)}};
  }
  return {{"day", {{"date", s.day.date}, {"zone", s.day.zone}}},
          {"movements", s.movements},
          {"by_lane", s.by_lane},
          {"by_mode", s.by_mode},
          {"overrides", overrides},
          {"inspections", s.inspections},
          {"seizures", s.seizures},
          {"seizure_list", seizures},
          {"sync", {{"peers", peers}, {"warning", SyncWarning(s.peers, now, stale_after_micros)}}},
          {"ruleset", ruleset},
          {"rulesets_refused", s.rulesets_refused}};
}

}  // namespace outpost::node
