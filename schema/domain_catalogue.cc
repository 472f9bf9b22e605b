// The domain tables of a crossing (fields from DOMAIN.md). Version 2 added
// equipment.kind (EN 13044 swap bodies and semi-trailers) and a seizure's
// amount, currency and reported value.
//
// Rules for editing this file:
//  1. Never change or reuse a table id or a column id; a dropped column keeps
//     its id (leave a comment "id N: reserved, was ...").
//  2. A column added later gets the next free id and since_version = the new
//     catalogue version (see the note at the end of the file); bump kVersion.
//  3. Table ids are allocated in ranges (schema/table_ids.h).
//  4. No column is named "id" (the primary key) or "type" (the record API's
//     envelope key naming the table): JSON documents carry both beside the
//     columns (schema/row_json.h).
//
// Nominal data (DOMAIN.md: "must be separable from non-nominal data, so that a
// record can be shared without the persons in it"): the person and
// movement_person tables are nominal as a whole; in other tables the columns
// that identify a natural person are flagged nominal so that a non-nominal
// copy of the row drops them:
//  - movement.driver (a link to a person row: who drove is nominal);
//  - vehicle.plate and vehicle.vin: under the LED a plate or VIN is personal
//    data wherever it identifies a private keeper, and a plate is what fuzzy
//    watchlist matching looks for. A shared record keeps the vehicle's type
//    and plate country, which is what cross-crossing statistics need.
// Not nominal: party (companies, legal persons), inspection.officers (staff
// service numbers, kept for accountability in shared records), container
// and seal numbers (identify equipment, not people).
#include <utility>

#include "schema/catalogue.h"
#include "schema/table_ids.h"

namespace outpost::schema {

namespace {

constexpr uint32_t kVersion = 2;

// Lengths in bytes.
constexpr uint32_t kCodeLen = 35;    // UN/EDIFACT an..35 references and codes
constexpr uint32_t kNameLen = 100;   // a person's names
constexpr uint32_t kOrgLen = 200;    // a company name, a list of officers
constexpr uint32_t kShortLen = 200;  // short descriptive text
constexpr uint32_t kFreeLen = 1000;  // free text (descriptions, notes)

Column Text(uint16_t id, std::string name, uint32_t max_len, Check check = Check::kNone) {
  Column c;
  c.id = id;
  c.name = std::move(name);
  c.type = ColumnType::kText;
  c.max_len = max_len;
  c.check = check;
  return c;
}

Column Enum(uint16_t id, std::string name, std::vector<std::string> allowed) {
  Column c = Text(id, std::move(name), kCodeLen, Check::kEnum);
  c.allowed = std::move(allowed);
  return c;
}

Column Typed(uint16_t id, std::string name, ColumnType type, Check check = Check::kNone) {
  Column c;
  c.id = id;
  c.name = std::move(name);
  c.type = type;
  c.check = check;
  return c;
}

Column Ref(uint16_t id, std::string name, std::string table) {
  Column c = Typed(id, std::move(name), ColumnType::kId);
  c.references = std::move(table);
  return c;
}

Column Required(Column c) {
  c.required = true;
  return c;
}

// Sane upper bounds for what an officer types (docs/records.md): beyond them
// a value is a typing or unit error, never a real consignment.
constexpr double kMaxKg = 1e9;             // 1 million tonnes: more than any ship carries
constexpr double kMaxPackages = 1e7;       // packages of one goods item
constexpr double kMaxMoney = 1e12;         // a declared value in any currency
constexpr double kMaxSeizedAmount = 1e10;  // kg, litres, pieces or sticks

Column Max(Column c, double max_value) {
  c.max_value = max_value;
  return c;
}

// A column added in catalogue version `version` (rule 2 above).
Column Since(uint32_t version, Column c) {
  c.since_version = version;
  return c;
}

Column Nominal(Column c) {
  c.nominal = true;
  return c;
}

Table MakeTable(uint16_t id, std::string name, std::vector<Column> columns, bool nominal = false) {
  Table t;
  t.id = id;
  t.name = std::move(name);
  t.columns = std::move(columns);
  t.scope = ScopeRule::kSite;
  t.nominal = nominal;
  return t;
}

}  // namespace

Catalogue DomainCatalogue() {
  std::vector<Table> tables;

  tables.push_back(MakeTable(
      kMovementTableId, "movement",
      {
          // The minimum of a movement (docs/records.md): direction and
          // mode; its time defaults to now and its crossing to the node's.
          Required(Enum(1, "direction", {"in", "out"})),
          Required(Enum(2, "mode", {"road", "rail", "air", "sea"})),
          Text(3, "crossing", 11, Check::kSiteCode),
          Required(Typed(4, "time", ColumnType::kTime)),
          Enum(5, "lane", {"red", "yellow", "green", "blue"}),
          Ref(6, "vehicle", "vehicle"),
          Ref(7, "trailer", "vehicle"),
          Nominal(Ref(8, "driver", "person")),
          Text(9, "declaration", kCodeLen, Check::kDeclaration),  // MRN or national reference
          Text(10, "route", kShortLen, Check::kCountryList),
          // The load's gross mass as the crossing's weighbridge measured it
          // (the vehicle's tare deducted), beside the goods' declared gross_kg.
          Since(2, Max(Typed(11, "weighbridge_kg", ColumnType::kReal, Check::kPositive), kMaxKg)),
      }));

  tables.push_back(MakeTable(
      kVehicleTableId, "vehicle",
      {
          Nominal(Text(1, "plate", 15)),
          Text(2, "plate_country", 2, Check::kCountry),
          Nominal(Text(3, "vin", 17, Check::kVin)),
          // Not "type": documents use "type" for the table name.
          Enum(4, "kind", {"car", "bus", "truck", "van", "motorcycle", "trailer", "other"}),
      }));

  tables.push_back(
      MakeTable(kEquipmentTableId, "equipment",
                {
                    Ref(1, "movement", "movement"),
                    Text(2, "number", 11, Check::kEquipmentNumber),
                    Text(3, "size_type", 4, Check::kContainerSizeType),
                    Typed(4, "loaded", ColumnType::kBool),
                    // An ILU code (EN 13044) marks a swap body or a
                    // semi-trailer, never a container (row_rules.h).
                    Since(2, Enum(5, "kind", {"container", "swap_body", "semi_trailer"})),
                }));

  tables.push_back(MakeTable(kSealTableId, "seal",
                             {
                                 Ref(1, "equipment", "equipment"),
                                 Text(2, "number", kCodeLen),
                                 Text(3, "issuer", kShortLen),
                                 Enum(4, "condition", {"intact", "broken", "missing", "replaced"}),
                             }));

  tables.push_back(
      MakeTable(kConsignmentTableId, "consignment",
                {
                    Ref(1, "movement", "movement"),
                    Enum(2, "transport_doc_type", {"CMR", "BL", "AWB", "CIM", "other"}),
                    Text(3, "transport_doc_number", kCodeLen),
                    Ref(4, "shipper", "party"),
                    Ref(5, "consignee", "party"),
                    Ref(6, "declarant", "party"),
                    Text(7, "origin_country", 2, Check::kCountry),
                    Text(8, "dispatch_country", 2, Check::kCountry),
                    Text(9, "destination_country", 2, Check::kCountry),
                }));

  tables.push_back(MakeTable(
      kGoodsItemTableId, "goods_item",
      {
          Ref(1, "consignment", "consignment"),
          Text(2, "hs_code", 10, Check::kHsCode),
          Text(3, "description", kFreeLen),
          Max(Typed(4, "packages", ColumnType::kInteger, Check::kNonNegative), kMaxPackages),
          Max(Typed(5, "gross_kg", ColumnType::kReal, Check::kPositive), kMaxKg),
          Max(Typed(6, "net_kg", ColumnType::kReal, Check::kPositive), kMaxKg),
          Max(Typed(7, "value", ColumnType::kReal, Check::kNonNegative), kMaxMoney),
          Text(8, "currency", 3, Check::kCurrency),
      }));

  tables.push_back(MakeTable(kPartyTableId, "party",
                             {
                                 Text(1, "name", kOrgLen),
                                 Text(2, "tin", kCodeLen),  // as printed: formats differ by country
                                 Text(3, "country", 2, Check::kCountry),
                             }));

  // Every column is nominal: the row exists only because a person does.
  tables.push_back(MakeTable(
      kPersonTableId, "person",
      {
          Nominal(Text(1, "family_name", kNameLen)),
          Nominal(Text(2, "given_names", kNameLen)),
          Nominal(Text(3, "date_of_birth", 10, Check::kBirthDate)),
          Nominal(Text(4, "nationality", 3, Check::kNationality)),
          Nominal(Enum(5, "document_type",
                       {"passport", "id_card", "residence_permit", "driving_licence", "other"})),
          Nominal(Text(6, "document_number", kCodeLen)),  // as printed
          Nominal(Enum(7, "data_subject_category", {"suspect", "witness", "other", "traveller"})),
          // Retention (LED Art. 5): the date by which the row must be reviewed
          // and erased or justified again.
          Nominal(Required(Text(8, "review_date", 10, Check::kDate))),
      },
      /*nominal=*/true));

  // Who was on a movement, in which role: nominal as a whole, so sharing a
  // movement without its persons drops these rows too.
  tables.push_back(MakeTable(kMovementPersonTableId, "movement_person",
                             {
                                 Nominal(Ref(1, "movement", "movement")),
                                 Nominal(Ref(2, "person", "person")),
                                 Nominal(Enum(3, "role", {"driver", "passenger", "owner", "crew"})),
                             },
                             /*nominal=*/true));

  {
    Column methods = Text(3, "methods", kShortLen, Check::kEnumList);
    methods.allowed = {"documentary", "xray", "dog", "physical_partial", "physical_full"};
    // `assessment` will reference the risk engine's assessment table (id range
    // 32-63) once it exists; until then it names no table.
    tables.push_back(
        MakeTable(kInspectionTableId, "inspection",
                  {
                      Required(Ref(1, "movement", "movement")),
                      // Mandatory: the rules' hit-rate feedback depends on it.
                      Required(Enum(2, "selection_basis", {"rule", "random", "officer", "alert"})),
                      methods,
                      Text(4, "officers", kOrgLen),  // service numbers, comma-separated
                      Typed(5, "started", ColumnType::kTime),
                      Typed(6, "ended", ColumnType::kTime),
                      Required(Enum(7, "result", {"nil", "irregularity", "seizure"})),
                      Typed(8, "assessment", ColumnType::kId),
                      Text(9, "note", kFreeLen),
                  }));
  }

  tables.push_back(MakeTable(
      kSeizureTableId, "seizure",
      {
          Required(Ref(1, "inspection", "inspection")),
          Enum(2, "commodity_group",
               {"drugs", "tobacco", "alcohol", "counterfeit", "cites", "weapons", "cash",
                "precursors", "dual_use", "medicines", "cultural", "other"}),
          Text(3, "subtype", kNameLen),
          Required(
              Max(Typed(4, "quantity", ColumnType::kReal, Check::kPositive), kMaxSeizedAmount)),
          Required(Text(5, "unit", 3, Check::kUnit)),
          Text(6, "concealment_method", kShortLen),
          Text(7, "concealment_location", kShortLen),
          Text(8, "detection_method", kShortLen),
          // What was seized, in its own currency (cash, valuables),
          // and its value in the currency the unit reports in, where
          // known; each amount goes with its currency (row_rules.h).
          Since(2, Max(Typed(9, "amount", ColumnType::kReal, Check::kPositive), kMaxMoney)),
          Since(2, Text(10, "currency", 3, Check::kCurrency)),
          Since(2, Max(Typed(11, "value", ColumnType::kReal, Check::kNonNegative), kMaxMoney)),
          Since(2, Text(12, "value_currency", 3, Check::kCurrency)),
      }));

  // The risk engine (node/risk/distribution.h, docs/rules.md "Distribution").
  // A ruleset is one signed manifest row (HQ only: scope "shared") and the
  // payload (rules text, lists, watchlists; deflated) cut into chunk rows of
  // at most 12 KiB, so that every change batch fits one 64 KB sync chunk.
  // Assessments and officers' decisions are the site's own records.
  {
    Table ruleset = MakeTable(kFirstRiskTableId, "risk_ruleset",
                              {
                                  Required(Text(1, "ruleset_id", kShortLen)),
                                  Required(Typed(2, "version", ColumnType::kInteger)),
                                  Required(Typed(3, "issued", ColumnType::kTime)),
                                  Typed(4, "rule_count", ColumnType::kInteger),
                                  Required(Typed(5, "manifest", ColumnType::kBlob)),
                                  Required(Typed(6, "signature", ColumnType::kBlob)),
                                  Text(7, "signer", kShortLen),
                                  Text(8, "loaded_by", kCodeLen),
                              });
    ruleset.columns[4].max_len = 8192;
    ruleset.columns[5].max_len = 64;
    ruleset.scope = ScopeRule::kShared;
    ruleset.append_only = true;
    tables.push_back(std::move(ruleset));

    Table chunk = MakeTable(kFirstRiskTableId + 1, "risk_ruleset_chunk",
                            {
                                Required(Ref(1, "ruleset", "risk_ruleset")),
                                Required(Typed(2, "seq", ColumnType::kInteger)),
                                Required(Typed(3, "data", ColumnType::kBlob)),
                            });
    chunk.columns[2].max_len = 12 * 1024;
    chunk.scope = ScopeRule::kShared;
    chunk.append_only = true;
    tables.push_back(std::move(chunk));

    // hits and shadow_hits quote the matched values (a watchlist entry can
    // be a person's name): nominal.
    Table assessment =
        MakeTable(kFirstRiskTableId + 2, "risk_assessment",
                  {
                      Required(Ref(1, "movement", "movement")),
                      Required(Ref(2, "ruleset", "risk_ruleset")),
                      Required(Text(3, "ruleset_id", kShortLen)),
                      Required(Typed(4, "ruleset_version", ColumnType::kInteger)),
                      Required(Typed(5, "score", ColumnType::kInteger)),
                      Required(Enum(6, "lane", {"green", "yellow", "red"})),
                      Required(Typed(7, "random_selected", ColumnType::kBool)),
                      Typed(8, "random_draw", ColumnType::kReal),
                      Typed(9, "random_rate", ColumnType::kReal),
                      Typed(10, "stale", ColumnType::kBool),
                      Nominal(Text(11, "hits", 8000)),
                      Nominal(Text(12, "shadow_hits", 4000)),
                      Text(13, "rules_hit", kFreeLen),  // active rule ids, comma-separated
                      Text(14, "warnings", 2000),
                      Required(Typed(15, "assessed_at", ColumnType::kTime)),
                  });
    tables.push_back(std::move(assessment));  // not append-only: erasure must reach it

    Table decision = MakeTable(kFirstRiskTableId + 3, "risk_decision",
                               {
                                   Required(Ref(1, "movement", "movement")),
                                   Ref(2, "assessment", "risk_assessment"),
                                   Enum(3, "recommended", {"green", "yellow", "red"}),
                                   Required(Enum(4, "lane", {"green", "yellow", "red"})),
                                   Required(Text(5, "reason", kFreeLen)),
                                   Required(Text(6, "officer", kCodeLen)),
                                   Required(Typed(7, "decided_at", ColumnType::kTime)),
                                   Typed(8, "override", ColumnType::kBool),
                               });
    decision.append_only = true;
    tables.push_back(std::move(decision));
  }

  // The node registry (node/registry.h, docs/keys.md): one row per enrolled
  // node, row id = the node's id. HQ alone writes it (scope "shared"); every
  // node receives it. The status columns are a convenience for listing: trust
  // decisions use the HQ-signed certificate and revocation blobs, which each
  // node verifies against the pinned HQ key.
  {
    Column role = Enum(2, "role", {"hq", "site"});
    Column status = Enum(10, "status", {"active", "revoked"});
    Table registry = MakeTable(kNodeRegistryTableId, "node_registry",
                               {
                                   Required(Text(1, "name", kNameLen)),
                                   Required(role),
                                   Required(Text(3, "site", 11)),
                                   Required(Typed(4, "signing_key", ColumnType::kBlob)),
                                   Required(Typed(5, "kx_key", ColumnType::kBlob)),
                                   Required(Typed(6, "epoch", ColumnType::kInteger)),
                                   Typed(7, "valid_from", ColumnType::kTime),
                                   Typed(8, "valid_until", ColumnType::kTime),
                                   Required(Typed(9, "certificate", ColumnType::kBlob)),
                                   Required(status),
                                   Typed(11, "revoked_at", ColumnType::kTime),
                                   Text(12, "reason", kShortLen),
                                   Typed(13, "revocation", ColumnType::kBlob),
                                   // The key pair before the last rotation, accepted
                                   // until prev_valid_until (the grace period).
                                   Typed(14, "prev_signing_key", ColumnType::kBlob),
                                   Typed(15, "prev_kx_key", ColumnType::kBlob),
                                   Typed(16, "prev_valid_until", ColumnType::kTime),
                                   Typed(17, "prev_certificate", ColumnType::kBlob),
                               });
    registry.scope = ScopeRule::kShared;
    tables.push_back(std::move(registry));
  }

  // The audit log (node/audit.h): append-only, hash-chained per node, and
  // replicated to HQ like the records it speaks of.
  {
    Table audit = MakeTable(kAuditEntryTableId, "audit_entry",
                            {
                                Required(Typed(1, "node", ColumnType::kId)),
                                Required(Typed(2, "seq", ColumnType::kInteger)),
                                Required(Typed(3, "time", ColumnType::kTime)),
                                Text(4, "officer", kCodeLen),
                                Text(5, "action", 16),
                                Text(6, "record_type", 32),
                                Typed(7, "record_id", ColumnType::kId),
                                Text(8, "detail", 4000),
                                Text(9, "prev_hash", 64),
                                Text(10, "hash", 64),
                            });
    audit.append_only = true;
    tables.push_back(std::move(audit));
  }

  // Adding a column in version 3, for example:
  //   Since(3, Text(11, "cargo_manifest", kCodeLen)),
  // appended to its table, and kVersion = 3. Nodes at version 2 keep the
  // value aside and relay it (catalogue.h, invariant 2).
  return Catalogue(kVersion, std::move(tables));
}

}  // namespace outpost::schema
