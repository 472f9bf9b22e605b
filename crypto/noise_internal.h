// Pieces of the Noise implementation that tests check directly. Not for use
// outside crypto/ and its tests.
#ifndef OUTPOST_CRYPTO_NOISE_INTERNAL_H_
#define OUTPOST_CRYPTO_NOISE_INTERNAL_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "crypto/noise.h"
#include "crypto/secret.h"

namespace outpost::crypto::detail {

// HMAC-BLAKE2b-512 (RFC 2104, block 128 bytes) of the concatenation of
// `parts`, keyed with `key` (at most 128 bytes; Noise uses 64), into `out`.
void HmacBlake2b(std::span<const uint8_t> key,
                 std::initializer_list<std::span<const uint8_t>> parts,
                 std::span<uint8_t, kNoiseHashSize> out);

// Noise HKDF(chaining_key, input_key_material, num_outputs = 2 or 3): writes
// the outputs, 64 bytes each, back to back into `out` (64 * num_outputs).
void NoiseHkdf(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm, int num_outputs,
               std::span<uint8_t> out);

struct CipherStateTestAccess {
  // Noise's SetNonce, kept out of the public API: resetting a nonce is how
  // keystreams get reused.
  static void SetNonce(CipherState& c, uint64_t n) { c.n_ = n; }
  // An independent copy (key and nonce): lets the handshake fuzz target run
  // one genuine handshake at start-up and start every input from its result.
  static CipherState Clone(const CipherState& c) {
    CipherState out;
    if (c.HasKey()) out.InitializeKey(c.k_.span());
    out.n_ = c.n_;
    return out;
  }
};

}  // namespace outpost::crypto::detail

#endif  // OUTPOST_CRYPTO_NOISE_INTERNAL_H_
