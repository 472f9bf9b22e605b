// The risk engine: HQ-signed rules compiled once, then run against every
// movement an officer submits. It recommends a lane with an explanation; the
// officer decides (LED 2016/680 Art. 11: no solely automated adverse decision).
//
// Rule language: docs/rules.md.
//
// Invariants:
//  1. Assess is deterministic: the same ruleset, lists, movement, id, time and
//     history give the same Assessment, on every platform.
//  2. Shadow rules are evaluated and reported in shadow_hits; they never
//     change score, lane or random selection.
//  3. Random selection depends only on (movement id, ruleset id, version), so
//     it is reproducible and independent of the rules (a control sample).
//  4. Evaluation is bounded: no loops but any/all/count over the movement's
//     arrays (each capped), expression depth capped, a step budget per rule.
//  5. Assess never fails and never throws on a malformed movement: unreadable
//     fields are missing, noted in Assessment::warnings.
//
// Thread safety: after the last AddList/AddWatchlist, Assess may be called
// from many threads at once (the HistoryProvider must then be thread-safe).
#ifndef OUTPOST_RISK_ENGINE_H_
#define OUTPOST_RISK_ENGINE_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace outpost::risk {

// Ordered by severity: a higher lane wins.
enum class Lane { kGreen = 0, kYellow = 1, kRed = 2 };
std::string_view LaneName(Lane lane);  // "green", "yellow", "red"
inline std::ostream& operator<<(std::ostream& os, Lane lane) { return os << LaneName(lane); }

// How list entries and the values tested against them are normalised:
// kString exact; kCountry upper case; kHs digits only and matched by prefix
// ("2402" matches "240220"); kPlate/kName/kCompany as in normalise.h.
enum class ListKind { kString, kCountry, kHs, kPlate, kName, kCompany };

// The node's record of past crossings, injected per assessment.
class HistoryProvider {
 public:
  virtual ~HistoryProvider() = default;
  // Crossings at this node by `plate` (as submitted) at or after
  // `since_micros`. An error (the store could not be read) makes the count
  // unknown: the engine notes it in Assessment::warnings and the history
  // condition does not hold; the provider reports it to its owner too.
  virtual Result<int64_t> CountCrossings(std::string_view plate, int64_t since_micros) = 0;
};

struct AssessContext {
  HistoryProvider* history = nullptr;  // not owned; null: history counts are unknown
  // The node's own site code; when set it is used for rule scope instead of
  // the movement's "crossing" field.
  std::string crossing;
};

struct Hit {
  std::string rule_id;
  int rule_version = 0;
  int score = 0;
  std::optional<Lane> forced_lane;
  std::optional<Lane> floor_lane;
  std::string description;
  // What made the rule hold, e.g. "consignments[0].goods[0].hs_code=240220".
  std::vector<std::string> matched;
  std::string instructions;
};

struct Assessment {
  int score = 0;  // sum of active hits' scores
  Lane lane = Lane::kGreen;
  bool random_selected = false;
  double random_rate = 0;  // the rate applied (raised when the ruleset is stale)
  double random_draw = 0;  // this movement's uniform draw in [0, 1)
  bool stale = false;
  std::vector<Hit> hits;         // active rules, in ruleset order
  std::vector<Hit> shadow_hits;  // shadow rules: recorded, never acted on
  std::vector<std::string> warnings;
  std::string ruleset_id;
  int ruleset_version = 0;
};

namespace internal {
struct Program;
struct EngineAccess;  // program.h: the compiled program, for tests
}  // namespace internal

class Engine {
 public:
  // Compiles a ruleset. Errors: kInvalidArgument with "line:col: message".
  static Result<Engine> Compile(std::string_view text);

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  // Adds entries to a list the ruleset declares (`list "x" plate from file`).
  // kNotFound if no list of that name is declared; kInvalidArgument if the
  // declared kind differs.
  Status AddList(std::string_view name, ListKind kind, const std::vector<std::string>& entries);
  // Adds entries to a declared watchlist and rebuilds its index (O(n)).
  // kNotFound if no watchlist of that name is declared.
  Status AddWatchlist(std::string_view name, const std::vector<std::string>& entries);

  // Assesses one movement. `movement_id` seeds random selection; `now_micros`
  // decides rule validity, staleness and history windows.
  Assessment Assess(const nlohmann::json& movement, std::string_view movement_id,
                    int64_t now_micros, const AssessContext& context) const;

  const std::string& ruleset_id() const;
  int ruleset_version() const;
  size_t rule_count() const;
  size_t shadow_rule_count() const;

  // The lists and watchlists the ruleset declares, in declaration order, with
  // the number of entries each holds now (watchlists: after Build; distinct
  // normalised entries are not merged in this count).
  struct ListInfo {
    std::string name;
    bool watchlist = false;
    ListKind kind = ListKind::kString;  // watchlists: kName, kCompany or kPlate
    size_t entries = 0;
  };
  std::vector<ListInfo> Lists() const;
  // Heap bytes held by all watchlists (entries and indexes).
  size_t WatchlistMemoryBytes() const;

 private:
  friend struct internal::EngineAccess;
  explicit Engine(std::unique_ptr<internal::Program> program);
  std::unique_ptr<internal::Program> program_;
};

// {"score":..,"lane":"red","random_selected":..,"hits":[{"rule_id":..}],...}
nlohmann::json ToJson(const Assessment& assessment);

// The uniform draw in [0, 1) used for random selection of a movement.
double RandomDraw(std::string_view movement_id, std::string_view ruleset_id, int version);

}  // namespace outpost::risk

#endif  // OUTPOST_RISK_ENGINE_H_
