// Validators for the values officers record (docs: /work/shared/DOMAIN.md).
//
// Every validator is a pure function that returns OK or an kInvalidArgument
// Status whose message names the field path, the value and the rule:
//   movement.container: "CSQU3054384" fails the ISO 6346 check digit (expected 3)
// `field_path` is copied into the message verbatim (it comes from the
// catalogue, never from input); the value is quoted with QuoteForMessage, so
// control characters, invalid UTF-8 and very long input cannot garble a log
// line. Validators never normalise (no upper-casing, no trimming): a value is
// stored exactly as it passed. Thread-safe; no allocation unless refusing.
#ifndef OUTPOST_SCHEMA_VALIDATORS_H_
#define OUTPOST_SCHEMA_VALIDATORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "schema/catalogue.h"
#include "schema/codes.h"
#include "schema/value.h"

namespace outpost::schema {

// `"text"` as it reads ("Nikolić", "Ђорђевић"), with ", \ and control
// characters escaped (\n, \t, \xNN for C0 and invalid UTF-8, \u{85} for C1
// and for the marks that reorder or break a line: U+200E/F, U+2028/9,
// U+202A-E, U+2066-9), cut after 64 bytes (at a character's end) with "..."
// appended. For error messages only.
std::string QuoteForMessage(std::string_view text);

// ---- Codes ---------------------------------------------------------------

// The predicates behind the code checks (Iso6346CheckDigit, IsContainerNumber,
// IsVin) are in schema/codes.h, shared with the risk engine.

// ISO 6346 freight container number: 3-letter owner code, category U, J or Z,
// 6-digit serial, check digit. Upper case, no spaces ("CSQU3054383").
Status ValidateContainerNumber(std::string_view field_path, std::string_view value);

// The number of a unit of transport equipment: an ISO 6346 container number
// (as ValidateContainerNumber) or an EN 13044-1 intermodal loading unit code
// (swap bodies and semi-trailers: owner code with a fourth letter A, B, D, E
// or K, 6-digit serial, the same check digit): "CSQU3054383", "ABCA0012342".
Status ValidateEquipmentNumber(std::string_view field_path, std::string_view value);

// ISO 6346 size-and-type code: 4 characters, e.g. "22G1" (20ft, 8'6", general
// purpose), "45R1" (40ft high cube, reefer). Checked for shape only:
// [0-9A-Z] length code, [0-9A-Z] height/width code, [A-Z] type group,
// [0-9A-Z] detail.
Status ValidateContainerSizeType(std::string_view field_path, std::string_view value);

// Harmonized System code: a 4-digit heading (goods are often declared at
// heading level), a 6-digit subheading, or 8 or 10 digits for national
// subdivisions. The heading, or the first 6 digits, must be in the HS 2022
// nomenclature shipped in schema/data/hs2022.txt (1,229 headings, 5,613
// subheadings; source and licence at its top): "851712" (a 2017 subheading
// split in 2022) and invented "heading + 00" codes are refused. National
// digits beyond the sixth are not checked. Chapters 77 (reserved), 98 and 99
// (national use) are refused with their own message.
Status ValidateHsCode(std::string_view field_path, std::string_view value);

// ISO 3166-1 alpha-2: the 249 officially assigned codes plus XK (Kosovo,
// user-assigned, used by the EU and the European Commission). Upper case.
Status ValidateCountry(std::string_view field_path, std::string_view value);
bool IsCountryCode(std::string_view code);
// A person's nationality: a kCountry code, or an ICAO 9303 code of no state,
// kept as documents print it: XXA (stateless), XXB, XXC (refugees), XXX
// (unspecified), UNO, UNA, UNK (United Nations) and the other organisations
// of schema/icao_codes.h.
Status ValidateNationality(std::string_view field_path, std::string_view value);
// A route: one or more country codes separated by single commas, no spaces
// ("TR,BG,RS,BA"). The same code may appear more than once (a transit out
// and back in is a real route).
Status ValidateCountryList(std::string_view field_path, std::string_view value);

// A customs declaration's reference. Free text (a national reference), except
// that a value of the shape of an NCTS Movement Reference Number (18
// characters: 2 digits of the year, a 2-letter country code, 13 letters or
// digits, a digit) must end in its check digit: the ISO 6346 algorithm over
// the first 17 characters (letters A=10, B=12 ... Z=38, position i weighs
// 2^i, sum mod 11 mod 10), as the EU's and the common-transit countries'
// NCTS compute it.
Status ValidateDeclaration(std::string_view field_path, std::string_view value);

// Vehicle identification number (ISO 3779): 17 characters from A-Z and 0-9
// without I, O and Q. The check digit (position 9) is only mandatory in North
// America, so it is *not* enforced; see VinCheckDigitMatches.
Status ValidateVin(std::string_view field_path, std::string_view value);
// Advisory: whether position 9 holds the North American check digit. False
// for anything ValidateVin refuses.
bool VinCheckDigitMatches(std::string_view vin);

// ISO 4217 List One, active codes (including funds codes such as BOV and the
// precious-metal codes XAU, XAG...). Not accepted: withdrawn codes (e.g. HRK,
// replaced by EUR in Croatia on 2023-01-01), XTS (reserved for testing) and
// XXX (no currency), which cannot price goods.
Status ValidateCurrency(std::string_view field_path, std::string_view value);

// UN/ECE Recommendation 20 unit codes used for quantities of seized goods:
//   KGM kilogram, GRM gram, MGM milligram, TNE tonne, CTM metric carat,
//   LTR litre, MLT millilitre, HLT hectolitre, LPA litre of pure alcohol,
//   MTQ cubic metre, MTK square metre, MTR metre, CMT centimetre,
//   C62 one (pieces), H87 piece, NAR number of articles, PR pair,
//   DZN dozen, SET set. (NPR, number of pairs, is deprecated in Rec 20:
//   pairs are PR.)
// Cigarettes are counted in sticks with C62 (one); Rec 20 has no "stick" code
// and WCO seizure reporting counts sticks as pieces.
Status ValidateUnit(std::string_view field_path, std::string_view value);
const std::vector<std::string_view>& UnitCodes();

// Site code of a crossing or node: ^[A-Z]{2}-[A-Z0-9]{2,8}$ (BA-BIJ, BA-GRA,
// XK-VER). The prefix is not checked against ISO 3166 so HQ can be "HQ-...".
Status ValidateSiteCode(std::string_view field_path, std::string_view value);

// Calendar date "YYYY-MM-DD" (Gregorian, 1800-01-01 .. 9999-12-31).
Status ValidateDate(std::string_view field_path, std::string_view value);

// A date of birth as documents print it: "YYYY-MM-DD", or partial, "YYYY-MM"
// or "YYYY", when the document gives no day, or no month and day (ICAO 9303
// writes them "<<" in the MRZ). Same calendar rules as ValidateDate. Whether
// it lies in the future needs today's date: schema/row_rules.h.
Status ValidateBirthDate(std::string_view field_path, std::string_view value);

// ---- Numbers -------------------------------------------------------------

// Finite (not NaN or infinite) and > 0.
Status ValidatePositive(std::string_view field_path, double value);
// Finite and >= 0.
Status ValidateNonNegative(std::string_view field_path, double value);
Status ValidateFinite(std::string_view field_path, double value);

// ---- Membership ----------------------------------------------------------

// `value` is exactly one of `allowed` (case-sensitive).
Status ValidateEnum(std::string_view field_path, std::string_view value,
                    const std::vector<std::string>& allowed);
// Non-empty, comma-separated members of `allowed`, each at most once, no
// spaces ("documentary,xray").
Status ValidateEnumList(std::string_view field_path, std::string_view value,
                        const std::vector<std::string>& allowed);

// ---- Text ----------------------------------------------------------------

// Well-formed UTF-8: no overlong forms, no surrogates (U+D800-U+DFFF), nothing
// above U+10FFFF, no truncated sequences.
Status ValidateUtf8(std::string_view field_path, std::string_view value);
bool IsValidUtf8(std::string_view value);
// At most `max_bytes` bytes (the SQL column bound is in bytes, not characters).
Status ValidateTextLength(std::string_view field_path, std::string_view value, uint32_t max_bytes);
// Text an officer types: valid UTF-8, at most `max_bytes`, and no control
// characters (C0, DEL, C1) other than tab and newline.
Status ValidateText(std::string_view field_path, std::string_view value, uint32_t max_bytes);

// ---- Dispatch ------------------------------------------------------------

// Validates `value` for `column`:
//  - NULL: refused if the column is required, otherwise OK;
//  - the alternative must match the column type (kText: string; kInteger,
//    kBool, kTime: int64_t; kReal: double; kId: 16-byte Bytes; kBlob: Bytes
//    of at most max_len bytes); kBool must be 0 or 1; kTime must lie in
//    0000-01-01 .. 9999-12-31; kReal must be finite;
//  - kText always passes ValidateText with column.max_len;
//  - then the column's Check.
// kInvalidArgument on any failure.
Status ValidateValue(const Column& column, std::string_view field_path, const Value& value);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_VALIDATORS_H_
