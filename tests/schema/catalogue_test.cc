#include "schema/catalogue.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "schema/column_ids.h"
#include "schema/table_ids.h"
#include "schema/validators.h"

using namespace outpost;
using namespace outpost::schema;

namespace {

bool IsTextCheck(Check c) {
  switch (c) {
    case Check::kPositive:
    case Check::kNonNegative:
      return false;
    default:
      return true;
  }
}

// A sample value of the column's type that passes its check, so that every
// column can be pushed through ValidateValue once.
Value SampleValue(const Column& c) {
  switch (c.type) {
    case ColumnType::kInteger:
      return int64_t{1};
    case ColumnType::kReal:
      return 1.5;
    case ColumnType::kBool:
      return int64_t{1};
    case ColumnType::kTime:
      return int64_t{1764326003000000};
    case ColumnType::kId:
    case ColumnType::kBlob:
      return Bytes(16, 0xab);
    case ColumnType::kText:
      break;
  }
  switch (c.check) {
    case Check::kEnum:
      return c.allowed.front();
    case Check::kEnumList:
      return c.allowed.front();
    case Check::kIso6346:
      return std::string("CSQU3054383");
    case Check::kEquipmentNumber:
      return std::string("ABCA0012342");
    case Check::kHsCode:
      return std::string("240220");
    case Check::kCountry:
      return std::string("BA");
    case Check::kCountryList:
      return std::string("TR,BG,RS,BA");
    case Check::kVin:
      return std::string("1M8GDM9AXKP042788");
    case Check::kCurrency:
      return std::string("EUR");
    case Check::kUnit:
      return std::string("KGM");
    case Check::kSiteCode:
      return std::string("BA-BIJ");
    case Check::kDate:
      return std::string("1980-02-29");
    case Check::kBirthDate:
      return std::string("1980-02");
    case Check::kContainerSizeType:
      return std::string("22G1");
    case Check::kNationality:
      return std::string("XXA");
    case Check::kDeclaration:
      return std::string("26BA50775200258191");
    default:
      break;
  }
  return std::string("Robert'); DROP TABLE movement;--").substr(0, c.max_len);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(domain_catalogue)

BOOST_AUTO_TEST_CASE(table_ids_and_names_are_unique) {
  const Catalogue cat = DomainCatalogue();
  BOOST_TEST(cat.version() == 2u);
  std::set<uint16_t> ids;
  std::set<std::string> names;
  for (const auto& t : cat.tables()) {
    BOOST_TEST_CONTEXT("table " << t.name) {
      BOOST_TEST(t.id > 0);
      BOOST_TEST(t.id < kFirstUnassignedTableId);  // inside a reserved range
      BOOST_TEST(ids.insert(t.id).second);
      BOOST_TEST(names.insert(t.name).second);
      BOOST_TEST(cat.Find(t.name) == &t);
      BOOST_TEST(cat.FindById(t.id) == &t);
      // Crossing records belong to their site; HQ-only (shared) tables live in
      // the later ranges: risk rules and lists, the node registry.
      BOOST_TEST((t.scope == ScopeRule::kSite || t.id >= kFirstRiskTableId));
      BOOST_TEST(t.since_version <= cat.version());
    }
  }
  // The eleven crossing-record tables sit in the domain range; later modules
  // add theirs in their own ranges (table_ids.h).
  size_t domain = 0;
  for (const auto& t : cat.tables()) domain += t.id < kFirstRiskTableId;
  BOOST_TEST(domain == 11u);
}

BOOST_AUTO_TEST_CASE(column_ids_are_unique_and_dense_per_table) {
  const Catalogue cat = DomainCatalogue();
  for (const auto& t : cat.tables()) {
    std::set<uint16_t> ids;
    std::set<std::string> names;
    uint32_t since = 1;
    for (const auto& c : t.columns) {
      BOOST_TEST_CONTEXT(t.name << "." << c.name) {
        BOOST_TEST(ids.insert(c.id).second);
        BOOST_TEST(names.insert(c.name).second);
        // Added columns come last, in the order of the versions that added them.
        BOOST_TEST(c.since_version >= since);
        BOOST_TEST(c.since_version <= cat.version());
        since = c.since_version;
        BOOST_TEST(c.max_len > 0u);
        // Reserved: the primary key and the document envelope key.
        BOOST_TEST(c.name != "id");
        BOOST_TEST(c.name != "type");
      }
    }
    // Version 1 has dropped nothing, so ids run 1..n.
    BOOST_TEST_CONTEXT("table " << t.name) {
      BOOST_TEST(*ids.begin() == 1);
      BOOST_TEST(*ids.rbegin() == t.columns.size());
    }
  }
}

// Every named column id (column_ids.h) is the id of the catalogue's column
// of that name: a renumbered column or a misspelt constant fails here, not
// as a value written to the wrong column.
BOOST_AUTO_TEST_CASE(named_column_ids_match_the_catalogue) {
  const Catalogue cat = DomainCatalogue();
  auto check = [&](std::string_view table, std::string_view column, uint16_t id) {
    BOOST_TEST_CONTEXT(table << "." << column) {
      const Table* t = cat.Find(table);
      BOOST_TEST_REQUIRE(t != nullptr);
      const Column* c = t->FindColumn(column);
      BOOST_TEST_REQUIRE(c != nullptr);
      BOOST_TEST(c->id == id);
    }
  };
  {
    namespace C = columns::risk_ruleset;
    check("risk_ruleset", "ruleset_id", C::kRulesetId);
    check("risk_ruleset", "version", C::kVersion);
    check("risk_ruleset", "issued", C::kIssued);
    check("risk_ruleset", "rule_count", C::kRuleCount);
    check("risk_ruleset", "manifest", C::kManifest);
    check("risk_ruleset", "signature", C::kSignature);
    check("risk_ruleset", "signer", C::kSigner);
    check("risk_ruleset", "loaded_by", C::kLoadedBy);
  }
  {
    namespace C = columns::risk_ruleset_chunk;
    check("risk_ruleset_chunk", "ruleset", C::kRuleset);
    check("risk_ruleset_chunk", "seq", C::kSeq);
    check("risk_ruleset_chunk", "data", C::kData);
  }
  {
    namespace C = columns::risk_assessment;
    check("risk_assessment", "movement", C::kMovement);
    check("risk_assessment", "ruleset", C::kRuleset);
    check("risk_assessment", "ruleset_id", C::kRulesetId);
    check("risk_assessment", "ruleset_version", C::kRulesetVersion);
    check("risk_assessment", "score", C::kScore);
    check("risk_assessment", "lane", C::kLane);
    check("risk_assessment", "random_selected", C::kRandomSelected);
    check("risk_assessment", "random_draw", C::kRandomDraw);
    check("risk_assessment", "random_rate", C::kRandomRate);
    check("risk_assessment", "stale", C::kStale);
    check("risk_assessment", "hits", C::kHits);
    check("risk_assessment", "shadow_hits", C::kShadowHits);
    check("risk_assessment", "rules_hit", C::kRulesHit);
    check("risk_assessment", "warnings", C::kWarnings);
    check("risk_assessment", "assessed_at", C::kAssessedAt);
  }
  {
    namespace C = columns::node_registry;
    check("node_registry", "name", C::kName);
    check("node_registry", "role", C::kRole);
    check("node_registry", "site", C::kSite);
    check("node_registry", "signing_key", C::kSigningKey);
    check("node_registry", "kx_key", C::kKxKey);
    check("node_registry", "epoch", C::kEpoch);
    check("node_registry", "valid_from", C::kValidFrom);
    check("node_registry", "valid_until", C::kValidUntil);
    check("node_registry", "certificate", C::kCertificate);
    check("node_registry", "status", C::kStatus);
    check("node_registry", "revoked_at", C::kRevokedAt);
    check("node_registry", "reason", C::kReason);
    check("node_registry", "revocation", C::kRevocation);
    check("node_registry", "prev_signing_key", C::kPrevSigningKey);
    check("node_registry", "prev_kx_key", C::kPrevKxKey);
    check("node_registry", "prev_valid_until", C::kPrevValidUntil);
    check("node_registry", "prev_certificate", C::kPrevCertificate);
  }
  check("audit_entry", "node", columns::audit_entry::kNode);
}

BOOST_AUTO_TEST_CASE(every_reference_names_an_existing_table) {
  const Catalogue cat = DomainCatalogue();
  for (const auto& t : cat.tables()) {
    for (const auto& c : t.columns) {
      BOOST_TEST_CONTEXT(t.name << "." << c.name) {
        // An id column may leave `references` empty (its table comes with a
        // later module, or it points into several tables); a named one must
        // exist. Only id columns reference.
        if (c.type == ColumnType::kId && !c.references.empty()) {
          BOOST_TEST(cat.Find(c.references) != nullptr, "references " << c.references);
        }
        if (c.type != ColumnType::kId) BOOST_TEST(c.references.empty());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(domain_references_follow_the_domain_brief) {
  const Catalogue cat = DomainCatalogue();
  const std::vector<std::pair<std::string, std::string>> kRefs = {
      {"movement.vehicle", "vehicle"},
      {"movement.trailer", "vehicle"},
      {"movement.driver", "person"},
      {"equipment.movement", "movement"},
      {"seal.equipment", "equipment"},
      {"consignment.movement", "movement"},
      {"consignment.shipper", "party"},
      {"consignment.consignee", "party"},
      {"consignment.declarant", "party"},
      {"goods_item.consignment", "consignment"},
      {"movement_person.movement", "movement"},
      {"movement_person.person", "person"},
      {"inspection.movement", "movement"},
      {"seizure.inspection", "inspection"},
      {"inspection.assessment", ""},  // the risk engine's table, when it lands
  };
  for (const auto& [column, table] : kRefs) {
    BOOST_TEST_CONTEXT(column) {
      const size_t dot = column.find('.');
      const Table* t = cat.Find(column.substr(0, dot));
      BOOST_REQUIRE(t != nullptr);
      const Column* c = t->FindColumn(column.substr(dot + 1));
      BOOST_REQUIRE(c != nullptr);
      BOOST_TEST((c->type == ColumnType::kId));
      BOOST_TEST(c->references == table);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_check_fits_its_column) {
  const Catalogue cat = DomainCatalogue();
  for (const auto& t : cat.tables()) {
    for (const auto& c : t.columns) {
      BOOST_TEST_CONTEXT(t.name << "." << c.name) {
        const bool has_allowed = c.check == Check::kEnum || c.check == Check::kEnumList;
        BOOST_TEST(has_allowed == !c.allowed.empty());
        if (c.check != Check::kNone) {
          const bool text = c.type == ColumnType::kText;
          const bool number = c.type == ColumnType::kInteger || c.type == ColumnType::kReal;
          BOOST_TEST((IsTextCheck(c.check) ? text : number));
        }
        for (const auto& a : c.allowed) {
          BOOST_TEST(a.find(',') == std::string::npos);
          BOOST_TEST(a.size() <= c.max_len);
        }
        // A typical value passes, and a required column refuses NULL.
        Status s = ValidateValue(c, t.name + "." + c.name, SampleValue(c));
        BOOST_TEST(s.ok(), s.ToString());
        BOOST_TEST(ValidateValue(c, "f", Value()).ok() == !c.required);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(mandatory_fields_follow_the_domain_brief) {
  const Catalogue cat = DomainCatalogue();
  auto required = [&](std::string_view table, std::string_view column) {
    const Table* t = cat.Find(table);
    BOOST_REQUIRE(t != nullptr);
    const Column* c = t->FindColumn(column);
    BOOST_REQUIRE(c != nullptr);
    return c->required;
  };
  BOOST_TEST(required("movement", "time"));
  BOOST_TEST(required("inspection", "movement"));
  BOOST_TEST(required("inspection", "selection_basis"));
  BOOST_TEST(required("inspection", "result"));
  BOOST_TEST(required("seizure", "inspection"));
  BOOST_TEST(required("seizure", "quantity"));
  BOOST_TEST(required("seizure", "unit"));
  BOOST_TEST(required("person", "review_date"));
  BOOST_TEST(!required("movement", "lane"));
}

BOOST_AUTO_TEST_CASE(nominal_data_is_marked_separable) {
  const Catalogue cat = DomainCatalogue();
  BOOST_TEST(cat.Find("person")->nominal);
  BOOST_TEST(cat.Find("movement_person")->nominal);
  BOOST_TEST(!cat.Find("movement")->nominal);
  BOOST_TEST(cat.Find("movement")->FindColumn("driver")->nominal);
  BOOST_TEST(cat.Find("vehicle")->FindColumn("plate")->nominal);
  BOOST_TEST(!cat.Find("vehicle")->FindColumn("plate_country")->nominal);
  // In a nominal table every column is nominal; a reference to a nominal
  // table from a non-nominal one is itself nominal.
  for (const auto& t : cat.tables()) {
    for (const auto& c : t.columns) {
      BOOST_TEST_CONTEXT(t.name << "." << c.name) {
        if (t.nominal) BOOST_TEST(c.nominal);
        if (c.type == ColumnType::kId && !c.references.empty() && cat.Find(c.references)->nominal) {
          BOOST_TEST(c.nominal);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ids_are_stable) {
  // Ids are on the wire: this test pins them so a renumbering fails loudly.
  const Catalogue cat = DomainCatalogue();
  BOOST_TEST(cat.Find("movement")->id == 1);
  BOOST_TEST(cat.Find("vehicle")->id == 2);
  BOOST_TEST(cat.Find("equipment")->id == 3);
  BOOST_TEST(cat.Find("seal")->id == 4);
  BOOST_TEST(cat.Find("consignment")->id == 5);
  BOOST_TEST(cat.Find("goods_item")->id == 6);
  BOOST_TEST(cat.Find("party")->id == 7);
  BOOST_TEST(cat.Find("person")->id == 8);
  BOOST_TEST(cat.Find("movement_person")->id == 9);
  BOOST_TEST(cat.Find("inspection")->id == 10);
  BOOST_TEST(cat.Find("seizure")->id == 11);
  BOOST_TEST(cat.Find("movement")->FindColumn("time")->id == 4);
  BOOST_TEST(cat.Find("movement")->FindColumn("route")->id == 10);
  BOOST_TEST(cat.Find("goods_item")->FindColumn("currency")->id == 8);
  BOOST_TEST(cat.Find("inspection")->FindColumn("result")->id == 7);
  BOOST_TEST(cat.Find("seizure")->FindColumn("unit")->id == 5);
  BOOST_TEST(cat.Find("person")->FindColumn("review_date")->id == 8);
}

BOOST_AUTO_TEST_CASE(as_of_version_keeps_version_1) {
  const Catalogue cat = DomainCatalogue();
  const Catalogue v1 = cat.AsOfVersion(1);
  BOOST_TEST(v1.tables().size() == cat.tables().size());
  BOOST_TEST(cat.AsOfVersion(0).tables().empty());
}

BOOST_AUTO_TEST_SUITE_END()
