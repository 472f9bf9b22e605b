// Rules across the fields of one record, checked by the record API after each
// field has passed its own check (schema/row_json.h, schema/validators.h): on
// a new record, and on a record as a patch would leave it.
//  - seizure: "amount" and "currency" are given together, and so are "value"
//    and "value_currency"; a seizure of commodity_group "cash" states its
//    amount and currency (cash is counted in its currency, not in kilograms).
//  - equipment: a number whose fourth letter is an EN 13044 category (A, B,
//    D, E, K) marks a swap body or a semi-trailer: its kind is not
//    "container".
//  - person: a date of birth is not after today; a partial one ("1985",
//    "1985-07") not in a later year, or month, than today's.
// A field that is absent or null is not given. Thread-safe; a pure function
// of its arguments.
#ifndef OUTPOST_SCHEMA_ROW_RULES_H_
#define OUTPOST_SCHEMA_ROW_RULES_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"
#include "schema/catalogue.h"
#include "schema/mrz.h"

namespace outpost::schema {

// kInvalidArgument naming `path` + "." + the field, its value and the rule;
// Ok for a table without such rules.
Status CheckRowRules(const Table& table, std::string_view path, const nlohmann::json& doc,
                     CivilDate today);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_ROW_RULES_H_
