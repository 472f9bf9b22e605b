// A traffic simulator for a crossing: realistic movements (cars, buses,
// trucks with containers, consignments and goods, drivers and passengers),
// inspections and a few seizures, as JSON lines `outpost record import`
// reads. Deterministic for a seed. For demos, training and benchmarks.
#ifndef OUTPOST_NODE_SIMULATE_H_
#define OUTPOST_NODE_SIMULATE_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "node/store.h"

namespace outpost::node {

struct SimulationOptions {
  std::string site = "BA-GRA";  // the crossing's site code
  int64_t movements = 1000;
  uint64_t seed = 1;
  int64_t start_micros = 0;                 // first movement's time (UTC); 0 = 2026-07-15T00:00Z
  int64_t span_micros = 86400LL * 1000000;  // spread over one day
  double truck_share = -1;                  // < 0: the crossing's usual mix
  bool with_persons = true;
  // Share of movements that match the demo watchlist and rules
  // (docs/rules.md, "Demo ruleset"): known plates, names, high-risk goods.
  double suspicious_share = 0.02;
};

// Calls `emit` once per movement document (with "type": "movement"), in time
// order. Returns the number emitted.
int64_t SimulateTraffic(const SimulationOptions& options,
                        const std::function<void(const nlohmann::json&)>& emit);

// Plates and names the demo watchlist carries, so that the simulated
// suspicious share matches it.
const std::vector<std::string>& DemoWatchlistPlates();
const std::vector<std::string>& DemoWatchlistNames();

struct InspectionSimulation {
  uint64_t seed = 1;
  std::string officer;  // recorded as the inspecting officer
};

struct InspectionCounts {
  int64_t inspections = 0, irregularities = 0, seizures = 0;
};

// Plays the officers' part at this node, for demos and training: every
// assessed movement that was selected (red or yellow lane, or random
// selection) and has no inspection yet gets one, recorded through Records
// (so it is validated, audited and synced), with the selection basis, and a
// result drawn deterministically from (seed, movement id): movements that hit
// goods or watchlist rules hide something more often than random ones. A
// seizure record follows each "seizure" result. kFailedPrecondition, writing
// nothing, unless the store is a training node (Identity::training).
Result<InspectionCounts> SimulateInspections(Store& store, const InspectionSimulation& options);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_SIMULATE_H_
