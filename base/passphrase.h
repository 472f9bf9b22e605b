// How strong a new secret must be: the node's key passphrase (`outpost init`,
// `keys change-passphrase`) and the passwords of the accounts that sign in
// to the node's pages (`outpost users add`, `users passwd`). Pure functions.
#ifndef OUTPOST_BASE_PASSPHRASE_H_
#define OUTPOST_BASE_PASSPHRASE_H_

#include <cstddef>
#include <string_view>

#include "base/status.h"

namespace outpost {

// A new passphrase must have at least kMinPassphraseChars characters and an
// estimated kMinPassphraseBits bits (EstimatePassphraseBits): kInvalidArgument
// naming both and the passphrase's own figures otherwise.
inline constexpr size_t kMinPassphraseChars = 12;
inline constexpr double kMinPassphraseBits = 50;
Status CheckPassphraseStrength(std::string_view passphrase);
// A conservative estimate of a passphrase's entropy: per character the log2
// of the pool its character classes span (lower, upper, digits, space,
// punctuation, other bytes), 1 bit for a repeat of the previous character
// or a step of a run (abc, 123, cba), capped at 1.5 pools per distinct
// character, so "aaaa..." and "abab..." stay weak however long.
double EstimatePassphraseBits(std::string_view passphrase);

}  // namespace outpost

#endif  // OUTPOST_BASE_PASSPHRASE_H_
