// Column ids of the domain catalogue's tables that node/ writes column by
// column (schema/domain_catalogue.cc), named so that no caller writes a bare
// number. Like table ids (table_ids.h), column ids travel on the wire: never
// reuse or renumber one. tests/schema/catalogue_test.cc checks every name
// here against the catalogue's column of that name.
#ifndef OUTPOST_SCHEMA_COLUMN_IDS_H_
#define OUTPOST_SCHEMA_COLUMN_IDS_H_

#include <cstdint>

namespace outpost::schema::columns {

namespace risk_ruleset {
inline constexpr uint16_t kRulesetId = 1;
inline constexpr uint16_t kVersion = 2;
inline constexpr uint16_t kIssued = 3;
inline constexpr uint16_t kRuleCount = 4;
inline constexpr uint16_t kManifest = 5;
inline constexpr uint16_t kSignature = 6;
inline constexpr uint16_t kSigner = 7;
inline constexpr uint16_t kLoadedBy = 8;
}  // namespace risk_ruleset

namespace risk_ruleset_chunk {
inline constexpr uint16_t kRuleset = 1;
inline constexpr uint16_t kSeq = 2;
inline constexpr uint16_t kData = 3;
}  // namespace risk_ruleset_chunk

namespace risk_assessment {
inline constexpr uint16_t kMovement = 1;
inline constexpr uint16_t kRuleset = 2;
inline constexpr uint16_t kRulesetId = 3;
inline constexpr uint16_t kRulesetVersion = 4;
inline constexpr uint16_t kScore = 5;
inline constexpr uint16_t kLane = 6;
inline constexpr uint16_t kRandomSelected = 7;
inline constexpr uint16_t kRandomDraw = 8;
inline constexpr uint16_t kRandomRate = 9;
inline constexpr uint16_t kStale = 10;
inline constexpr uint16_t kHits = 11;
inline constexpr uint16_t kShadowHits = 12;
inline constexpr uint16_t kRulesHit = 13;
inline constexpr uint16_t kWarnings = 14;
inline constexpr uint16_t kAssessedAt = 15;
}  // namespace risk_assessment

namespace node_registry {
inline constexpr uint16_t kName = 1;
inline constexpr uint16_t kRole = 2;
inline constexpr uint16_t kSite = 3;
inline constexpr uint16_t kSigningKey = 4;
inline constexpr uint16_t kKxKey = 5;
inline constexpr uint16_t kEpoch = 6;
inline constexpr uint16_t kValidFrom = 7;
inline constexpr uint16_t kValidUntil = 8;
inline constexpr uint16_t kCertificate = 9;
inline constexpr uint16_t kStatus = 10;
inline constexpr uint16_t kRevokedAt = 11;
inline constexpr uint16_t kReason = 12;
inline constexpr uint16_t kRevocation = 13;
inline constexpr uint16_t kPrevSigningKey = 14;
inline constexpr uint16_t kPrevKxKey = 15;
inline constexpr uint16_t kPrevValidUntil = 16;
inline constexpr uint16_t kPrevCertificate = 17;
}  // namespace node_registry

namespace audit_entry {
inline constexpr uint16_t kNode = 1;  // the node whose chain the entry is in
}  // namespace audit_entry

}  // namespace outpost::schema::columns

#endif  // OUTPOST_SCHEMA_COLUMN_IDS_H_
