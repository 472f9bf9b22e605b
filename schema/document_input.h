// What an officer has in front of them, turned into the fields a record
// stores, before the document is parsed (schema/row_json.h):
//  - a person's travel document read from its MRZ (schema/mrz.h), and
//  - country codes as documents and plates write them (schema/icao_codes.h).
// Thread-safe; pure functions of their arguments.
#ifndef OUTPOST_SCHEMA_DOCUMENT_INPUT_H_
#define OUTPOST_SCHEMA_DOCUMENT_INPUT_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"
#include "schema/catalogue.h"
#include "schema/mrz.h"

namespace outpost::schema {

// A person document with an "mrz" string: the zone is read and removed, and
// family_name, given_names, date_of_birth, nationality, document_type and
// document_number are filled from it. A field the document also gives must
// agree with the zone (nationality compared as stored, names as printed in
// the zone, ignoring case) or the person is refused naming both values: a
// typed field that contradicts the chip or the page is a question for the
// officer, not for the program to settle. A document without "mrz" is left
// as it is. kInvalidArgument names `path` + ".mrz" and the failing check.
Status FillPersonFromMrz(std::string_view path, nlohmann::json* person, CivilDate today);

// Rewrites codes as written into codes as stored, in place: person.nationality
// "BIH" -> "BA", "D" -> "DE", "RKS" -> "XK"; vehicle.plate_country "BIH" ->
// "BA", "SLO" -> "SI". A value that is already stored form, or that is no
// known code, is left for the validators to accept or refuse.
void StoreCodesAsWritten(uint16_t table_id, nlohmann::json* doc);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_DOCUMENT_INPUT_H_
