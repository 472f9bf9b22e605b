// Node enrollment, rotation and revocation, and the replicated node registry
// (docs/keys.md). The operations behind `outpost init` and `outpost keys`.
//
// State:
//  - the replicated table `node_registry` (scope "shared", so only HQ writes
//    it): one row per enrolled node, row id = the node id, holding the
//    HQ-signed certificate (and the previous one during a rotation's grace
//    period) and, once revoked, the HQ-signed revocation;
//  - local tables (never replicated), created when missing:
//      key_state(key, value)   this node's public keys, its installed
//                              certificate and HQ's pinned certificate
//      quarantine(...)         batches a revoked node made after revocation
//      trust_log(...)          batches refused at merge, and why
//      node_seen(node, hlc)    the newest verified batch per author
//  - DIR/node.key (and DIR/node.key.next during a rotation): sealed secrets.
//
// Invariants:
//  1. Trust decisions read only HQ-signed documents (certificates,
//     revocations) checked against the pinned HQ key; the other registry
//     columns are there for listing.
//  2. Nothing here writes a secret key outside a sealed key file.
//
// Thread safety: as Store (one thread at a time). Requires InitCrypto().
#ifndef OUTPOST_NODE_REGISTRY_H_
#define OUTPOST_NODE_REGISTRY_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/keystore.h"
#include "node/keys.h"
#include "node/store.h"

namespace outpost::node {

// Creates the local key tables when missing (one write transaction, only if
// something is missing).
Status EnsureKeyTables(Db& db);

struct InitOptions {
  crypto::PwhashParams pwhash = crypto::PwhashParams::Moderate();
  int hq_valid_days = 10 * 365;  // HQ's self-signed certificate
  std::string hq_address;        // HQ only: where sites reach it ("host:port")
};

struct InitResult {
  std::unique_ptr<Store> store;
  std::string signing_fingerprint;  // for HQ: the fingerprint admins pin
  std::string kx_fingerprint;
};

// Creates the store in `dir` and the node's keys, sealed under `passphrase`
// into DIR/node.key. For HQ also issues HQ's self-signed certificate, pins
// it, and records HQ in the registry. kAlreadyExists if a store or a key file
// is already there (nothing is touched); kInvalidArgument for a bad name,
// site code or empty passphrase.
Result<InitResult> InitNode(const std::string& dir, const Identity& identity,
                            std::string_view passphrase, Clock& clock, Random& random,
                            const InitOptions& options = {});

// This node's public keys (from key_state; no passphrase needed).
struct PublicKeys {
  crypto::PublicKeyBytes signing{};
  crypto::PublicKeyBytes kx{};
};
Result<PublicKeys> LoadPublicKeys(Store& store);

// This node's installed certificate and the pinned HQ certificate, if any.
Result<std::optional<Certificate>> LoadOwnCertificate(Store& store);
Result<std::optional<Certificate>> LoadHqCertificate(Store& store);

// An enrollment request for this node, signed with `keys` (which must be the
// node's current keys: kFailedPrecondition otherwise). Returns the file bytes.
Result<Bytes> MakeEnrollmentRequest(Store& store, const crypto::NodeSecrets& keys);

// What an enrollment or rotation file asks for, after checking its
// signatures (for a rotation, against the node's current certified key in
// the registry). For the confirmation HQ's admin sees before `--yes`.
struct RequestSummary {
  std::string kind;  // kKindEnrollment or kKindRotation
  sync::NodeId node_id{};
  std::string name;
  Role role = Role::kSite;
  std::string site;
  std::string signing_fingerprint;  // of the key to be certified
  std::string kx_fingerprint;
  uint32_t epoch = 1;  // of the certificate to be issued
};
Result<RequestSummary> InspectRequest(Store& hq, std::span<const uint8_t> request);

struct EnrollOptions {
  int valid_days = kDefaultValidDays;
  int64_t rotation_grace_micros = kDefaultRotationGraceMicros;
};

struct Issued {
  Certificate certificate;
  Bytes certificate_file;  // EncodeCertificateFile: the node's cert + HQ's
};

// HQ: checks a request (InspectRequest), issues the certificate and records
// the node in the registry (through the replica, so it replicates).
// An enrollment of a known node with the same keys renews its certificate;
// with other keys it is kAlreadyExists (use rotation). A rotation moves the
// current certificate to prev_certificate, accepted for the grace period.
// kFailedPrecondition if this node is not HQ; kPermissionDenied for a
// revoked node; kInvalidArgument for a bad site code, an HQ-role request or
// a validity outside 1..3650 days; kUnauthenticated for a bad signature or
// a rotation not signed by the node's current key; kConflict for a rotation
// from an older epoch.
Result<Issued> Enroll(Store& hq, const crypto::NodeSecrets& hq_keys,
                      std::span<const uint8_t> request, const EnrollOptions& options = {});

struct Installed {
  Certificate certificate;
  Certificate hq;
  bool rotated = false;  // the certificate was for DIR/node.key.next, now node.key
};

// Site: checks a certificate file against the HQ fingerprint the admin pins
// (read aloud or from a trusted channel), then stores the node's
// certificate and pins HQ's. If the certificate is for the keys made by
// `keys rotate`, DIR/node.key.next replaces DIR/node.key.
// kUnauthenticated: the fingerprint does not match HQ's key, HQ's
//   certificate is not self-signed by it, the node certificate is signed by
//   another key, or another HQ is already pinned;
// kPermissionDenied: the certificate has expired (or is not yet valid);
// kInvalidArgument: the certificate is for another node, role or site, or
//   for keys this node does not hold; kCorruption: a malformed file.
Result<Installed> InstallCertificate(Store& store, std::span<const uint8_t> certificate_file,
                                     std::string_view hq_fingerprint);

// HQ: revokes `node` with a signed revocation recorded in the registry.
// kNotFound if not enrolled; kAlreadyExists if already revoked;
// kInvalidArgument for an empty reason or HQ revoking itself.
Result<Revocation> RevokeNode(Store& hq, const crypto::NodeSecrets& hq_keys,
                              const sync::NodeId& node, std::string reason);

// Site (or a node after enrollment): new key pair sealed under `passphrase`
// into DIR/node.key.next, and a rotation statement signed by the current
// and the new key, kept in key_state (PendingRotation: presented to HQ at the
// next sync) and returned (the file for HQ). The current key stays in use
// until the new certificate is installed. While a rotation is pending, the
// same statement is returned again and no new keys are made (HQ may already
// have certified them). kFailedPrecondition if the node has no certificate
// yet, or is HQ (HQ's key is pinned by every site: see docs/keys.md).
Result<Bytes> RotateKeys(Store& store, const crypto::NodeSecrets& current,
                         std::string_view passphrase, Random& random,
                         const crypto::PwhashParams& pwhash = crypto::PwhashParams::Moderate());

// The rotation statement `keys rotate` left waiting for its certificate
// (key_state "rotation_statement"; public), or nothing.
Result<std::optional<Bytes>> PendingRotation(Store& store);

// HQ, at sync: the rotation statement `statement` presented by the
// authenticated node `peer` (docs/protocol.md, "Key rotation at sync").
// Checks it as `keys enroll` does (signed by the node's current certified key
// and by the new key, oldEpoch = the current epoch, node not revoked) and
// issues the next epoch's certificate with the same role, site and scopes
// and the validity length of the current one. Idempotent: a statement that
// is already certified (the registry's current certificate holds its new keys
// and the previous one its old epoch, and it verifies with that previous key)
// returns the certificate issued then, unchanged, and writes nothing.
// kPermissionDenied: the statement is for another node than `peer`, or the
// node is revoked; kUnauthenticated / kConflict / kNotFound / kCorruption as
// Enroll.
Result<Issued> IssueRotation(Store& hq, const crypto::NodeSecrets& hq_keys,
                             const sync::NodeId& peer, std::span<const uint8_t> statement,
                             int64_t rotation_grace_micros = kDefaultRotationGraceMicros);

// Site: installs the certificate HQ returned for the pending rotation: as
// InstallCertificate with the pinned HQ's fingerprint, and the certificate
// must be for the keys in DIR/node.key.next (kInvalidArgument otherwise).
// On success node.key.next has replaced node.key (the old sealed secrets are
// gone from disk) and the pending statement is cleared.
// kFailedPrecondition if no rotation is pending or no HQ is pinned.
Result<Installed> CompleteRotation(Store& store, std::span<const uint8_t> certificate_file);

// This node's unlocked keys and, during a rotation, the pending new ones
// (DIR/node.key.next, sealed under the same passphrase).
struct UnlockedKeys {
  crypto::NodeSecrets current;
  std::optional<crypto::NodeSecrets> next;
};
// Opens DIR/node.key (and node.key.next if a rotation is pending). Finishes
// a rotation a crash interrupted: if key_state already names the keys in
// node.key.next as current (the certificate was installed, the rename had
// not happened), node.key.next replaces node.key first. Errors as
// ReadKeyFile; kFailedPrecondition if no key file holds this node's keys.
Result<UnlockedKeys> UnlockNodeKeys(Store& store, std::string_view passphrase);

struct RegistryEntry {
  sync::NodeId id{};
  std::string name;
  Role role = Role::kSite;
  std::string site;
  crypto::PublicKeyBytes signing_key{};
  crypto::PublicKeyBytes kx_key{};
  uint32_t epoch = 0;
  int64_t valid_from = 0;
  int64_t valid_until = 0;
  bool revoked = false;
  int64_t revoked_at = 0;
  std::string reason;
  std::optional<int64_t> prev_valid_until;  // during a rotation's grace period
  std::optional<int64_t> last_seen;         // newest verified batch (HLC ms), local
};

// Every registry row, by name. Reads only.
Result<std::vector<RegistryEntry>> ListRegistry(Store& store);

// A node by id (UUID text) or exact name. kNotFound; kInvalidArgument if the
// name is ambiguous.
Result<sync::NodeId> FindNode(Store& store, std::string_view id_or_name);

// The node's name in the registry ("Gradiška"), or its id as text when the
// registry does not hold it (or cannot be read): for log lines and tables.
std::string NodeDisplayName(Store& store, const sync::NodeId& id);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_REGISTRY_H_
