// The code checks behind the rule functions valid_iso6346 and valid_vin, and
// the stable hash the risk engine uses for random selection and indexes.
//
// The checks are the record API's own (schema/codes.h), so an equipment number
// or VIN a rule calls valid is one the record API accepts; the rule language
// only adds that spaces and dashes in a printed container number are ignored.
#ifndef OUTPOST_RISK_VALIDATORS_H_
#define OUTPOST_RISK_VALIDATORS_H_

#include <cstdint>
#include <string_view>

namespace outpost::risk {

// True if `number`, spaces and dashes removed, is an equipment number the
// record API accepts, with the correct ISO 6346 check digit: a container
// number (schema::IsContainerNumber: 3-letter owner code, U/J/Z, 6 digits,
// check digit) or an EN 13044 ILU code of a swap body or semi-trailer
// (schema::IsIluCode: A/B/D/E/K as the fourth letter). Upper case only.
bool ValidIso6346(std::string_view number);

// True if `vin` is 17 characters from [A-HJ-NPR-Z0-9] (schema::IsVin; the
// check digit is advisory outside North America, so it is not checked).
bool ValidVin(std::string_view vin);

// A stable 64-bit hash (FNV-1a then the splitmix64 finaliser). Identical on
// every platform and release, unlike std::hash: random selection depends on it.
uint64_t StableHash64(std::string_view data, uint64_t seed);

}  // namespace outpost::risk

#endif  // OUTPOST_RISK_VALIDATORS_H_
