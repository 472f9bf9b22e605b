#include "node/network.h"

#include <algorithm>
#include <map>

#include "base/clock.h"
#include "node/registry.h"

namespace outpost::node {
namespace {

using nlohmann::json;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMaxSessionsPage = 500;

int StateRank(const std::string& state) {
  static const char* kOrder[] = {"behind", "failing", "never connected", "ok", "revoked"};
  for (int i = 0; i < 5; ++i) {
    if (state == kOrder[i]) return i;
  }
  return 5;
}

// Every ruleset this node holds, the newest (issue time, then version) first.
struct RulesetRow {
  Uuid row{};
  RulesetSeen seen;
};
Result<std::vector<RulesetRow>> Rulesets(Store& store) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, store.db().Prepare("SELECT id, ruleset_id, version, issued "
                                                       "FROM live_risk_ruleset ORDER BY issued "
                                                       "DESC, version DESC"));
  std::vector<RulesetRow> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    RulesetRow r;
    auto b = st->Blob(0);
    if (b.size() == r.row.size()) std::copy(b.begin(), b.end(), r.row.begin());
    r.seen = {st->TextOrEmpty(1), st->Int(2), st->Int(3)};
    out.push_back(std::move(r));
  }
  return out;
}

// The newest ruleset one of `site`'s assessments names (invariant 4). One
// indexed probe per ruleset (idx_risk_assessment_ruleset), newest first:
// a crossing that is up to date answers at the first.
Result<std::optional<RulesetSeen>> RulesetOf(Store& store, const std::vector<RulesetRow>& rulesets,
                                             const std::string& site) {
  if (rulesets.empty()) return std::optional<RulesetSeen>();
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("SELECT 1 FROM live_risk_assessment a JOIN live_scope s ON "
                                 "s.scope_idx = a.scope_idx WHERE a.ruleset = ? AND s.name = ? "
                                 "LIMIT 1"));
  for (const RulesetRow& r : rulesets) {
    st->BindBlob(1, r.row).Bind(2, std::string_view("site:" + site));
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    st->Reset();
    if (row) return std::optional<RulesetSeen>(r.seen);
  }
  return std::optional<RulesetSeen>();
}

// What the trust log and the quarantine hold of batches by `node`.
Status RefusalsOf(Store& store, CrossingHealth& c) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, store.db().Cached("SELECT (SELECT count(*) FROM trust_log WHERE origin = ?1), "
                                 "(SELECT message FROM trust_log WHERE origin = ?1 ORDER BY id "
                                 "DESC LIMIT 1), (SELECT count(*) FROM quarantine WHERE origin = "
                                 "?1)"));
  st->BindBlob(1, c.id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (row) {
    c.refused_batches = st->Int(0);
    c.last_refusal = st->TextOrEmpty(1);
    c.quarantined = st->Int(2);
  }
  return Status::Ok();
}

void Classify(CrossingHealth& c, int64_t now, int64_t behind_after) {
  int64_t since = c.last_contact ? c.last_contact : c.enrolled;
  c.behind = !c.revoked && now - since > behind_after;
  c.cert_expired = c.cert_expires != 0 && c.cert_expires <= now;
  if (c.revoked) {
    c.state = "revoked";
  } else if (c.behind) {
    c.state = "behind";
  } else if (!c.last_error.empty()) {
    c.state = "failing";
  } else if (c.never_connected) {
    c.state = "never connected";
  } else {
    c.state = "ok";
  }
}

CrossingHealth FromRegistry(const RegistryEntry& e) {
  CrossingHealth c;
  c.id = e.id;
  c.name = e.name;
  c.site = e.site;
  c.epoch = e.epoch;
  c.enrolled = e.valid_from;
  c.cert_expires = e.valid_until;
  c.revoked = e.revoked;
  c.revoked_at = e.revoked_at;
  c.revoked_reason = e.reason;
  c.never_connected = true;  // until the ledger says otherwise
  return c;
}

void FromPeer(const PeerStatus& p, CrossingHealth& c) {
  c.never_connected = p.never_connected || (p.last_success == 0 && p.last_attempt == 0);
  c.last_contact = p.last_success;
  c.last_attempt = p.last_attempt;
  c.last_error = p.last_error;
  c.failing_since = p.failing_since;
  c.pending_out = p.pending_out;
  c.pending_in = p.pending_in;
}

std::string Outcome(const TransferRecord& t) {
  std::string_view e = t.error;
  bool trust = e.rfind("permission denied", 0) == 0 || e.rfind("unauthenticated", 0) == 0;
  if (t.ok) return t.refused ? "refused" : "ok";
  return trust ? "refused" : "cut";
}

json Time(int64_t micros) { return micros ? json(FormatUtcMicros(micros)) : json(nullptr); }

json RulesetJson(const std::optional<RulesetSeen>& r) {
  if (!r) return nullptr;
  return {{"ruleset_id", r->ruleset_id}, {"version", r->version}, {"issued", Time(r->issued)}};
}

json CrossingJson(const CrossingHealth& c, int64_t now) {
  int64_t since = c.last_contact ? c.last_contact : c.enrolled;
  return {{"id", UuidToString(c.id)},
          {"name", c.name},
          {"site", c.site},
          {"state", c.state},
          {"behind", c.behind},
          {"never_connected", c.never_connected},
          {"last_contact", Time(c.last_contact)},
          {"last_attempt", Time(c.last_attempt)},
          {"silent_seconds", std::max<int64_t>(0, (now - since) / kMicrosPerSecond)},
          {"last_error", c.last_error},
          {"failing_since", Time(c.failing_since)},
          {"pending_out", c.pending_out},
          {"pending_in", c.pending_in},
          {"certificate",
           {{"epoch", c.epoch},
            {"valid_from", Time(c.enrolled)},
            {"expires", Time(c.cert_expires)},
            {"expired", c.cert_expired}}},
          {"revoked", c.revoked},
          {"revoked_at", Time(c.revoked_at)},
          {"revoked_reason", c.revoked_reason},
          {"quarantined", c.quarantined},
          {"refused_batches", c.refused_batches},
          {"last_refusal", c.last_refusal},
          {"ruleset", RulesetJson(c.ruleset)}};
}

}  // namespace

Result<NetworkView> BuildNetworkView(Store& store, int64_t now, int64_t behind_after_micros) {
  NetworkView view;
  view.now = now;
  view.behind_after = behind_after_micros;
  OUTPOST_ASSIGN_OR_RETURN(auto peers, ListPeerStatuses(store));  // creates the local tables
  std::map<sync::NodeId, const PeerStatus*> by_id;
  for (const PeerStatus& p : peers) by_id[p.id] = &p;
  OUTPOST_ASSIGN_OR_RETURN(auto registry, ListRegistry(store));
  OUTPOST_ASSIGN_OR_RETURN(auto rulesets, Rulesets(store));
  if (!rulesets.empty()) view.newest = rulesets.front().seen;
  for (const RegistryEntry& e : registry) {
    if (e.role == Role::kHq || e.id == store.identity().id) continue;
    CrossingHealth c = FromRegistry(e);
    auto p = by_id.find(e.id);
    if (p != by_id.end()) FromPeer(*p->second, c);
    OUTPOST_RETURN_IF_ERROR(RefusalsOf(store, c));
    OUTPOST_ASSIGN_OR_RETURN(c.ruleset, RulesetOf(store, rulesets, c.site));
    Classify(c, now, behind_after_micros);
    view.crossings.push_back(std::move(c));
  }
  std::stable_sort(view.crossings.begin(), view.crossings.end(),
                   [](const CrossingHealth& a, const CrossingHealth& b) {
                     int ra = StateRank(a.state), rb = StateRank(b.state);
                     return ra != rb ? ra < rb : a.name < b.name;
                   });
  return view;
}

Result<SessionPage> CrossingSessions(Store& store, const sync::NodeId& node, int64_t before_id,
                                     int64_t limit) {
  if (limit < 1 || limit > kMaxSessionsPage) {
    return Status::InvalidArgument("limit: " + std::to_string(limit) + " is not within 1.." +
                                   std::to_string(kMaxSessionsPage));
  }
  // One more than asked: whether there is a next page.
  OUTPOST_ASSIGN_OR_RETURN(auto transfers, ListPeerTransfers(store, node, before_id, limit + 1));
  SessionPage page;
  for (const TransferRecord& t : transfers) {
    if (static_cast<int64_t>(page.sessions.size()) == limit) {
      page.next_before = page.sessions.back().id;
      break;
    }
    SessionLine s{t.id,       t.direction, Outcome(t),         t.started,      t.finished, t.error,
                  t.bytes_in, t.bytes_out, t.batches_received, t.batches_sent, t.refused};
    if (s.error.empty()) s.error = t.last_refusal;
    page.sessions.push_back(std::move(s));
  }
  std::vector<std::string> addresses;
  for (const TransferRecord& t : transfers) {
    if (t.direction == "in") addresses.push_back(t.address);
  }
  OUTPOST_ASSIGN_OR_RETURN(auto refused, ListRefusedConnections(store));
  for (RefusedConnection& r : refused) {
    if (std::find(addresses.begin(), addresses.end(), r.address) != addresses.end()) {
      page.refused_connections.push_back(std::move(r));
    }
  }
  return page;
}

json ToJson(const NetworkView& view) {
  json crossings = json::array();
  std::map<std::string, int64_t> counts;
  for (const CrossingHealth& c : view.crossings) {
    crossings.push_back(CrossingJson(c, view.now));
    ++counts[c.state];
  }
  return {{"now", Time(view.now)},
          {"behind_after_hours", static_cast<double>(view.behind_after) / (3600.0 * 1e6)},
          {"newest_ruleset", RulesetJson(view.newest)},
          {"counts", counts},
          {"crossings", crossings}};
}

json ToJson(const SessionPage& page) {
  json sessions = json::array();
  for (const SessionLine& s : page.sessions) {
    sessions.push_back({{"id", s.id},
                        {"direction", s.direction},
                        {"outcome", s.outcome},
                        {"started", Time(s.started)},
                        {"finished", Time(s.finished)},
                        {"duration_ms", std::max<int64_t>(0, (s.finished - s.started) / 1000)},
                        {"bytes_in", s.bytes_in},
                        {"bytes_out", s.bytes_out},
                        {"batches_in", s.batches_in},
                        {"batches_out", s.batches_out},
                        {"refused", s.refused},
                        {"error", s.error}});
  }
  json refused = json::array();
  for (const RefusedConnection& r : page.refused_connections) {
    refused.push_back({{"address", r.address},
                       {"first_seen", Time(r.first_seen)},
                       {"last_seen", Time(r.last_seen)},
                       {"count", r.count},
                       {"last_error", r.last_error}});
  }
  return {{"sessions", sessions},
          {"next_before", page.next_before ? json(page.next_before) : json(nullptr)},
          {"refused_connections", refused}};
}

}  // namespace outpost::node
