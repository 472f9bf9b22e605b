#include "risk/engine.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "risk/program.h"
#include "risk/validators.h"

namespace outpost::risk {

using internal::Facts;
using internal::Program;

std::string_view LaneName(Lane lane) {
  switch (lane) {
    case Lane::kGreen:
      return "green";
    case Lane::kYellow:
      return "yellow";
    case Lane::kRed:
      return "red";
  }
  return "?";
}

double RandomDraw(std::string_view movement_id, std::string_view ruleset_id, int version) {
  uint64_t h = StableHash64(movement_id, 0x72616e646f6d3031ULL);  // "random01"
  h = StableHash64(ruleset_id, h);
  h = StableHash64(std::to_string(version), h);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

Engine::Engine(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::Compile(std::string_view text) {
  OUTPOST_ASSIGN_OR_RETURN(std::unique_ptr<Program> program, internal::CompileProgram(text));
  return Engine(std::move(program));
}

Status Engine::AddList(std::string_view name, ListKind kind,
                       const std::vector<std::string>& entries) {
  for (auto& list : program_->lists) {
    if (list.name != name) continue;
    if (list.kind != kind) {
      return Status::InvalidArgument("list \"" + std::string(name) +
                                     "\": entries given with a different kind than declared");
    }
    internal::AddToList(&list, entries);
    program_->index = internal::BuildRuleIndex(*program_);
    return Status::Ok();
  }
  return Status::NotFound("list \"" + std::string(name) + "\" is not declared in ruleset " +
                          program_->ruleset_id);
}

Status Engine::AddWatchlist(std::string_view name, const std::vector<std::string>& entries) {
  for (auto& wl : program_->watchlists) {
    if (wl.name != name) continue;
    for (const auto& e : entries) wl.list->Add(e);
    wl.list->Build();
    return Status::Ok();
  }
  return Status::NotFound("watchlist \"" + std::string(name) + "\" is not declared in ruleset " +
                          program_->ruleset_id);
}

const std::string& Engine::ruleset_id() const { return program_->ruleset_id; }
int Engine::ruleset_version() const { return program_->version; }
size_t Engine::rule_count() const { return program_->rules.size(); }
size_t Engine::shadow_rule_count() const {
  size_t n = 0;
  for (const auto& r : program_->rules) n += r.shadow;
  return n;
}

std::vector<Engine::ListInfo> Engine::Lists() const {
  std::vector<ListInfo> out;
  for (const auto& l : program_->lists) out.push_back({l.name, false, l.kind, l.entries.size()});
  for (const auto& w : program_->watchlists) {
    ListKind k = w.list->kind() == WatchKind::kName      ? ListKind::kName
                 : w.list->kind() == WatchKind::kCompany ? ListKind::kCompany
                                                         : ListKind::kPlate;
    out.push_back({w.name, true, k, w.list->size()});
  }
  return out;
}
size_t Engine::WatchlistMemoryBytes() const {
  size_t n = 0;
  for (const auto& wl : program_->watchlists) n += wl.list->MemoryBytes();
  return n;
}

namespace {

int FieldId(std::string_view path) { return internal::FindField(path); }

std::string_view MovementString(const Facts& f, int field) {
  const auto& col = f.values[field];
  if (col.empty() || col[0].type != internal::Type::kString) return {};
  return col[0].str;
}

// Bit of `value` among names, or 0 if it is none of them.
uint32_t BitOf(std::string_view value, const std::string_view* names, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (names[i] == value) return 1u << i;
  }
  return 0;
}

}  // namespace

Assessment Engine::Assess(const nlohmann::json& movement, std::string_view movement_id,
                          int64_t now_micros, const AssessContext& context) const {
  return internal::AssessProgram(*program_, movement, movement_id, now_micros, context,
                                 internal::RuleSelection::kIndexed);
}

Assessment internal::AssessProgram(const Program& p, const nlohmann::json& movement,
                                   std::string_view movement_id, int64_t now_micros,
                                   const AssessContext& context, RuleSelection selection) {
  static const int kDirection = FieldId("direction");
  static const int kMode = FieldId("mode");
  static const int kCrossing = FieldId("crossing");
  static const int kTime = FieldId("time");

  Assessment a;
  a.ruleset_id = p.ruleset_id;
  a.ruleset_version = p.version;

  Facts facts;
  internal::ExtractFacts(movement, &facts);
  a.warnings = std::move(facts.warnings);

  const std::string_view crossing = context.crossing.empty() ? MovementString(facts, kCrossing)
                                                             : std::string_view(context.crossing);
  const std::string_view direction = MovementString(facts, kDirection);
  const std::string_view mode = MovementString(facts, kMode);
  const auto& time = facts.values[kTime][0];
  const int64_t movement_time = time.type == internal::Type::kTime ? time.micros : now_micros;

  // Scope as bits once, not per rule; a mask of 0 means "all".
  const uint32_t direction_bit =
      BitOf(direction, std::begin(internal::kDirections), std::size(internal::kDirections));
  const uint32_t mode_bit = BitOf(mode, std::begin(internal::kModes), std::size(internal::kModes));

  internal::EvalCache cache;
  internal::EvalContext ctx{&p,          &facts, context.history, now_micros, movement_time,
                            &a.warnings, &cache};
  std::vector<internal::TraceEntry> trace;
  trace.reserve(64);

  // Which rules can hit, as far as their guards tell.
  std::vector<uint64_t> candidates;
  if (selection == RuleSelection::kIndexed) {
    internal::CandidateRules(p, facts, &candidates);
  } else {
    candidates.assign((p.rules.size() + 63) / 64, 0);
    for (size_t r = 0; r < p.rules.size(); ++r) {
      const auto& rule = p.rules[r];
      if (selection == RuleSelection::kEveryRule || internal::GuardsHold(rule, p, facts) ||
          internal::MayExhaust(rule, facts)) {
        candidates[r >> 6] |= uint64_t{1} << (r & 63);
      }
    }
  }

  int64_t score = 0;
  std::optional<Lane> forced;
  Lane floor = Lane::kGreen;
  for (size_t w = 0; w < candidates.size(); ++w) {
    for (uint64_t bits = candidates[w]; bits != 0; bits &= bits - 1) {
      const auto& rule = p.rules[w * 64 + static_cast<size_t>(std::countr_zero(bits))];
      if (now_micros < rule.valid_from || now_micros >= rule.valid_until) continue;
      if (!rule.crossings.empty() && std::find(rule.crossings.begin(), rule.crossings.end(),
                                               crossing) == rule.crossings.end()) {
        continue;
      }
      if ((rule.directions != 0 && (rule.directions & direction_bit) == 0) ||
          (rule.modes != 0 && (rule.modes & mode_bit) == 0)) {
        continue;
      }
      // Cheapest operands first; a hit is evaluated again as written, so its
      // explanation lists the values in the order of the rule text.
      bool exhausted = false;
      bool hit = internal::EvaluateRule(rule, ctx, &trace, &exhausted, /*planned=*/true);
      if (hit) hit = internal::EvaluateRule(rule, ctx, &trace, &exhausted);
      if (exhausted) {
        // A document that defeats evaluation is itself a reason to look at it.
        a.warnings.push_back("rule " + rule.id + ": evaluation budget exhausted; not assessed");
        if (!rule.shadow) floor = std::max(floor, Lane::kYellow);
        continue;
      }
      if (!hit) continue;
      Hit h;
      h.rule_id = rule.id;
      h.rule_version = rule.version;
      h.score = rule.score;
      h.forced_lane = rule.forced;
      h.floor_lane = rule.floor;
      h.description = rule.description;
      h.matched = internal::FormatTrace(trace, ctx);
      h.instructions = rule.instructions;
      if (rule.shadow) {
        a.shadow_hits.push_back(std::move(h));
        continue;
      }
      score += rule.score;
      if (rule.forced) forced = forced ? std::max(*forced, *rule.forced) : *rule.forced;
      if (rule.floor) floor = std::max(floor, *rule.floor);
      a.hits.push_back(std::move(h));
    }
  }

  a.score = static_cast<int>(
      std::clamp<int64_t>(score, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  Lane lane = a.score >= p.red ? Lane::kRed : a.score >= p.yellow ? Lane::kYellow : Lane::kGreen;
  lane = std::max(lane, floor);
  if (forced) lane = *forced;
  if (facts.truncated) lane = std::max(lane, Lane::kYellow);

  a.stale = p.stale_after > 0 && p.issued && now_micros - *p.issued > p.stale_after;
  a.random_rate = a.stale ? std::max(p.random_rate, p.stale_random_rate) : p.random_rate;
  a.random_draw = RandomDraw(movement_id, p.ruleset_id, p.version);
  a.random_selected = a.random_draw < a.random_rate;
  if (a.random_selected) lane = std::max(lane, p.random_lane);
  a.lane = lane;
  return a;
}

namespace {

nlohmann::json HitJson(const Hit& h) {
  nlohmann::json j = {{"rule_id", h.rule_id}, {"rule_version", h.rule_version},
                      {"score", h.score},     {"description", h.description},
                      {"matched", h.matched}, {"instructions", h.instructions}};
  if (h.forced_lane) j["forced_lane"] = LaneName(*h.forced_lane);
  if (h.floor_lane) j["floor_lane"] = LaneName(*h.floor_lane);
  return j;
}

}  // namespace

nlohmann::json ToJson(const Assessment& a) {
  nlohmann::json hits = nlohmann::json::array(), shadow = nlohmann::json::array();
  for (const auto& h : a.hits) hits.push_back(HitJson(h));
  for (const auto& h : a.shadow_hits) shadow.push_back(HitJson(h));
  return {{"ruleset_id", a.ruleset_id},
          {"ruleset_version", a.ruleset_version},
          {"score", a.score},
          {"lane", LaneName(a.lane)},
          {"random_selected", a.random_selected},
          {"random_rate", a.random_rate},
          {"random_draw", a.random_draw},
          {"stale", a.stale},
          {"hits", std::move(hits)},
          {"shadow_hits", std::move(shadow)},
          {"warnings", a.warnings}};
}

}  // namespace outpost::risk
