// Symmetric sealing (XChaCha20-Poly1305) and sealing to a recipient's X25519
// key, for offline bundle files carried on a USB stick.
//
// SealToRecipient output ("OPBX" box, format in docs/crypto.md):
//   magic "OPBX" | version 1 | flags (bit 0: sender-authenticated)
//   | ephemeral public (32) | [sender static public (32)] | nonce (24)
//   | XChaCha20-Poly1305(key, nonce, ad = header || caller ad, plaintext)
// key = BLAKE2b-256("outpost/box/1" || DH(e, R) || [DH(S, R)]
//                   || e_pub || R_pub || [S_pub]).
// The ephemeral key gives each box a fresh key; its secret is wiped as soon
// as the box is sealed, so a stolen sender cannot reopen old boxes. A box is
// not signed: the caller signs the box (or its contents) with SigningKey,
// which is what proves origin to a third party. The optional sender static
// key only proves to the recipient that the holder of S wrote it.
//
// All functions are thread-safe (no shared state). Requires InitCrypto().
#ifndef OUTPOST_CRYPTO_AEAD_H_
#define OUTPOST_CRYPTO_AEAD_H_

#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace outpost::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 24;
inline constexpr size_t kAeadTagSize = 16;

// A random 32-byte XChaCha20-Poly1305 key from `random`.
SecretBytes NewAeadKey(Random& random);

// Encrypts `plaintext` under `key` (32 bytes) with a fresh random nonce from
// `random`, authenticating `ad` too. Returns nonce (24) || ciphertext || tag (16).
// kInvalidArgument if the key is not 32 bytes.
Result<Bytes> AeadSeal(std::span<const uint8_t> key, std::span<const uint8_t> plaintext,
                       std::span<const uint8_t> ad, Random& random);

// Reverses AeadSeal. kInvalidArgument if the key is not 32 bytes;
// kCorruption if `sealed` is shorter than nonce + tag; kUnauthenticated if the
// tag does not verify (wrong key, wrong ad, or altered bytes).
Result<Bytes> AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> sealed,
                       std::span<const uint8_t> ad);

// Encrypts `plaintext` so that only the holder of `recipient`'s secret can
// read it. With `sender` non-null the box is also bound to the sender's
// static key. `ad` (not stored) must be passed again to open.
// kInvalidArgument if `recipient` is a low-order point (no shared secret).
Result<Bytes> SealToRecipient(std::span<const uint8_t> plaintext, const PublicKeyBytes& recipient,
                              Random& random, const KxKeyPair* sender = nullptr,
                              std::span<const uint8_t> ad = {});

struct OpenedBox {
  Bytes plaintext;
  std::optional<PublicKeyBytes> sender;  // set iff the box was sender-authenticated
};

// Opens a box made by SealToRecipient for `recipient`. If `expected_sender`
// is non-null, the box must be authenticated by exactly that sender key.
// kCorruption: bad magic, unknown version or flags, truncated.
// kUnauthenticated: not for this recipient, altered, wrong `ad`, a low-order
//   ephemeral key, or not from `expected_sender`.
Result<OpenedBox> OpenFromSender(std::span<const uint8_t> sealed, const KxKeyPair& recipient,
                                 const PublicKeyBytes* expected_sender = nullptr,
                                 std::span<const uint8_t> ad = {});

}  // namespace outpost::crypto

#endif  // OUTPOST_CRYPTO_AEAD_H_
