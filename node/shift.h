// The officer's queue and the supervisor's shift summary (issue 19, the
// /queue and /shift pages; docs/ui.md): node-level reads that the web desk
// calls and the CLI could call too.
//
// A day is the crossing's local day. The node takes the crossing's time zone
// from the process (the TZ environment variable, else /etc/localtime):
// Outpost has no time-zone setting of its own yet, and a crossing's PC runs
// in the crossing's zone. The store keeps UTC micros; LocalDay turns an
// instant into the half-open UTC interval of its local day.
//
// Invariants:
//  1. Only this node's own movements (scope "site:CODE") whose time falls in
//     the day are listed or counted; a movement of yesterday never is.
//  2. Reads go through the live_ views (sync/live_rows.h), never the
//     storage tables.
//  3. The queue shows plates (vehicle.plate is nominal data): a queue that
//     lists at least one plate appends one audit entry (consult, "vehicle",
//     {"listed": N, "reason": ...}) for the actor, as Records::List does. The
//     summary shows no plate and no name (officers' service numbers are
//     staff, not nominal), so it is not audited.
//
// Thread safety: as Store (one thread at a time).
#ifndef OUTPOST_NODE_SHIFT_H_
#define OUTPOST_NODE_SHIFT_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "node/records.h"
#include "node/store.h"
#include "node/sync_service.h"

namespace outpost::node {

struct Day {
  int64_t start = 0;  // UTC micros, inclusive
  int64_t end = 0;    // UTC micros, exclusive
  std::string date;   // local date, "2026-12-03"
  std::string zone;   // the zone's abbreviation ("CET"), "UTC" if unknown
};

// The local day (process time zone) that contains `micros`.
Day LocalDay(int64_t micros);
// "HH:MM" of `micros` in the process time zone.
std::string LocalClock(int64_t micros);

struct QueueItem {
  Uuid movement{};
  int64_t time = 0;  // UTC micros
  std::string plate, direction, mode;
  std::string recommended;  // the latest assessment's lane, "" if none
  std::string lane;         // the officer's decision, "" if none yet
  std::string awaits;       // "decision" or "inspection"
};

// Today's movements awaiting a decision (none yet, whether or not a lane was
// recommended: without a ruleset the officer decides alone) or an
// inspection result (decided lane other than green, no inspection yet),
// oldest first. Audited when it lists a plate (invariant 3).
Result<std::vector<QueueItem>> Queue(Store& store, const Day& day, const Actor& actor);

struct OverrideLine {
  Uuid movement{};
  int64_t decided_at = 0;
  std::string recommended, lane, reason, officer;
};

struct SeizureLine {
  std::string commodity_group, subtype, unit, currency;
  double quantity = 0;
  std::optional<double> amount;
};

struct ShiftSummary {
  Day day;
  int64_t movements = 0;
  // Decided lane ("red", "yellow", "green", "blue") or "undecided".
  std::map<std::string, int64_t> by_lane;
  std::map<std::string, int64_t> by_mode;  // "road", "rail", ...
  std::vector<OverrideLine> overrides;     // decisions of the day's movements, oldest first
  int64_t inspections = 0;
  int64_t seizures = 0;
  std::vector<SeizureLine> seizure_list;
  std::vector<PeerStatus> peers;  // as `outpost status` shows them
  // The ruleset in force (node/risk/distribution.h), if any.
  std::string ruleset_id;
  int ruleset_version = 0;
  int64_t ruleset_issued = 0;
  int64_t rulesets_refused = 0;  // newer ones that did not verify
};

// The shift at a glance for the day's movements (invariant 1).
Result<ShiftSummary> BuildShiftSummary(Store& store, const Day& day);

nlohmann::json ToJson(const QueueItem& item);
// Includes "sync_warning": a sentence when no peer synced in the last
// `stale_after_micros` before `now` or the last attempt failed, else "".
nlohmann::json ToJson(const ShiftSummary& summary, int64_t now, int64_t stale_after_micros);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_SHIFT_H_
