// Distribution of rulesets: HQ compiles, signs and stores a ruleset with its
// lists and watchlists in the replicated `shared` scope; every node verifies
// it against the pinned HQ key and activates the newest valid one. The
// stored format is written down in docs/rules.md ("Distribution").
//
// Stored as (schema/domain_catalogue.cc):
//   risk_ruleset        one row per loaded ruleset: a signed manifest (JSON)
//                       and its Ed25519 signature by HQ's node key
//   risk_ruleset_chunk  the payload (rules text, lists, watchlists), deflated
//                       and cut into rows of at most kChunkBytes
//
// Invariants:
//  1. A ruleset is activated only if its manifest's signature verifies with
//     the pinned HQ certificate's key, the row's columns agree with the
//     signed manifest, and the chunks reassemble to exactly the payload
//     whose BLAKE2b-256 hash and size the manifest signs. Anything else
//     (unsigned, tampered, chunks still syncing) is refused with its reason
//     and the next newest is tried.
//  2. Only HQ authors rulesets (LoadRuleset refuses elsewhere); the trust
//     policy (node/trust.h) independently refuses rows of these tables from
//     any author outside scope "shared", which only HQ may write.
//  3. Every chunk row is at most kChunkBytes, so that with the replica's
//     48 KB batch cut (sync::ReplicaOptions) every change batch fits one
//     64 KB sync chunk message (docs/protocol.md).
//
// Thread safety: as Store (one thread at a time). Requires InitCrypto().
#ifndef OUTPOST_NODE_RISK_DISTRIBUTION_H_
#define OUTPOST_NODE_RISK_DISTRIBUTION_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/keystore.h"
#include "node/store.h"
#include "risk/engine.h"

namespace outpost::node {

inline constexpr size_t kChunkBytes = 12 * 1024;
// Payload size limit after inflation (rules text <= 4 MiB plus lists).
inline constexpr size_t kMaxPayloadBytes = 256u << 20;

// What `outpost risk load` reads: the ruleset text and the entries of the
// lists and watchlists it declares `from file` (or adds to inline ones).
struct RulesetSource {
  struct Entries {
    std::string name;
    std::vector<std::string> entries;
  };
  std::string text;
  std::vector<Entries> lists;
  std::vector<Entries> watchlists;
};

struct RulesetInfo {
  Uuid row_id{};
  std::string ruleset_id;
  int version = 0;
  int64_t issued = 0;  // when HQ loaded it (micros, UTC); orders "newest"
  size_t rule_count = 0;
  size_t shadow_rules = 0;
  std::string signer;     // fingerprint of the signing key
  std::string loaded_by;  // officer
  size_t payload_bytes = 0;
  size_t stored_bytes = 0;  // deflated
  size_t chunks = 0;
  std::vector<risk::Engine::ListInfo> lists;
};

// HQ: compiles `source` (errors as risk::Engine::Compile: kInvalidArgument
// "line:col: message"), adds the lists (kNotFound for a list the ruleset does
// not declare; kInvalidArgument for an entry with a newline), signs the
// manifest with `hq_keys` and stores manifest and chunks in one transaction.
// kPermissionDenied on a site; kFailedPrecondition if `hq_keys` are not the
// pinned HQ key; kAlreadyExists if this ruleset id was already loaded with
// this version or a later one.
Result<RulesetInfo> LoadRuleset(Store& hq, const crypto::NodeSecrets& hq_keys,
                                const RulesetSource& source, std::string_view officer);

struct ActiveRuleset {
  RulesetInfo info;
  risk::Engine engine;
};

struct RefusedRuleset {
  Uuid row_id{};
  std::string ruleset_id;  // as the (unverified) row says
  int version = 0;
  Status reason;
};

struct Activation {
  std::optional<ActiveRuleset> active;  // none: no ruleset has been loaded or none is valid
  // Rulesets newer than the active one that were refused, newest first.
  std::vector<RefusedRuleset> refused;
};

// Finds the newest ruleset (by issued time, then version) that verifies
// (invariant 1), rebuilds its engine and returns it. Errors only for store
// failures; refusals are in Activation::refused with kUnauthenticated
// (signature, no pinned HQ), kCorruption (tampered or malformed payload or
// manifest) or kUnavailable (chunks missing: still syncing).
Result<Activation> ActivateNewest(Store& store);

// [{"row_id", "ruleset_id", "version", "code", "reason"}, ...] in order.
nlohmann::json RefusedRulesetsJson(const std::vector<RefusedRuleset>& refused);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_RISK_DISTRIBUTION_H_
