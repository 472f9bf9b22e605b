// A node's keys at rest and the signed documents of the trust model
// (docs/keys.md): certificates, enrollment requests, revocations and
// rotation statements, each carried in an Envelope.
//
// Invariants:
//  1. Secret keys exist on disk only inside an "OPKS" key file sealed under
//     the passphrase (crypto/keystore.h, Argon2id + XChaCha20-Poly1305),
//     written with WriteFileAtomic mode 0600; in memory only in SecretBytes.
//  2. A document's signature covers SignatureInput(kind, body): a
//     kind-specific domain-separation tag, then the exact canonical body
//     bytes. Verifiers check the stored bytes and decode them afterwards;
//     nothing is re-encoded before verifying.
//  3. Decoding never throws and bounds the traversal: a malformed document
//     is kCorruption naming what was wrong.
//
// Thread safety: free functions with no shared state. Requires InitCrypto().
#ifndef OUTPOST_NODE_KEYS_H_
#define OUTPOST_NODE_KEYS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/keystore.h"
#include "node/store.h"

namespace outpost::node {

inline constexpr int64_t kMicrosPerDay = 86'400'000'000LL;
// How long a node's previous key stays valid after HQ certifies its new one.
inline constexpr int64_t kDefaultRotationGraceMicros = 7 * kMicrosPerDay;
inline constexpr int kDefaultValidDays = 365;

// ---- Key files -------------------------------------------------------------

// DIR/node.key: the node's sealed secrets.
std::string KeyFilePath(const std::string& dir);
// DIR/node.key.next: keys made by `keys rotate`, waiting for their certificate.
std::string NextKeyFilePath(const std::string& dir);

// Fresh Ed25519 + X25519 key pairs from `random`.
crypto::NodeSecrets GenerateNodeSecrets(Random& random);

// Seals `secrets` under `passphrase` with `params` and writes `path`
// (WriteFileAtomic, 0600). kAlreadyExists if `path` exists and !overwrite;
// kInvalidArgument for an empty passphrase or out-of-range params; kIoError.
Status WriteKeyFile(const std::string& path, const crypto::NodeSecrets& secrets,
                    std::string_view passphrase, const crypto::PwhashParams& params,
                    bool overwrite = false);

// Opens a key file. kNotFound if missing (naming `outpost init`);
// kUnauthenticated "wrong passphrase or damaged key file"; kCorruption if the
// file is not a key file or its work factors are out of range.
Result<crypto::NodeSecrets> ReadKeyFile(const std::string& path, std::string_view passphrase);

// Re-seals the key file at `path` under `new_passphrase` (fresh salt and
// nonce, same work factors as `params`). The old passphrase must open it.
Status ChangeKeyFilePassphrase(const std::string& path, std::string_view old_passphrase,
                               std::string_view new_passphrase, const crypto::PwhashParams& params);

// ---- Documents -------------------------------------------------------------

struct Certificate {
  sync::NodeId node_id{};
  std::string name;
  Role role = Role::kSite;
  std::string site;  // "HQ" for the HQ node
  crypto::PublicKeyBytes signing_key{};
  crypto::PublicKeyBytes kx_key{};
  uint32_t epoch = 1;
  int64_t valid_from = 0;                // micros, UTC
  int64_t valid_until = 0;               // micros, UTC
  std::vector<std::string> read_scopes;  // "*" = every scope
  std::vector<std::string> write_scopes;
  crypto::PublicKeyBytes hq_signing_key{};
  std::string hq_address;

  bool MayWrite(const std::string& scope) const;
  bool MayRead(const std::string& scope) const;
};

// The scopes a node of `role` at `site` is certified for: a site reads
// "shared" and "site:CODE" and writes "site:CODE"; HQ reads "*" and writes
// "shared" and its own "site:HQ" (its audit entries).
std::vector<std::string> DefaultReadScopes(Role role, const std::string& site);
std::vector<std::string> DefaultWriteScopes(Role role, const std::string& site);

struct EnrollmentRequest {
  sync::NodeId node_id{};
  std::string name;
  Role role = Role::kSite;
  std::string site;
  crypto::PublicKeyBytes signing_key{};
  crypto::PublicKeyBytes kx_key{};
  int64_t time = 0;
};

struct Revocation {
  sync::NodeId node_id{};
  uint32_t epoch = 0;
  std::string reason;
  int64_t time = 0;
};

struct RotationStatement {
  sync::NodeId node_id{};
  uint32_t old_epoch = 0;
  crypto::PublicKeyBytes new_signing_key{};
  crypto::PublicKeyBytes new_kx_key{};
  int64_t time = 0;
  Bytes kx_proof;  // RotationKxProof; empty in statements made before it
};

// What a rotation's kx proof covers: "outpost-rotate-kx-v1", the node id,
// the old epoch, both new keys and the time.
Bytes RotationKxContext(const RotationStatement& rot);
// The proof of possession of rot.new_kx_key, for HQ: the node computes it
// with its new key pair and HQ's kx public key, HQ with its own key pair and
// rot.new_kx_key (crypto::KxPossessionTag). kUnauthenticated for a
// low-order peer key.
Result<Bytes> RotationKxProof(const RotationStatement& rot, const crypto::KxKeyPair& own,
                              const crypto::PublicKeyBytes& peer_kx);

// Document kinds (Envelope::kind).
inline constexpr std::string_view kKindCertificate = "cert";
inline constexpr std::string_view kKindEnrollment = "enroll";
inline constexpr std::string_view kKindRevocation = "revoke";
inline constexpr std::string_view kKindRotation = "rotate";

struct Envelope {
  std::string kind;
  Bytes body;               // canonical Cap'n Proto of the document
  Bytes signature;          // 64 bytes
  Bytes new_key_signature;  // kKindRotation only
};

// "outpost-<kind>-v1" || 0x00 || body.
Bytes SignatureInput(std::string_view kind, std::span<const uint8_t> body);

Bytes EncodeEnvelope(const Envelope& e);
// kCorruption: not an envelope, unknown kind, wrong signature length.
Result<Envelope> DecodeEnvelope(std::span<const uint8_t> bytes);

// Signs `cert` with HQ's key (cert.hq_signing_key is set from `hq`).
Envelope SignCertificate(Certificate cert, const crypto::SigningKey& hq);
// Decodes a certificate body without checking its signature (to read the key
// a self-signed HQ certificate names before checking it). kCorruption.
Result<Certificate> DecodeCertificate(std::span<const uint8_t> body);
// Checks kind, HQ's signature over the body, and that the certificate names
// `hq` as its signer. kUnauthenticated if the signature does not verify or
// another HQ signed it; kCorruption for a malformed body.
Result<Certificate> OpenCertificate(const Envelope& e, const crypto::VerifyKey& hq);

Envelope SignEnrollmentRequest(const EnrollmentRequest& req, const crypto::SigningKey& own);
// Checks the signature with the key the request names (proof of possession).
Result<EnrollmentRequest> OpenEnrollmentRequest(const Envelope& e);

Envelope SignRevocation(const Revocation& rev, const crypto::SigningKey& hq);
Result<Revocation> OpenRevocation(const Envelope& e, const crypto::VerifyKey& hq);

Envelope SignRotation(const RotationStatement& rot, const crypto::SigningKey& current,
                      const crypto::SigningKey& next);
// Checks the signature by `current` and the one by the new key it names.
Result<RotationStatement> OpenRotation(const Envelope& e, const crypto::VerifyKey& current);
// Decodes without verifying (to find which node's current key to verify with).
Result<RotationStatement> DecodeRotation(std::span<const uint8_t> body);

struct CertificateFile {
  Envelope certificate;     // the node's
  Envelope hq_certificate;  // HQ's own, self-signed
};
Bytes EncodeCertificateFile(const CertificateFile& f);
Result<CertificateFile> DecodeCertificateFile(std::span<const uint8_t> bytes);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_KEYS_H_
