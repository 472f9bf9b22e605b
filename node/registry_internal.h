// Helpers shared by node/registry.cc and node/trust.cc; not part of the
// public API.
#ifndef OUTPOST_NODE_REGISTRY_INTERNAL_H_
#define OUTPOST_NODE_REGISTRY_INTERNAL_H_

#include <optional>
#include <span>
#include <string_view>

#include "base/sqlite.h"
#include "node/keys.h"

namespace outpost::node::internal {

// key_state rows (the table must exist: EnsureKeyTables).
Result<std::optional<Bytes>> GetKeyState(Db& db, std::string_view key);
Status PutKeyState(Db& db, std::string_view key, std::span<const uint8_t> value);
Status DeleteKeyState(Db& db, std::string_view key);

// The signed blobs of one live registry row.
struct RegistryRow {
  Bytes certificate;
  std::optional<Bytes> revocation;
  std::optional<Bytes> prev_certificate;
};
Result<std::optional<RegistryRow>> ReadRegistryRow(Db& db, const sync::NodeId& id);

// A registry row whose documents all verify against `hq_key`.
struct TrustedNode {
  Certificate cert;                 // current epoch
  std::optional<Certificate> prev;  // the epoch before, during a rotation
  std::optional<Revocation> revocation;
};
// nullopt if there is no live row; kUnauthenticated / kCorruption if a
// document in it does not verify or decode.
Result<std::optional<TrustedNode>> LoadTrustedNode(Db& db, const crypto::VerifyKey& hq_key,
                                                   const sync::NodeId& id);

}  // namespace outpost::node::internal

#endif  // OUTPOST_NODE_REGISTRY_INTERNAL_H_
