// The machine-readable zone of a travel document (ICAO Doc 9303, 8th edition,
// parts 3-7): what a document reader gives, or an officer pastes, read into
// fields with every check digit verified.
//
// Formats, told apart by the number and length of the lines:
//   TD1    3 lines of 30  identity cards (document code I, A or C)
//   TD2    2 lines of 36  identity cards and older cards
//   TD3    2 lines of 44  passports (document code P)
//   MRV-A  2 lines of 44  visas (document code V)
//   MRV-B  2 lines of 36  visas (document code V)
// Lines are separated by "\n" or "\r\n"; a zone pasted as one line of
// 90, 72 or 88 characters is cut at the format's line length. Leading and
// trailing spaces around the zone are ignored. The character set is
// A-Z, 0-9 and the filler "<": lower case or any other character is refused
// with its line and position (a reader never gives them; a typed zone must be
// typed as printed).
//
// Check digits (part 3, 4.9): weights 7, 3, 1 repeating; digits count as
// themselves, A-Z as 10-35, "<" as 0; the check digit is the sum mod 10.
// Verified: document number, date of birth, date of expiry, optional data
// (TD3, where it is not all fillers) and the composite (TD1, TD2, TD3; visas
// have none). A failed check is refused with the field's name, its value
// and the digit expected.
//
// A long document number (TD1, TD2: more than 9 characters) has "<" in its
// check digit position and continues in the optional data, ending with its
// check digit (part 5, 4.2.4 note j; part 6, 4.2.4).
//
// Dates are YYMMDD. The century: a date of birth is the latest year not after
// `today`; a date of expiry is 20YY unless that is more than 50 years after
// `today`. A date of birth with "<<" for an unknown day (or month) is kept
// partial: "1974-08" or "1974".
//
// Thread-safe; pure functions.
#ifndef OUTPOST_SCHEMA_MRZ_H_
#define OUTPOST_SCHEMA_MRZ_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace outpost::schema {

// A calendar day (UTC), for the century of two-digit years.
struct CivilDate {
  int year = 0;
  int month = 0;  // 1-12
  int day = 0;    // 1-31
};

enum class MrzFormat { kTd1, kTd2, kTd3, kMrvA, kMrvB };

// "TD1", "TD2", "TD3", "MRV-A", "MRV-B".
const char* MrzFormatName(MrzFormat format);

struct MrzDocument {
  MrzFormat format = MrzFormat::kTd3;
  std::string document_code;    // "P", "PA", "I", "ID", "AC", "V", ... (fillers removed)
  std::string issuing_state;    // ICAO code as printed: "BIH", "D", "RKS", "UTO"
  std::string family_name;      // primary identifier, "<" read as a space
  std::string given_names;      // secondary identifier, "<" read as a space
  bool name_truncated = false;  // the name field is full: the name may be cut
  std::string document_number;  // without fillers
  std::string nationality;      // ICAO code as printed
  std::string date_of_birth;    // "YYYY-MM-DD", or "YYYY-MM" / "YYYY" when partial
  std::string sex;              // "F", "M" or "X" (unspecified)
  std::string date_of_expiry;   // "YYYY-MM-DD"
  std::string optional_data;    // fillers removed; TD1 joins both optional fields
};

// The check digit of `field` (0-9), or -1 if it holds a character outside
// A-Z, 0-9 and "<".
int MrzCheckDigit(std::string_view field);

// Reads `zone`. `today` decides the century of the dates. Errors are
// kInvalidArgument with a message that starts with `field_path` and names
// the line, the field, the value and the rule, e.g.
//   person.mrz: line 2: the check digit of the document number "L898902C3"
//   is 5; ICAO 9303 gives 6
Result<MrzDocument> ParseMrz(std::string_view field_path, std::string_view zone, CivilDate today);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_MRZ_H_
