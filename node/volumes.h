// Volume counters for HQ's operations room (issue 20, the /volumes page;
// docs/api.md GET /api/volumes): movements per crossing per hour and day, by
// mode and direction, by lane; inspections; seizures by commodity group.
//
// What is counted (the same rules for the counters and for RecountVolumes):
//  - a live movement counts once in its crossing's hour: "movements", its
//    mode and direction ("road_in"), its lane ("lane_red", "lane_none" while
//    undecided) -- the lane column the officer's decision sets;
//  - a live inspection of a live movement counts once ("inspections") in the
//    movement's crossing and hour;
//  - a live seizure of such an inspection counts once ("seizures") and once
//    under its commodity group ("seizures_drugs", "seizures_unstated").
// The crossing is the movement's scope ("site:BA-GRA" -> "BA-GRA"); hours and
// days are UTC (a bucket starts at a multiple of 3600 s or 86400 s).
//
// Invariants:
//  1. Exact: after RefreshVolumes, the counters equal a recount of the live
//     rows, whatever mix of local writes, edits, deletions, undeletions and
//     merged batches came before (tests/node/volumes_test.cc checks it).
//  2. Incremental: a refresh reads only the rows written since the last one.
//     sync's change journal (docs/crdt.md, Replica::ChangedRowsSince) names
//     every movement, inspection and seizure a counted commit wrote (local
//     writes, sync sessions, bundles, imports alike); a refresh recounts
//     those rows, and the inspections and seizures that hang from them, by
//     subtracting what each counted before (volume_seen) and adding what it
//     counts now, and records the change count it reached (volume_state
//     'counted') -- all in one transaction. So a page load costs the rows
//     changed since the last one plus an indexed range read of the
//     counters, never a scan. Counting costs a merge nothing: the journal
//     is written by every counted commit anyway.
//  3. Counted afresh when the journal cannot say what changed (the first
//     refresh, a store of an older format, more than the journal's 200k
//     rows since the last refresh, one commit over 100k rows): volume_seen
//     is rebuilt by three INSERT ... SELECT statements over the live rows
//     (the same rules as CountRow) and the counters summed from it.
//  4. Node-local: volume_hour, volume_day, volume_seen, volume_crossing and
//     volume_state are derived state, never replicated.
//
// Thread safety: as Store (one thread at a time); other processes on the
// store are fine (the refresh holds the write lock while it counts).
#ifndef OUTPOST_NODE_VOLUMES_H_
#define OUTPOST_NODE_VOLUMES_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "node/store.h"

namespace outpost::node {

inline constexpr int64_t kHourMicros = 3'600'000'000;
inline constexpr int64_t kDayMicros = 24 * kHourMicros;
// The longest period one answer covers, in buckets.
inline constexpr int64_t kMaxVolumeHours = 31 * 24;
inline constexpr int64_t kMaxVolumeDays = 3 * 366;

enum class VolumeBucket { kHour, kDay };

struct VolumeQuery {
  std::string crossing;  // a site code ("BA-GRA"); empty: every crossing
  int64_t from = 0;      // UTC micros, inclusive; a bucket boundary
  int64_t to = 0;        // UTC micros, exclusive; a bucket boundary
  VolumeBucket by = VolumeBucket::kDay;
};

// The counted keys, in the order of the CSV's columns: "movements", the
// eight mode_direction pairs, the lanes, "inspections", "seizures" and the
// commodity groups.
const std::vector<std::string>& VolumeKeys();

struct VolumeRow {
  int64_t start = 0;                      // the bucket's start, UTC micros
  std::string crossing;                   // site code
  std::map<std::string, int64_t> counts;  // key -> count; nonzero keys only
  bool operator==(const VolumeRow&) const = default;
};

struct Volumes {
  std::vector<VolumeRow> rows;  // by start, then crossing; rows with a count only
  std::map<std::string, int64_t> totals;
};

// kInvalidArgument naming "from", "to" or "crossing" with the value and the
// rule: bounds not on a bucket boundary, to <= from, more buckets than
// kMaxVolumeHours / kMaxVolumeDays, a crossing that is not a site code.
Status CheckVolumeQuery(const VolumeQuery& query);

// Brings the counters up to date (invariant 2); returns the number of rows
// recounted (0 when nothing changed: then it takes no write lock). kBusy if
// another process holds the write lock past the busy timeout.
Result<int64_t> RefreshVolumes(Store& store);

// Refreshes, then reads the counters for `query` (checked as above).
Result<Volumes> ReadVolumes(Store& store, const VolumeQuery& query);

// The same answer by a full scan of the live rows, without the counters:
// the reference for tests and the benchmark's baseline.
Result<Volumes> RecountVolumes(Store& store, const VolumeQuery& query);

// The crossings whose movements this node has counted (site codes, sorted;
// one stays listed after its movements are deleted). Refreshes first.
Result<std::vector<std::string>> VolumeCrossings(Store& store);

// {"crossing": code or null, "from", "to" (RFC 3339), "by": "hour"|"day",
//  "zone": "UTC", "keys": [...], "rows": [{"start", "crossing", key: n for
//  every key}], "totals": {key: n for every key}}
nlohmann::json ToJson(const Volumes& volumes, const VolumeQuery& query);

// RFC 4180 CSV, UTF-8, CRLF line ends: the header "period_start,crossing,"
// then the keys, then one line per row of `volumes`, as ToJson's "rows".
std::string ToCsv(const Volumes& volumes);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_VOLUMES_H_
