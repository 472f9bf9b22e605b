// Stable table ids of the domain catalogue (schema/domain_catalogue.cc) and
// the ranges reserved for tables that come later. Ids are what change records
// carry on the wire: never reuse or renumber one (catalogue.h, invariant 1).
//
//   1 ..  31  crossing records (below); 12-31 free for later domain tables
//  32 ..  63  risk engine: rules, criteria, lists and list entries, alerts,
//             assessments (inspection.assessment will reference one), overrides
//  64 ..  95  keys and registry: nodes, node keys, revocations, sharing grants
//  96 .. 127  audit and retention: access log, erasure tombstones
// 128 ..      unassigned
#ifndef OUTPOST_SCHEMA_TABLE_IDS_H_
#define OUTPOST_SCHEMA_TABLE_IDS_H_

#include <cstdint>

namespace outpost::schema {

inline constexpr uint16_t kMovementTableId = 1;
inline constexpr uint16_t kVehicleTableId = 2;
inline constexpr uint16_t kEquipmentTableId = 3;
inline constexpr uint16_t kSealTableId = 4;
inline constexpr uint16_t kConsignmentTableId = 5;
inline constexpr uint16_t kGoodsItemTableId = 6;
inline constexpr uint16_t kPartyTableId = 7;
inline constexpr uint16_t kPersonTableId = 8;
inline constexpr uint16_t kMovementPersonTableId = 9;
inline constexpr uint16_t kInspectionTableId = 10;
inline constexpr uint16_t kSeizureTableId = 11;

inline constexpr uint16_t kFirstRiskTableId = 32;
inline constexpr uint16_t kFirstKeyTableId = 64;
inline constexpr uint16_t kNodeRegistryTableId = 64;  // node/registry.h
inline constexpr uint16_t kFirstAuditTableId = 96;
inline constexpr uint16_t kAuditEntryTableId = 96;  // node/audit.h
inline constexpr uint16_t kFirstUnassignedTableId = 128;

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_TABLE_IDS_H_
