// Test seam for the key store. Not for use outside crypto/ and its tests.
#ifndef OUTPOST_CRYPTO_KEYSTORE_INTERNAL_H_
#define OUTPOST_CRYPTO_KEYSTORE_INTERNAL_H_

#include <span>
#include <string_view>

#include "crypto/keystore.h"

namespace outpost::crypto::detail {

// SealWithPassphrase / OpenWithPassphrase with `floor` in place of
// PwhashParams::Interactive() as the lowest accepted work factors. The public
// functions are these with the Interactive floor. Tests that run dozens of
// derivations (the every-byte tamper test) use libsodium's minimum here, so
// they take milliseconds instead of seconds; everything else is the same code.
Result<Bytes> SealWithPassphraseFloor(std::span<const uint8_t> secret, std::string_view passphrase,
                                      const PwhashParams& params, const PwhashParams& floor);
Result<SecretBytes> OpenWithPassphraseFloor(std::span<const uint8_t> sealed,
                                            std::string_view passphrase, const PwhashParams& floor);

}  // namespace outpost::crypto::detail

#endif  // OUTPOST_CRYPTO_KEYSTORE_INTERNAL_H_
