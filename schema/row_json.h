// JSON documents <-> typed, validated rows of a catalogue table.
//
// This is the boundary where records typed by an officer, imported from a file
// or posted to the record API become Values: everything that reaches the CRDT
// layer through it has passed ValidateValue (schema/validators.h).
//
// JSON representation of each column type:
//   kText    string            kInteger  integer number (2.0 accepted, 2.5 not)
//   kReal    number            kBool     true / false
//   kTime    "2026-11-28T10:33:23.123456Z" (RFC 3339, UTC only)
//   kId      "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e6f"
//   kBlob    lower- or upper-case hex string
// The primary key "id" and any envelope keys (e.g. "type") are the caller's:
// pass them in `ignore_keys` and they are skipped.
//
// Refused, with kInvalidArgument, naming the field: unknown fields, the wrong
// JSON type, a missing required field (ParseRow only), strings over the
// column's max_len or with invalid UTF-8 or control characters, integers
// outside int64, non-finite numbers, unparsable times and ids, and any value
// failing the column's Check. One bad field refuses the whole row; the
// message lists every error found (in document key order, then missing
// required fields in column order), joined by "; ", at most 8 of them
// followed by "; and N more". Thread-safe; nothing is retained.
#ifndef OUTPOST_SCHEMA_ROW_JSON_H_
#define OUTPOST_SCHEMA_ROW_JSON_H_

#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "schema/catalogue.h"
#include "schema/value.h"

namespace outpost::schema {

// The column values of one row (without its primary key).
//  - Entries are in the table's column order, each column at most once.
//  - A column absent from `values` was absent from the document.
//  - A NULL value (std::monostate) appears only in patches and means "clear".
//  - `first` points into the Table given to ParseRow/ParsePatch: a Row must not
//    outlive the Catalogue that owns that Table.
struct Row {
  std::vector<std::pair<const Column*, Value>> values;

  // The value of the named column, or nullptr if the row does not carry it.
  const Value* Find(std::string_view column_name) const;
  friend bool operator==(const Row&, const Row&) = default;
};

// Parses a complete row for an insert. `path` prefixes field names in
// messages ("movement" -> "movement.time: ..."; a caller nesting documents
// can pass "consignment[2]"). A JSON null is the same as an absent field.
// kInvalidArgument for bad input; kInternal if an ignore key names a column
// (a caller bug: the column's value would be silently dropped).
Result<Row> ParseRow(const Table& table, const nlohmann::json& obj, std::string_view path,
                     const std::vector<std::string_view>& ignore_keys = {});

// Parses the changed fields of an update: as ParseRow, but required fields may
// be absent, and null clears a column (refused for required columns).
Result<Row> ParsePatch(const Table& table, const nlohmann::json& obj, std::string_view path,
                       const std::vector<std::string_view>& ignore_keys = {});

// The inverse of ParseRow/ParsePatch: an object with one key per entry of
// `row` (NULL -> null, times as RFC 3339 "...Z", ids as UUID text, blobs as
// lower-case hex). Entries whose column is not one of `table`'s are skipped.
nlohmann::json RowToJson(const Table& table, const Row& row);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_ROW_JSON_H_
