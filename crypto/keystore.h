// Secrets at rest, sealed under a passphrase.
//
// A sealed blob ("OPKS" key file, format in docs/crypto.md) is
//   header = magic "OPKS" | version 1 | opslimit u64 LE | memlimit u64 LE
//            | salt (16) | nonce (24)                         61 bytes
//   body   = XChaCha20-Poly1305(key, nonce, ad = header, secret) (+16 tag)
// with key = Argon2id13(passphrase, salt, opslimit, memlimit), 32 bytes.
//
// Invariants:
//   1. The whole header is authenticated: changing any byte of the blob makes
//      Open fail.
//   2. Open refuses work factors below PwhashParams::Interactive() before
//      deriving anything, so an attacker who can write the file cannot
//      downgrade it to a cheap-to-guess key; and refuses factors above
//      PwhashParams::Max(), so a damaged file cannot make Open allocate
//      gigabytes.
//   3. Decrypted secrets are returned in SecretBytes only.
//
// All functions are thread-safe (no shared state). Each Seal/Open runs one
// Argon2id derivation: ~0.1 s and 64 MiB at Interactive, ~0.5-1 s and
// 256 MiB at Moderate (the default). Requires InitCrypto().
#ifndef OUTPOST_CRYPTO_KEYSTORE_H_
#define OUTPOST_CRYPTO_KEYSTORE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace outpost::crypto {

// Argon2id work factors (crypto_pwhash opslimit / memlimit in bytes).
struct PwhashParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;

  // The default for key files: crypto_pwhash_*_MODERATE (3, 256 MiB).
  static PwhashParams Moderate();
  // The floor Open accepts: crypto_pwhash_*_INTERACTIVE (2, 64 MiB).
  static PwhashParams Interactive();
  // The ceiling Open accepts: SENSITIVE memory (1 GiB), opslimit 16.
  static PwhashParams Max();
  // Fast parameters for tests. Equal to Interactive(), the cheapest that
  // Open accepts.
  static PwhashParams ForTests() { return Interactive(); }

  bool operator==(const PwhashParams&) const = default;
};

inline constexpr size_t kKeyFileHeaderSize = 61;
inline constexpr uint8_t kKeyFileVersion = 1;

// Seals `secret` under `passphrase`. Returns the blob to write to disk (with
// WriteFileAtomic, mode 0600). Randomness (salt, nonce) comes from libsodium.
// kInvalidArgument: empty passphrase, or `params` outside
// [Interactive(), Max()]. kInternal: Argon2id could not allocate its memory.
Result<Bytes> SealWithPassphrase(std::span<const uint8_t> secret, std::string_view passphrase,
                                 const PwhashParams& params = PwhashParams::Moderate());

// Opens a blob made by SealWithPassphrase.
// kCorruption: not a key file (bad magic), truncated, unknown version, or
//   work factors outside [Interactive(), Max()] (refused before any work).
// kUnauthenticated: "wrong passphrase or damaged key file" -- the tag did not
//   verify; the two cases cannot be told apart, by design.
// kInternal: Argon2id could not allocate its memory.
Result<SecretBytes> OpenWithPassphrase(std::span<const uint8_t> sealed,
                                       std::string_view passphrase);

// Reads the work factors recorded in a blob's header without opening it.
// kCorruption as for OpenWithPassphrase (magic, length, version only).
Result<PwhashParams> ReadKeyFileParams(std::span<const uint8_t> sealed);

// Everything secret a node owns: its Ed25519 identity and its X25519 Noise
// static key. Move-only.
struct NodeSecrets {
  SigningKey signing;
  KxKeyPair kx;
};

// Serialises to a 69-byte SecretBytes blob:
//   magic "OPNS" | version 1 | ed25519 seed (32) | x25519 secret (32).
SecretBytes SerializeNodeSecrets(const NodeSecrets& secrets);
// Parses SerializeNodeSecrets' output. kCorruption on wrong size, magic or
// version.
Result<NodeSecrets> ParseNodeSecrets(std::span<const uint8_t> blob);

// SerializeNodeSecrets + SealWithPassphrase, and the reverse. Error codes as
// for the functions they combine.
Result<Bytes> SealNodeSecrets(const NodeSecrets& secrets, std::string_view passphrase,
                              const PwhashParams& params = PwhashParams::Moderate());
Result<NodeSecrets> OpenNodeSecrets(std::span<const uint8_t> sealed, std::string_view passphrase);

}  // namespace outpost::crypto

#endif  // OUTPOST_CRYPTO_KEYSTORE_H_
