// The codes officers record, as predicates: what a well-formed ISO 6346
// container number or VIN is. One definition, shared by the record API's
// validators (schema/validators.h, which add the field, the value and the rule
// to a refusal) and the risk engine's rule functions valid_iso6346 and
// valid_vin (risk/validators.h). Pure functions: thread-safe, no allocation.
#ifndef OUTPOST_SCHEMA_CODES_H_
#define OUTPOST_SCHEMA_CODES_H_

#include <string_view>

namespace outpost::schema {

// The ISO 6346 check digit of the first 10 characters (owner code, category,
// serial), or -1 if they are not 4 upper-case letters and 6 digits. Letters
// take the values A=10, B=12 ... Z=38 (multiples of 11 skipped), position i
// weighs 2^i, and the digit is sum mod 11 mod 10.
int Iso6346CheckDigit(std::string_view first10);

// The check digit of an NCTS Movement Reference Number: the ISO 6346
// algorithm over its first 17 characters (A-Z, 0-9), or -1 if `first17` is
// not 17 such characters.
int MrnCheckDigit(std::string_view first17);

// True if `number` is an ISO 6346 freight container number exactly as
// ValidateContainerNumber accepts it: 3-letter owner code, category U, J or Z,
// 6-digit serial and the matching check digit; upper case, no spaces.
bool IsContainerNumber(std::string_view number);

// True if `number` is an intermodal loading unit code of EN 13044-1 (swap
// bodies and semi-trailers, "ILU-Code", allocated by UIRR): a 3-letter owner
// code followed by a fourth letter A, B, D, E or K, a 6-digit serial and the
// check digit of the ISO 6346 algorithm (EN 13044-1, annex A), as
// ValidateEquipmentNumber accepts it ("ABCA0012342").
bool IsIluCode(std::string_view number);

// True if `vin` is a vehicle identification number (ISO 3779) as ValidateVin
// accepts it: 17 characters from A-Z and 0-9 without I, O and Q. The check
// digit (position 9) is advisory outside North America and not checked.
bool IsVin(std::string_view vin);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_CODES_H_
