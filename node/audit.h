// The audit log (EU Law Enforcement Directive 2016/680, Art. 25): every
// collection, alteration, consultation of nominal data, disclosure (export,
// each sync transfer) and erasure appends an entry saying who, when, what,
// which record and why.
//
// Invariants:
//  1. Entries live in the replicated, append-only table `audit_entry`; each
//     node numbers its own entries 1, 2, 3... and chains them:
//       hash_n = BLAKE2b-256("outpost-audit-v1" || fields_n || hash_{n-1})
//     (fields length-prefixed; docs/audit.md gives the exact layout).
//  2. An entry is written in the same transaction as the change it records:
//     no change without its entry, no entry without its change.
//  3. The table replicates to HQ in the author's signed batches, so HQ can
//     verify every node's chain, and a node that rewrites its own chain
//     (re-hashing after an edit) still disagrees with the copy HQ holds.
#ifndef OUTPOST_NODE_AUDIT_H_
#define OUTPOST_NODE_AUDIT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "node/store.h"
#include "sync/replica.h"

namespace outpost::node {

// What the entry records. The action names are fixed (docs/audit.md).
enum class AuditAction { kCollect, kAlter, kConsult, kDisclose, kErase, kExport, kImport, kSync };
std::string_view AuditActionName(AuditAction a);

struct AuditEvent {
  AuditAction action = AuditAction::kCollect;
  std::string officer;      // who (officer id, or "node" for automatic work)
  std::string record_type;  // table name, or "" for a whole transfer
  std::optional<Uuid> record_id;
  nlohmann::json detail = nlohmann::json::object();  // why, to whom, what
};

struct AuditVerifyReport {
  int64_t entries = 0;
  int64_t nodes = 0;
  bool ok = true;
  // Every break found, by node then sequence: "node N entry 17: altered
  // (its content does not match its hash)". At most kMaxAuditBreaks are
  // listed; `breaks` counts them all.
  std::vector<std::string> broken;
  int64_t breaks = 0;
  std::string first_broken;  // broken[0], or ""
};
inline constexpr size_t kMaxAuditBreaks = 1000;

class AuditLog {
 public:
  explicit AuditLog(Store& store) : store_(store) {}

  // Appends an entry inside `writer`'s transaction.
  Status Append(sync::Writer& writer, const AuditEvent& event);

  // Entries, newest first; optionally only this node's.
  Result<nlohmann::json> List(int64_t limit, bool only_this_node) const;

  // Checks every node's chain: numbering from 1 with no gap, each entry's
  // previous hash, and each entry's own hash. Walks every chain to its end
  // and reports every break: after one, the walk goes on from the entry
  // that broke (so one altered entry is one break, and a later, separate
  // tampering is reported too).
  Result<AuditVerifyReport> Verify() const;

 private:
  Store& store_;
};

}  // namespace outpost::node

#endif  // OUTPOST_NODE_AUDIT_H_
