// The catalogue of replicated tables: declared once, read by the CRDT layer
// (which creates the tables and their change tracking from it), by the record
// API (which validates documents against it) and by the digest.
//
// Invariants:
//  1. Table ids and column ids are stable forever: a column that is dropped
//     keeps its id reserved; ids are what change records carry on the wire.
//  2. A column added in schema version N has since_version == N; a node at
//     version < N stores values for it aside and relays them untouched
//     (docs/crdt.md, "Schema evolution").
//  3. Every replicated table has the primary key `id` (16-byte UUIDv7, BLOB),
//     which is not listed in `columns`.
#ifndef OUTPOST_SCHEMA_CATALOGUE_H_
#define OUTPOST_SCHEMA_CATALOGUE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace outpost::schema {

enum class ColumnType : uint8_t {
  kText,     // UTF-8 TEXT, length-bounded by max_len
  kInteger,  // INTEGER
  kReal,     // REAL
  kBool,     // INTEGER 0/1
  kTime,     // INTEGER microseconds since the Unix epoch, UTC; JSON: RFC 3339 "...Z"
  kId,       // BLOB(16) reference to another row's id; JSON: UUID text
  kBlob,     // BLOB; JSON: hex
};

// Which validator a value must pass (see schema/validators.h).
enum class Check : uint8_t {
  kNone,
  kEnum,             // one of Column::allowed
  kIso6346,          // container number with check digit
  kEquipmentNumber,  // ISO 6346 container number or EN 13044 ILU code, with check digit
  kHsCode,           // 6, 8 or 10 digits, chapter 01-97
  kCountry,          // ISO 3166-1 alpha-2 or XK
  kCountryList,      // comma-separated kCountry codes (route)
  kVin,              // 17 chars, no I/O/Q
  kCurrency,         // ISO 4217
  kUnit,             // UN/ECE Rec 20 code from the allowed list
  kPositive,         // number > 0
  kNonNegative,      // number >= 0
  kSiteCode,         // a crossing's site code, e.g. BA-BIJ
  // Added with the domain catalogue (appended: existing values keep theirs).
  kDate,               // calendar date "YYYY-MM-DD" (review date)
  kBirthDate,          // "YYYY-MM-DD", or "YYYY-MM" / "YYYY" as documents print a partial one
  kEnumList,           // comma-separated, each one of Column::allowed, no repeats
  kContainerSizeType,  // ISO 6346 size-and-type code, e.g. 22G1, 45R1
  kNationality,        // kCountry, or an ICAO code of no state (XXA, UNO, ...)
  kDeclaration,        // a customs reference; an NCTS MRN has its check digit verified
};

struct Column {
  uint16_t id = 0;
  std::string name;
  ColumnType type = ColumnType::kText;
  bool required = false;
  bool nominal = false;  // personal data: separable, erased on delete
  Check check = Check::kNone;
  std::vector<std::string> allowed;  // for kEnum
  uint32_t max_len = 200;            // for kText, in bytes
  double max_value = 0;              // for kInteger/kReal: largest value accepted; 0 = any finite
  std::string references;            // for kId: the table it points to
  uint32_t since_version = 1;
};

// How a row's scope (need-to-know unit for sync) is chosen when it is created.
enum class ScopeRule : uint8_t {
  kSite,    // "site:CODE" of the node that creates it
  kShared,  // "shared": HQ's rules, lists, registry; only HQ writes it
};

struct Table {
  uint16_t id = 0;
  std::string name;
  std::vector<Column> columns;
  ScopeRule scope = ScopeRule::kSite;
  bool append_only = false;  // rows may be inserted, never updated or deleted
  bool nominal = false;      // the whole table holds personal data
  uint32_t since_version = 1;

  const Column* FindColumn(std::string_view name) const;
  const Column* FindColumnById(uint16_t id) const;
};

class Catalogue {
 public:
  Catalogue(uint32_t version, std::vector<Table> tables);
  uint32_t version() const { return version_; }
  const std::vector<Table>& tables() const { return tables_; }
  const Table* Find(std::string_view name) const;
  const Table* FindById(uint16_t id) const;
  // The same catalogue as a node at `version` would have it: tables and
  // columns with since_version > version removed. Used by tests of schema
  // evolution.
  Catalogue AsOfVersion(uint32_t version) const;

 private:
  uint32_t version_;
  std::vector<Table> tables_;
};

// The domain tables of a crossing (schema/domain_catalogue.cc).
Catalogue DomainCatalogue();

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_CATALOGUE_H_
