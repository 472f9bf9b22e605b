// The network at a glance, as HQ sees it (issue 20, the /network page;
// docs/ui.md): every enrolled crossing from the node registry joined with
// what this node learnt from sync — the peer ledger (last contact, lag each
// way), the transfer log (sessions), the trust log and the quarantine (what
// was refused). Node-level reads that the web pages call and the CLI could
// call too. Meant for HQ; on a crossing it lists the crossings the shared
// registry names, with what that crossing itself knows of them (mostly
// nothing: crossings do not sync with each other).
//
// Invariants:
//  1. Every enrolled crossing is listed, whether or not a session ever
//     reached it (never_connected); HQ itself is not.
//  2. Reads only: nothing here writes the store, except creating the local
//     key and transfer tables when missing (as ListPeerStatuses does).
//  3. "behind" is decided from HQ's own clock and records only: silent
//     (no successful session) for longer than the threshold, counted from
//     the enrolment when a crossing never connected.
//  4. The ruleset in force at a crossing is not reported by the crossing;
//     what HQ can know is the ruleset named by the newest of the crossing's
//     risk assessments that reached HQ (ruleset_seen). "Not known" is said
//     as such, never guessed.
//
// Thread safety: as Store (one thread at a time).
#ifndef OUTPOST_NODE_NETWORK_H_
#define OUTPOST_NODE_NETWORK_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "node/store.h"
#include "node/sync_service.h"

namespace outpost::node {

// A ruleset: for a crossing, the newest (by HQ's issue time) that one of
// its risk assessments held here names (invariant 4).
struct RulesetSeen {
  std::string ruleset_id;
  int64_t version = 0;
  int64_t issued = 0;  // when HQ issued it (UTC micros)
};

struct CrossingHealth {
  sync::NodeId id{};
  std::string name, site;
  // Overall state, the worst first: "revoked", "behind", "failing",
  // "never connected", "ok".
  std::string state;
  bool behind = false;  // silent longer than the threshold (invariant 3)
  bool never_connected = false;
  int64_t last_contact = 0;  // last successful session (micros); 0: never
  int64_t last_attempt = 0;
  std::string last_error;  // as the transfer failed ("" after a success)
  int64_t failing_since = 0;
  int64_t pending_out = 0;  // batches HQ holds that the crossing may read and lacks
  int64_t pending_in = 0;   // batches the crossing held at the last contact that HQ lacks
  uint32_t epoch = 0;       // certificate epoch
  int64_t enrolled = 0;     // current certificate's valid_from
  int64_t cert_expires = 0;
  bool cert_expired = false;
  bool revoked = false;
  int64_t revoked_at = 0;
  std::string revoked_reason;
  int64_t quarantined = 0;      // batches held in quarantine (made after revocation)
  int64_t refused_batches = 0;  // batches refused at merge (trust log)
  std::string last_refusal;     // the newest trust-log message
  std::optional<RulesetSeen> ruleset;
};

struct NetworkView {
  int64_t now = 0;
  int64_t behind_after = 0;           // micros
  std::optional<RulesetSeen> newest;  // the newest ruleset this node holds (issued time)
  std::vector<CrossingHealth> crossings;
};

// Every enrolled crossing (invariant 1), the worst state first, then by
// name. `behind_after_micros` > 0. Errors: the store's.
// Cost: the peer statuses (as `outpost status`), two indexed lookups per
// crossing in the trust log and a scan of the quarantine, and for the
// ruleset one probe per ruleset HQ holds, newest first, through the
// assessments' ruleset index: a crossing whose assessments name the newest
// ruleset answers at once, but one whose assessments name none of them
// reads every assessment of every ruleset (no index by scope yet). Not yet
// measured at 10M movements.
Result<NetworkView> BuildNetworkView(Store& store, int64_t now, int64_t behind_after_micros);

// One sync session with a crossing, from the transfer log.
struct SessionLine {
  int64_t id = 0;         // the transfer log's id (a page's cursor)
  std::string direction;  // "in", "out", "bundle-export", "bundle-import"
  // "ok"; "refused": the session ended for trust (permission denied,
  // unauthenticated) or batches were refused in it; "cut": it ended
  // otherwise (link dropped, timed out, peer went away).
  std::string outcome;
  int64_t started = 0, finished = 0;  // micros
  std::string error;                  // the failure or the last refusal
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t batches_in = 0, batches_out = 0, refused = 0;
};

struct SessionPage {
  std::vector<SessionLine> sessions;  // newest first
  int64_t next_before = 0;            // pass as `before_id` for the next page; 0: no more
  // Connections refused before the peer proved its keys (a revoked
  // crossing's among them), from the addresses this page's sessions came
  // from: the transfer log never holds those (node/sync_service.h, inv. 2).
  std::vector<RefusedConnection> refused_connections;
};

// The sessions with `node`, newest first, `limit` (1..500) of those with an
// id below `before_id` (0: from the newest). kInvalidArgument for a limit
// out of range.
Result<SessionPage> CrossingSessions(Store& store, const sync::NodeId& node, int64_t before_id,
                                     int64_t limit);

nlohmann::json ToJson(const NetworkView& view);
nlohmann::json ToJson(const SessionPage& page);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_NETWORK_H_
