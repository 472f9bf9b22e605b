// Every field path the risk engine reads (risk/facts.h) against the catalogue
// of replicated tables (schema/catalogue.h): a rule can only name what the
// record API stores, with a compatible type. A path whose key the catalogue
// lacks fails here, naming the path.
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "risk/facts.h"
#include "schema/catalogue.h"

using namespace outpost;
using namespace outpost::risk::internal;

namespace {

// The tables whose columns a collection's elements carry (the record API
// nests them so: node/records.h), and the table of the parent element that
// one of them refers to. Persons carry their role from movement_person,
// which links them to the movement.
struct CollTables {
  std::vector<std::string> tables;
  std::string parent_table;  // "" for the movement itself
};

const std::map<Coll, CollTables>& Tables() {
  static const std::map<Coll, CollTables> kTables = {
      {kMovement, {{"movement"}, ""}},
      {kEquipment, {{"equipment"}, "movement"}},
      {kSeals, {{"seal"}, "equipment"}},
      {kConsignments, {{"consignment"}, "movement"}},
      {kGoods, {{"goods_item"}, "consignment"}},
      {kPersons, {{"person", "movement_person"}, "movement"}},
  };
  return kTables;
}

// Fields the engine derives rather than reads from one column, and the
// columns they are derived from.
const std::map<std::string_view, std::vector<std::pair<std::string, std::string>>>& Derived() {
  static const std::map<std::string_view, std::vector<std::pair<std::string, std::string>>> k = {
      {"route.country", {{"movement", "route"}}},
      {"persons.name", {{"person", "family_name"}, {"person", "given_names"}}},
      {"declared_gross_kg", {{"goods_item", "gross_kg"}}},
  };
  return k;
}

bool Compatible(Type t, const schema::Column& c) {
  switch (t) {
    case Type::kString:
      return c.type == schema::ColumnType::kText;
    case Type::kNumber:
      return c.type == schema::ColumnType::kInteger || c.type == schema::ColumnType::kReal;
    case Type::kBool:
      return c.type == schema::ColumnType::kBool;
    case Type::kTime:
      return c.type == schema::ColumnType::kTime ||
             (c.type == schema::ColumnType::kText &&
              (c.check == schema::Check::kDate || c.check == schema::Check::kBirthDate));
    default:
      return false;
  }
}

// The column a dotted key names from `table`, following references for all
// but the last segment ("shipper.name": consignment.shipper -> party.name);
// an error text if a segment is missing.
const schema::Column* Resolve(const schema::Catalogue& cat, std::string table, std::string_view key,
                              std::string* why) {
  for (;;) {
    const schema::Table* t = cat.Find(table);
    if (t == nullptr) {
      *why = "no table " + table;
      return nullptr;
    }
    size_t dot = key.find('.');
    const schema::Column* c = t->FindColumn(key.substr(0, dot));
    if (c == nullptr) {
      *why = "table " + table + " has no column " + std::string(key.substr(0, dot));
      return nullptr;
    }
    if (dot == std::string_view::npos) return c;
    if (c->type != schema::ColumnType::kId || c->references.empty()) {
      *why = table + "." + c->name + " is not a reference";
      return nullptr;
    }
    table = c->references;
    key = key.substr(dot + 1);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(risk_fields)

BOOST_AUTO_TEST_CASE(every_collection_is_a_table_that_refers_to_its_parent) {
  const schema::Catalogue cat = schema::DomainCatalogue();
  for (const auto& [coll, ct] : Tables()) {
    bool refers = false;
    for (const auto& name : ct.tables) {
      const schema::Table* t = cat.Find(name);
      BOOST_TEST_REQUIRE(t != nullptr, "no table " << name);
      for (const auto& c : t->columns) refers |= c.references == ct.parent_table;
    }
    BOOST_TEST((ct.parent_table.empty() || refers),
               ct.tables[0] << " has no reference to " << ct.parent_table);
  }
}

BOOST_AUTO_TEST_CASE(every_field_the_engine_reads_is_a_catalogue_column_of_its_type) {
  const schema::Catalogue cat = schema::DomainCatalogue();
  BOOST_TEST(Fields().size() >= 40u);
  for (const FieldDef& f : Fields()) {
    if (f.key.empty()) {
      auto d = Derived().find(f.path);
      BOOST_TEST_REQUIRE((d != Derived().end()), f.path << ": derived, but from what?");
      for (const auto& [table, column] : d->second) {
        const schema::Table* t = cat.Find(table);
        BOOST_TEST((t != nullptr && t->FindColumn(column) != nullptr),
                   f.path << ": derived from " << table << "." << column << ", which is missing");
      }
      continue;
    }
    auto ct = Tables().find(f.coll);
    BOOST_TEST_REQUIRE((ct != Tables().end()), f.path << ": collection without a table");
    const schema::Column* col = nullptr;
    std::string why;
    for (const auto& table : ct->second.tables) {
      std::string w;
      col = Resolve(cat, table, f.key, &w);
      if (col != nullptr) break;
      why += (why.empty() ? "" : "; ") + w;
    }
    BOOST_TEST(col != nullptr, f.path << ": the catalogue lacks it (" << why << ")");
    if (col != nullptr) {
      BOOST_TEST(Compatible(f.type, *col), f.path << ": engine type " << TypeName(f.type)
                                                  << " does not fit column " << col->name);
    }
  }
}

BOOST_AUTO_TEST_CASE(earlier_names_of_catalogue_fields_still_compile_to_them) {
  BOOST_TEST(FindField("vehicle.type") == FindField("vehicle.kind"));
  BOOST_TEST(FindField("trailer.type") == FindField("trailer.kind"));
  BOOST_TEST(FindField("persons.category") == FindField("persons.data_subject_category"));
  BOOST_TEST(FindField("vehicle.kind") >= 0);
  BOOST_TEST(FindField("vehicle.colour") == -1);
}

BOOST_AUTO_TEST_SUITE_END()
