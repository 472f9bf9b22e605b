// The audit log's entry and its hash, for tests that pin the documented
// formula (docs/audit.md, "Tamper evidence"); not part of the public API
// (node/audit.h).
#ifndef OUTPOST_NODE_AUDIT_INTERNAL_H_
#define OUTPOST_NODE_AUDIT_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"

namespace outpost::node::internal {

// One row of `audit_entry`, as hashed and verified.
struct AuditEntry {
  Uuid node{};
  int64_t seq = 0;
  int64_t time = 0;  // Unix microseconds, UTC
  std::string officer, action, record_type, detail;
  std::string prev_hash, hash;  // 64 lowercase hex digits each
  std::optional<Uuid> record_id;
};

// hash_n = BLAKE2b-256("outpost-audit-v1" || node || seq || time || officer ||
// action || record_type || record_id || detail || prev_hash), each field
// prefixed by its length, as 64 lowercase hex digits. Pure; thread-safe.
std::string EntryHash(const AuditEntry& e);

}  // namespace outpost::node::internal

#endif  // OUTPOST_NODE_AUDIT_INTERNAL_H_
