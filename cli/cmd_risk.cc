// Risk commands: HQ's rulesets, the officer's decision, feedback, backtests.
//   outpost risk load FILE [--list NAME=FILE ...] [--watchlist NAME=FILE ...]   (HQ)
//   outpost risk show
//   outpost risk decide MOVEMENT_ID (--lane red|yellow|green --reason TEXT | --accept)
//   outpost risk report [--since TIME] [--site CODE]
//   outpost risk test FILE --records FILE.jsonl [--list ...] [--watchlist ...]
// The officer's lines for the assessment of `outpost record add movement`
// are here too (RiskOutcomeHuman, cli/commands.h). Formats: docs/rules.md.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "base/file.h"
#include "cli/commands.h"
#include "cli/node_access.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "node/keys.h"
#include "node/lane.h"
#include "node/record_movement.h"
#include "node/risk/assessments.h"
#include "node/risk/distribution.h"
#include "schema/validators.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxRulesFileBytes = 4u << 20;
constexpr uint64_t kMaxListFileBytes = 256u << 20;

struct RiskArgs {
  std::string file, records, movement, lane, reason, since, site;
  std::vector<std::string> lists, watchlists;
  bool accept = false;
};

std::string Percent(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", *v * 100);
  return buf;
}

std::string Fixed(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return buf;
}

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

Result<std::string> ReadText(const std::string& path, const std::string& flag, uint64_t max) {
  auto bytes = ReadFile(path, max);
  if (!bytes.ok()) return bytes.status().WithContext(flag);
  return std::string(bytes->begin(), bytes->end());
}

// NAME=FILE with one entry per line (blank lines and lines starting with '#'
// are skipped; a trailing CR is dropped).
Result<std::vector<node::RulesetSource::Entries>> ReadLists(const std::vector<std::string>& specs,
                                                            const std::string& flag) {
  std::vector<node::RulesetSource::Entries> out;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return Status::InvalidArgument(flag + ": \"" + spec +
                                     "\" is not NAME=FILE (the list's name in the ruleset, "
                                     "then a file with one entry per line)");
    }
    node::RulesetSource::Entries e;
    e.name = spec.substr(0, eq);
    OUTPOST_ASSIGN_OR_RETURN(std::string text,
                             ReadText(spec.substr(eq + 1), flag + " " + e.name, kMaxListFileBytes));
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      e.entries.push_back(std::move(line));
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<node::RulesetSource> ReadSource(const RiskArgs& a) {
  node::RulesetSource src;
  OUTPOST_ASSIGN_OR_RETURN(src.text, ReadText(a.file, "FILE", kMaxRulesFileBytes));
  OUTPOST_ASSIGN_OR_RETURN(src.lists, ReadLists(a.lists, "--list"));
  OUTPOST_ASSIGN_OR_RETURN(src.watchlists, ReadLists(a.watchlists, "--watchlist"));
  return src;
}

json ListsJson(const std::vector<risk::Engine::ListInfo>& lists) {
  json j = json::array();
  for (const auto& l : lists) {
    j.push_back({{"name", l.name}, {"watchlist", l.watchlist}, {"entries", l.entries}});
  }
  return j;
}

json InfoJson(const node::RulesetInfo& i) {
  return {{"row_id", UuidToString(i.row_id)},
          {"ruleset_id", i.ruleset_id},
          {"version", i.version},
          {"issued", FormatUtcMicros(i.issued)},
          {"rules", i.rule_count},
          {"shadow_rules", i.shadow_rules},
          {"signer", i.signer},
          {"loaded_by", i.loaded_by},
          {"payload_bytes", i.payload_bytes},
          {"stored_bytes", i.stored_bytes},
          {"chunks", i.chunks},
          {"lists", ListsJson(i.lists)}};
}

std::string ListsHuman(const std::vector<risk::Engine::ListInfo>& lists) {
  std::string s;
  for (const auto& l : lists) {
    s += "\n  " + std::string(l.watchlist ? "watchlist" : "list") + " \"" + l.name +
         "\": " + std::to_string(l.entries) + " entries";
  }
  return s;
}

// The lines an officer reads for one assessment.
std::string AssessmentHuman(const risk::Assessment& a) {
  std::string s = "risk: lane " + Upper(risk::LaneName(a.lane)) + " recommended (score " +
                  std::to_string(a.score) + ", ruleset " + a.ruleset_id + " v" +
                  std::to_string(a.ruleset_version) + ")";
  s += "\n  random selection: " + std::string(a.random_selected ? "yes" : "no");
  if (a.stale) s += " (ruleset is stale: random rate raised)";
  for (const auto& h : a.hits) {
    s += "\n  " + h.rule_id + " v" + std::to_string(h.rule_version) + " score " +
         std::to_string(h.score);
    if (h.forced_lane) s += ", lane " + std::string(risk::LaneName(*h.forced_lane));
    if (h.floor_lane) s += ", floor " + std::string(risk::LaneName(*h.floor_lane));
    if (!h.description.empty()) s += ": " + h.description;
    for (const auto& m : h.matched) s += "\n      matched " + m;
    if (!h.instructions.empty()) s += "\n      instructions: " + h.instructions;
  }
  if (a.hits.empty()) s += "\n  no rule hit";
  for (const auto& w : a.warnings) s += "\n  warning: " + w;
  return s;
}

Status RunLoad(Context& ctx, const RiskArgs& a) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  if (store->identity().role != node::Role::kHq) {
    return Status::PermissionDenied("risk load: only HQ authors rulesets (this node is site " +
                                    store->identity().site +
                                    "); sites receive HQ's signed rulesets by sync");
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string officer, ctx.Officer());
  OUTPOST_ASSIGN_OR_RETURN(node::RulesetSource src, ReadSource(a));
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys unlocked, UnlockNodeKeys(ctx, *store));
  const crypto::NodeSecrets& keys = unlocked.current;
  auto info = node::LoadRuleset(*store, keys, src, officer);
  if (!info.ok()) return info.status().WithContext(a.file);
  ctx.Emit(InfoJson(*info),
           "loaded ruleset \"" + info->ruleset_id + "\" version " + std::to_string(info->version) +
               ": " + std::to_string(info->rule_count) + " rules (" +
               std::to_string(info->shadow_rules) + " shadow), signed by HQ key " + info->signer +
               ", " + std::to_string(info->chunks) + " chunk(s), " +
               std::to_string(info->stored_bytes) + " bytes stored" + ListsHuman(info->lists) +
               "\nit replicates to every node in the shared scope");
  return Status::Ok();
}

Status RunRiskShow(Context& ctx) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(node::Activation act, node::ActivateNewest(*store));
  json j = {{"active", nullptr}, {"refused", node::RefusedRulesetsJson(act.refused)}};
  std::string human;
  if (act.active) {
    const auto& i = act.active->info;
    j["active"] = InfoJson(i);
    int64_t age_s = (store->clock().NowMicros() - i.issued) / 1000000;
    j["active"]["age_seconds"] = age_s;
    j["active"]["watchlist_memory_bytes"] = act.active->engine.WatchlistMemoryBytes();
    human = "active ruleset \"" + i.ruleset_id + "\" version " + std::to_string(i.version) +
            "\n  loaded " + FormatUtcMicros(i.issued) + " (" + std::to_string(age_s / 86400) +
            " days ago) by " + i.loaded_by + ", signed by HQ key " + i.signer + "\n  " +
            std::to_string(i.rule_count) + " rules (" + std::to_string(i.shadow_rules) +
            " shadow)" + ListsHuman(i.lists);
  } else {
    human = "no ruleset loaded: no lane recommended";
  }
  for (const auto& r : act.refused) human += "\nrefused: " + r.reason.message();
  ctx.Emit(j, human);
  return Status::Ok();
}

Result<risk::Lane> ParseLane(const std::string& s) {
  if (s == "green") return risk::Lane::kGreen;
  if (s == "yellow") return risk::Lane::kYellow;
  if (s == "red") return risk::Lane::kRed;
  return Status::InvalidArgument("--lane: \"" + s + "\" is not one of red, yellow, green");
}

Status RunDecide(Context& ctx, const RiskArgs& a) {
  node::LaneChoice choice;
  choice.accept = a.accept;
  choice.reason = a.reason;
  if (!a.lane.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(choice.lane, ParseLane(a.lane));
  }
  if (!a.accept && a.lane.empty()) {
    return Status::InvalidArgument(
        "--lane: choose red, yellow or green (with --reason), or --accept the recommended lane");
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string officer, ctx.Officer());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(node::Decision d,
                           node::DecideLane(*store, a.movement, choice, node::Actor{officer, ""}));
  risk::Lane lane = d.lane;
  json j = {{"id", UuidToString(d.id)},
            {"movement", a.movement},
            {"lane", risk::LaneName(lane)},
            {"recommended", d.recommended ? json(risk::LaneName(*d.recommended)) : json(nullptr)},
            {"override", d.override},
            {"officer", officer}};
  std::string human = "decided lane " + Upper(risk::LaneName(lane)) + " for movement " +
                      a.movement + " (" + officer + ")";
  if (d.recommended) {
    human += d.override
                 ? "; overrides the recommended " + std::string(risk::LaneName(*d.recommended))
                 : "; as recommended";
  } else {
    human += "; no assessment was recorded for it";
  }
  ctx.Emit(j, human);
  return Status::Ok();
}

Status RunReport(Context& ctx, const RiskArgs& a) {
  node::ReportOptions o;
  if (!a.since.empty()) {
    int64_t us = 0;
    if (!ParseUtcMicros(a.since, &us)) {
      return Status::InvalidArgument("--since: \"" + a.since +
                                     "\" is not a UTC time like 2026-11-01T00:00:00Z");
    }
    o.since_micros = us;
  }
  if (!a.site.empty()) {
    OUTPOST_RETURN_IF_ERROR(schema::ValidateSiteCode("--site", a.site));
    o.site = a.site;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  if (!a.site.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(auto known, KnownScopes(*store));
    if (!known.count("site:" + a.site)) {
      std::string sites;
      for (const auto& k : known) {
        if (k.rfind("site:", 0) == 0) sites += (sites.empty() ? "" : ", ") + k.substr(5);
      }
      return Status::NotFound("--site: no crossing " + a.site + " is known here (" +
                              (sites.empty() ? std::string("none yet") : "known: " + sites) + ")");
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(node::RiskReport r, node::BuildReport(*store, o));
  std::string h =
      "assessed " + std::to_string(r.assessed) + ", inspected " + std::to_string(r.inspected) +
      " (" + Percent(r.inspected_share) + "), positives " + std::to_string(r.positives) +
      " (hit rate " + Percent(r.hit_rate) + "), selections " + std::to_string(r.selections) +
      ", overrides " + std::to_string(r.overrides) +
      "\nrandom control: " + std::to_string(r.control) + " selected, " +
      std::to_string(r.control_inspected) + " inspected, " + std::to_string(r.control_positives) +
      " positive (precision " + Percent(r.control_precision) + ")\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %-7s %6s %6s %6s %9s %7s %6s", "rule", "status", "hits",
                "insp", "pos", "precision", "share", "lift");
  h += line;
  for (const auto& f : r.rules) {
    std::snprintf(line, sizeof line, "\n%-16s %-7s %6lld %6lld %6lld %9s %7s %6s",
                  f.rule_id.c_str(), f.shadow ? "shadow" : "active", static_cast<long long>(f.hits),
                  static_cast<long long>(f.inspections), static_cast<long long>(f.positives),
                  Percent(f.precision).c_str(), Percent(f.share).c_str(), Fixed(f.lift).c_str());
    h += line;
  }
  if (r.rules.empty()) h += "\n(no rule hits)";
  ctx.Emit(node::ToJson(r), h);
  return Status::Ok();
}

Status RunTest(Context& ctx, const RiskArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::RulesetSource src, ReadSource(a));
  auto compiled = risk::Engine::Compile(src.text);
  if (!compiled.ok()) return compiled.status().WithContext(a.file);
  risk::Engine engine = std::move(*compiled);
  for (const auto& l : src.lists) {
    std::optional<risk::ListKind> kind;
    for (const auto& d : engine.Lists()) {
      if (!d.watchlist && d.name == l.name) kind = d.kind;
    }
    if (!kind) {
      return Status::NotFound("--list " + l.name + ": the ruleset declares no list of that name");
    }
    OUTPOST_RETURN_IF_ERROR(engine.AddList(l.name, *kind, l.entries));
  }
  for (const auto& l : src.watchlists) {
    Status s = engine.AddWatchlist(l.name, l.entries);
    if (!s.ok()) return s.WithContext("--watchlist " + l.name);
  }
  std::ifstream in(a.records, std::ios::binary);
  if (!in) return Status::NotFound("--records: cannot open " + a.records);
  std::map<std::string, int64_t> lanes = {{"green", 0}, {"yellow", 0}, {"red", 0}};
  std::map<std::string, std::pair<int64_t, bool>> hits;  // rule -> (hits, shadow)
  int64_t movements = 0, random = 0, line_no = 0;
  json errors = json::array();
  std::string line;
  risk::AssessContext actx;  // no history: a backtest has no store
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json doc = json::parse(line, nullptr, false);
    if (!doc.is_object()) {
      errors.push_back({{"line", line_no}, {"error", "not a JSON object"}});
      continue;
    }
    if (doc.contains("type") && doc["type"] != "movement") continue;
    std::string id = doc.contains("id") && doc["id"].is_string()
                         ? doc["id"].get<std::string>()
                         : "line-" + std::to_string(line_no);
    int64_t now = ProcessClock().NowMicros();
    if (doc.contains("time") && doc["time"].is_string()) {
      ParseUtcMicros(doc["time"].get<std::string>(), &now);
    }
    risk::Assessment r = engine.Assess(doc, id, now, actx);
    ++movements;
    ++lanes[std::string(risk::LaneName(r.lane))];
    random += r.random_selected;
    for (const auto& h : r.hits) {
      auto& e = hits[h.rule_id];
      ++e.first;
    }
    for (const auto& h : r.shadow_hits) {
      auto& e = hits[h.rule_id];
      ++e.first;
      e.second = true;
    }
  }
  json rules = json::array();
  std::string h = "backtest of ruleset \"" + engine.ruleset_id() + "\" version " +
                  std::to_string(engine.ruleset_version()) + " on " + std::to_string(movements) +
                  " movements (nothing written; history counts are unknown)\nlanes: red " +
                  std::to_string(lanes["red"]) + ", yellow " + std::to_string(lanes["yellow"]) +
                  ", green " + std::to_string(lanes["green"]) + "; randomly selected " +
                  std::to_string(random);
  for (const auto& [rule, e] : hits) {
    rules.push_back(
        {{"rule_id", rule}, {"hits", e.first}, {"status", e.second ? "shadow" : "active"}});
    h += "\n  " + rule + (e.second ? " (shadow)" : "") + ": " + std::to_string(e.first) + " hits";
  }
  for (const auto& e : errors) {
    h +=
        "\nline " + std::to_string(e["line"].get<int64_t>()) + ": " + e["error"].get<std::string>();
  }
  ctx.Emit({{"ruleset_id", engine.ruleset_id()},
            {"version", engine.ruleset_version()},
            {"movements", movements},
            {"lanes", lanes},
            {"random_selected", random},
            {"rules", rules},
            {"errors", errors}},
           h);
  return Status::Ok();
}

}  // namespace

std::string RiskOutcomeHuman(const node::RiskOutcome& outcome, const std::string& movement_id) {
  if (outcome.state == node::RiskOutcome::State::kFailed) {
    return "risk: not assessed: " + outcome.message + "; the movement is recorded";
  }
  if (!outcome.assessed()) {
    std::string human = "risk: " + outcome.message;
    for (const auto& r : outcome.refused) human += "\n  refused: " + r.reason.message();
    return human;
  }
  std::string human = AssessmentHuman(*outcome.assessment);
  for (const auto& r : outcome.refused) {
    human += "\n  newer ruleset refused: " + r.reason.message();
  }
  return human + "\nthe officer decides: outpost risk decide " + movement_id +
         " --lane red|yellow|green --reason TEXT";
}

void AddRiskCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RiskArgs>();
  auto* risk = app.add_subcommand("risk", "Risk rules: load (HQ), show, decide, report, test");
  risk->require_subcommand(1);

  auto* load = risk->add_subcommand("load", "HQ: compile, sign and distribute a ruleset");
  load->add_option("FILE", args->file, "The ruleset text (docs/rules.md)")->required();
  load->add_option("--list", args->lists, "NAME=FILE: entries of a declared list, one per line");
  load->add_option("--watchlist", args->watchlists,
                   "NAME=FILE: entries of a declared watchlist, one per line");
  OnRun(load, ctx, [&ctx, args] { return RunLoad(ctx, *args); });

  auto* show = risk->add_subcommand("show", "The active ruleset: id, version, age, rules, lists");
  OnRun(show, ctx, [&ctx] { return RunRiskShow(ctx); });

  auto* decide = risk->add_subcommand("decide", "Record the officer's lane for a movement");
  decide->add_option("MOVEMENT_ID", args->movement, "The movement's id")->required();
  auto* lane = decide->add_option("--lane", args->lane, "red, yellow or green");
  lane->check([](const std::string& v) {
    return ParseLane(v).ok() ? std::string() : "\"" + v + "\" is not one of red, yellow, green";
  });
  decide->add_option("--reason", args->reason,
                     "Why (required with --lane; with --accept, a note after \"accepted as "
                     "assessed\")");
  decide->add_flag("--accept", args->accept, "Accept the recommended lane")->excludes(lane);
  OnRun(decide, ctx, [&ctx, args] { return RunDecide(ctx, *args); });

  auto* report = risk->add_subcommand("report", "Per-rule hits, inspections, precision, lift");
  report->add_option("--since", args->since, "Only assessments from this UTC time on")
      ->check(UtcTimeCheck());
  report->add_option("--site", args->site, "Only movements of this site code")
      ->check(SiteCodeCheck());
  OnRun(report, ctx, [&ctx, args] { return RunReport(ctx, *args); });

  auto* test =
      risk->add_subcommand("test", "Backtest a ruleset on movement records (writes nothing)");
  test->add_option("FILE", args->file, "The ruleset text")->required();
  test->add_option("--records", args->records, "Movements as JSON lines")->required();
  test->add_option("--list", args->lists, "NAME=FILE: entries of a declared list");
  test->add_option("--watchlist", args->watchlists, "NAME=FILE: entries of a declared watchlist");
  OnRun(test, ctx, [&ctx, args] { return RunTest(ctx, *args); });
}

}  // namespace outpost::cli
