// Node identity keys, fingerprints and hashing.
//
//   SigningKey / VerifyKey   Ed25519 (crypto_sign): signs change batches and
//                            bundles. 32-byte seed, 32-byte public key,
//                            64-byte detached signatures.
//   KxKeyPair                X25519 (crypto_scalarmult): the Noise static key
//                            and the recipient key for offline bundles.
//   Fingerprint              what operators read aloud to compare keys.
//   Hash256 / Hasher         BLAKE2b-256 (crypto_generichash).
//
// Secret halves live in SecretBytes (see secret.h). All types are move-only
// when they hold a secret and copyable when they do not. No type here is
// internally synchronised; const methods may be called from several threads.
// Requires InitCrypto().
#ifndef OUTPOST_CRYPTO_KEYS_H_
#define OUTPOST_CRYPTO_KEYS_H_

#include <sodium.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/secret.h"

namespace outpost::crypto {

inline constexpr size_t kSigningSeedSize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kPublicKeySize = 32;  // Ed25519 and X25519 alike
inline constexpr size_t kHashSize = 32;       // BLAKE2b-256
inline constexpr size_t kFingerprintBytes = 16;

using Signature = std::array<uint8_t, kSignatureSize>;
using PublicKeyBytes = std::array<uint8_t, kPublicKeySize>;
using Hash = std::array<uint8_t, kHashSize>;

// An Ed25519 public key. Copyable value.
class VerifyKey {
 public:
  explicit VerifyKey(const PublicKeyBytes& bytes) : bytes_(bytes) {}
  // kInvalidArgument unless `bytes` is exactly 32 bytes.
  static Result<VerifyKey> FromBytes(std::span<const uint8_t> bytes);

  // OK if `signature` is a valid Ed25519 signature of `message` by this key.
  // kUnauthenticated if it does not verify; kInvalidArgument if the signature
  // is not 64 bytes.
  Status Verify(std::span<const uint8_t> message, std::span<const uint8_t> signature) const;

  const PublicKeyBytes& bytes() const { return bytes_; }
  bool operator==(const VerifyKey&) const = default;

 private:
  PublicKeyBytes bytes_;
};

// An Ed25519 key pair. The secret (libsodium's 64-byte seed||public form) is
// held in a SecretBytes. Move-only.
class SigningKey {
 public:
  // A fresh key pair whose seed comes from `random` (SystemRandom in
  // production; a seeded source only in tests).
  static SigningKey Generate(Random& random);
  // The key pair determined by a 32-byte seed. kInvalidArgument on any other
  // size.
  static Result<SigningKey> FromSeed(std::span<const uint8_t> seed);

  // Detached Ed25519 signature of `message`. Deterministic.
  Signature Sign(std::span<const uint8_t> message) const;
  VerifyKey PublicKey() const { return VerifyKey(public_); }
  // The 32-byte seed, for serialising into a key file. Valid while *this
  // lives; do not copy it out of guarded memory.
  std::span<const uint8_t> Seed() const { return secret_.span().first(kSigningSeedSize); }

 private:
  SigningKey(SecretBytes secret, const PublicKeyBytes& pub)
      : secret_(std::move(secret)), public_(pub) {}
  SecretBytes secret_;  // crypto_sign_SECRETKEYBYTES (seed || public key)
  PublicKeyBytes public_;
};

// An X25519 key pair. Move-only.
class KxKeyPair {
 public:
  // A fresh key pair whose secret scalar comes from `random`.
  static KxKeyPair Generate(Random& random);
  // The pair for a given 32-byte secret. kInvalidArgument on any other size.
  static Result<KxKeyPair> FromSecret(std::span<const uint8_t> secret);

  const PublicKeyBytes& PublicKey() const { return public_; }
  const SecretBytes& Secret() const { return secret_; }
  // An independent copy (the secret is copied into new guarded memory).
  KxKeyPair Clone() const { return KxKeyPair(secret_.Clone(), public_); }

 private:
  KxKeyPair(SecretBytes secret, const PublicKeyBytes& pub)
      : secret_(std::move(secret)), public_(pub) {}
  SecretBytes secret_;  // 32-byte scalar
  PublicKeyBytes public_;
};

// Proof that a party holds the secret of an X25519 key, for one verifier:
// BLAKE2b-256 keyed by BLAKE2b-256(X25519(own secret, peer public)), over
// `context`. The holder of `own` computes it with the verifier's public key;
// the verifier gets the same tag from its own secret and own's public key,
// and nobody else can compute it. kUnauthenticated if `peer` is a low-order
// point (the shared secret would be all zeros).
Result<Hash> KxPossessionTag(const KxKeyPair& own, const PublicKeyBytes& peer,
                             std::span<const uint8_t> context);

// BLAKE2b-256 of `data`.
Hash Hash256(std::span<const uint8_t> data);

// Incremental BLAKE2b-256: Update any number of times, then Finish once.
// Calling Update or Finish after Finish is a bug (asserted).
class Hasher {
 public:
  Hasher();
  Hasher& Update(std::span<const uint8_t> data);
  Hash Finish();

 private:
  crypto_generichash_state state_;
  bool finished_ = false;
};

// The operator-facing fingerprint of a public key: BLAKE2b-256 of the key
// bytes, first 16 bytes, lower-case hex in 4-character groups joined by '-':
//   "3f2a-91c0-5b7e-0d44-a1c2-88f0-6e19-bb07"
std::string Fingerprint(std::span<const uint8_t> public_key);

// Parses a fingerprint as printed by Fingerprint (upper-case hex accepted,
// surrounding whitespace not). Returns the 16 fingerprint bytes.
// kInvalidArgument naming the position of the first bad character.
Result<std::array<uint8_t, kFingerprintBytes>> ParseFingerprint(std::string_view text);

// True if `fingerprint` (any form ParseFingerprint accepts) is the
// fingerprint of `public_key`.
bool MatchesFingerprint(std::span<const uint8_t> public_key, std::string_view fingerprint);

}  // namespace outpost::crypto

#endif  // OUTPOST_CRYPTO_KEYS_H_
