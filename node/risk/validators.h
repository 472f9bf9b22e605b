// Validators and the stable hash the risk engine uses.
//
// ISO 6346 here duplicates schema/'s container check on purpose for now (the
// risk engine must not depend on the record schema's types); to be deduped.
#ifndef OUTPOST_NODE_RISK_VALIDATORS_H_
#define OUTPOST_NODE_RISK_VALIDATORS_H_

#include <cstdint>
#include <string_view>

namespace outpost::risk {

// Check digit (0-9) of an ISO 6346 container number given its first ten
// characters (owner code, category U/J/Z, six-digit serial), or -1 if they are
// malformed. Letters take the values 10..38 skipping multiples of 11; the
// digit is sum(value_i * 2^i) mod 11 mod 10.
int Iso6346CheckDigit(std::string_view first_ten);

// True if `number` is 4 letters (the 4th U, J or Z), 6 digits and the correct
// check digit. Spaces and dashes are ignored; letters must be upper case.
bool ValidIso6346(std::string_view number);

// True if `vin` is 17 characters from [A-HJ-NPR-Z0-9] (no I, O, Q). The
// check digit (position 9) is advisory outside North America, so it is not checked.
bool ValidVin(std::string_view vin);

// A stable 64-bit hash (FNV-1a then the splitmix64 finaliser). Identical on
// every platform and release, unlike std::hash: random selection depends on it.
uint64_t StableHash64(std::string_view data, uint64_t seed);

}  // namespace outpost::risk

#endif  // OUTPOST_NODE_RISK_VALIDATORS_H_
