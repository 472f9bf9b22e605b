#include "schema/row_json.h"

#include <boost/test/unit_test.hpp>
#include <limits>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "schema/catalogue.h"

using namespace outpost;
using namespace outpost::schema;
using nlohmann::json;

namespace {

const Catalogue& Cat() {
  static const Catalogue kCat = DomainCatalogue();
  return kCat;
}

const Table& T(std::string_view name) {
  const Table* t = Cat().Find(name);
  BOOST_REQUIRE(t != nullptr);
  return *t;
}

const std::vector<std::string_view> kEnvelope = {"id", "type"};

json GoodMovement() {
  return json{{"id", "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e6f"},
              {"type", "movement"},
              {"direction", "in"},
              {"mode", "road"},
              {"crossing", "BA-BIJ"},
              {"time", "2026-07-28T10:33:23.123456Z"},
              {"lane", "green"},
              {"vehicle", "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e70"},
              {"declaration", "26BA000000000001A0"},
              {"route", "TR,BG,RS,BA"}};
}

json GoodGoods() {
  return json{{"consignment", "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e71"},
              {"hs_code", "240220"},
              {"description", "Cigarettes, 50 cartons"},
              {"packages", 50},
              {"gross_kg", 12.5},
              {"net_kg", 10.25},
              {"value", 1200.0},
              {"currency", "EUR"}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(row_json)

BOOST_AUTO_TEST_CASE(valid_movement_parses_to_typed_values_in_column_order) {
  auto row = ParseRow(T("movement"), GoodMovement(), "movement", kEnvelope);
  BOOST_REQUIRE_MESSAGE(row.ok(), row.status().ToString());
  BOOST_TEST(row->values.size() == 8u);
  for (size_t i = 1; i < row->values.size(); ++i) {
    BOOST_TEST(row->values[i - 1].first->id < row->values[i].first->id);
  }
  int64_t t = 0;
  BOOST_REQUIRE(ParseUtcMicros("2026-07-28T10:33:23.123456Z", &t));
  BOOST_TEST(std::get<int64_t>(*row->Find("time")) == t);
  BOOST_TEST(std::get<std::string>(*row->Find("direction")) == "in");
  BOOST_TEST(std::get<Bytes>(*row->Find("vehicle")).size() == 16u);
  BOOST_TEST(row->Find("trailer") == nullptr);
}

BOOST_AUTO_TEST_CASE(row_to_json_round_trips) {
  for (const json& doc : {GoodMovement(), GoodGoods()}) {
    const std::string table = doc.contains("type") ? "movement" : "goods_item";
    auto row = ParseRow(T(table), doc, table, kEnvelope);
    BOOST_REQUIRE_MESSAGE(row.ok(), row.status().ToString());
    const json out = RowToJson(T(table), *row);
    // Reals come back as JSON floats: the document writes them as floats too.
    json expected = doc;
    expected.erase("id");
    expected.erase("type");
    BOOST_TEST(out.dump() == expected.dump());
    auto again = ParseRow(T(table), out, table);
    BOOST_REQUIRE(again.ok());
    BOOST_TEST((*again == *row));
  }
  // Bools come back as JSON booleans.
  auto eq = ParseRow(T("equipment"), json{{"number", "CSQU3054383"}, {"loaded", false}}, "e");
  BOOST_REQUIRE(eq.ok());
  BOOST_TEST(std::get<int64_t>(*eq->Find("loaded")) == 0);
  BOOST_TEST(RowToJson(T("equipment"), *eq)["loaded"] == false);
}

BOOST_AUTO_TEST_CASE(sql_looking_text_is_just_text) {
  const std::string kBobby = "Robert'); DROP TABLE movement;--";
  json doc = {
      {"family_name", kBobby}, {"given_names", "' OR 1=1 --"}, {"review_date", "2031-01-01"}};
  auto row = ParseRow(T("person"), doc, "person");
  BOOST_REQUIRE_MESSAGE(row.ok(), row.status().ToString());
  BOOST_TEST(std::get<std::string>(*row->Find("family_name")) == kBobby);
  BOOST_TEST(std::get<std::string>(*row->Find("given_names")) == "' OR 1=1 --");
}

struct BadCase {
  std::string name;
  std::string table;
  json doc;
  std::string expected;  // a substring the message must contain
};

BOOST_AUTO_TEST_CASE(bad_input_is_refused_naming_the_field) {
  auto with = [](json base, std::string_view key, json v) {
    base[std::string(key)] = std::move(v);
    return base;
  };
  auto without = [](json base, std::string_view key) {
    base.erase(std::string(key));
    return base;
  };
  const json m = GoodMovement();
  const json g = GoodGoods();
  const json seizure = {{"inspection", "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e72"},
                        {"commodity_group", "tobacco"},
                        {"quantity", 12000},
                        {"unit", "C62"}};
  const std::vector<BadCase> cases = {
      // malformed types
      {"time as number", "movement", with(m, "time", 1700000000),
       "movement.time: expected an RFC 3339 UTC timestamp string, got number"},
      {"time with offset", "movement", with(m, "time", "2026-07-28T12:33:23+02:00"),
       "movement.time: \"2026-07-28T12:33:23+02:00\" is not an RFC 3339 UTC timestamp"},
      {"time garbage", "movement", with(m, "time", "yesterday"), "movement.time: \"yesterday\""},
      {"id not a uuid", "movement", with(m, "vehicle", "BA-123-AB"),
       "movement.vehicle: \"BA-123-AB\" is not a UUID"},
      {"id as number", "movement", with(m, "vehicle", 42),
       "movement.vehicle: expected a UUID string, got number"},
      {"enum as bool", "movement", with(m, "lane", true),
       "movement.lane: expected a string, got boolean"},
      {"enum not listed", "movement", with(m, "lane", "purple"),
       "movement.lane: \"purple\" is not one of: red, yellow, green, blue"},
      {"text as array", "movement", with(m, "declaration", json::array({"a"})),
       "movement.declaration: expected a string, got array"},
      {"text as object", "movement", with(m, "declaration", json::object()),
       "movement.declaration: expected a string, got object"},
      {"bool as string", "equipment", json{{"loaded", "yes"}},
       "equipment.loaded: expected true or false, got string"},
      {"bool as number", "equipment", json{{"loaded", 1}},
       "equipment.loaded: expected true or false, got number"},
      {"integer as string", "goods_item", with(g, "packages", "50"),
       "goods_item.packages: expected an integer, got string"},
      {"integer fractional", "goods_item", with(g, "packages", 2.5),
       "goods_item.packages: 2.5 is not an integer"},
      {"real as string", "goods_item", with(g, "gross_kg", "12.5"),
       "goods_item.gross_kg: expected a number, got string"},
      {"not an object", "movement", json::array({1, 2}), "movement: expected an object, got array"},
      // unknown fields
      {"unknown field", "movement", with(m, "colour", "red"), "movement: unknown field \"colour\""},
      {"unknown hostile field name", "movement", with(m, "x\n\"y", 1),
       "movement: unknown field \"x\\n\\\"y\""},
      {"id not ignored by default", "party", json{{"id", "x"}, {"name", "ACME"}},
       "party: unknown field \"id\""},
      // missing required
      {"missing time", "movement", without(m, "time"), "movement.time: is required"},
      {"null time", "movement", with(m, "time", nullptr), "movement.time: is required"},
      {"missing quantity and unit", "seizure", without(without(seizure, "quantity"), "unit"),
       "seizure.quantity: is required; seizure.unit: is required"},
      {"missing review date", "person", json{{"family_name", "Horvat"}},
       "person.review_date: is required"},
      // oversize and bad text
      {"oversize name", "person",
       json{{"family_name", std::string(101, 'a')}, {"review_date", "2031-01-01"}},
       "person.family_name: \"aaaa"},
      {"oversize free text", "goods_item", with(g, "description", std::string(1001, 'x')),
       "goods_item.description: \"xxxx"},
      {"invalid utf-8", "goods_item", with(g, "description", std::string("ok\xC0\xAF")),
       "goods_item.description: \"ok\\xC0\\xAF\" is not valid UTF-8 (at byte 2)"},
      {"surrogate", "goods_item", with(g, "description", std::string("\xED\xA0\x80")),
       "goods_item.description: \"\\xED\\xA0\\x80\" is not valid UTF-8"},
      {"nul byte", "goods_item", with(g, "description", std::string("a\0b", 3)),
       "goods_item.description: \"a\\x00b\" contains the control character U+0000"},
      // numbers
      {"huge unsigned", "goods_item", with(g, "packages", 18446744073709551615ULL),
       "goods_item.packages: 18446744073709551615 is out of range for a 64-bit integer"},
      {"huge float as integer", "goods_item", with(g, "packages", 1e30),
       "goods_item.packages: 1e+30 is out of range"},
      {"infinite real", "goods_item", with(g, "gross_kg", std::numeric_limits<double>::infinity()),
       "goods_item.gross_kg: Infinity is not a finite number"},
      {"NaN real", "goods_item", with(g, "gross_kg", std::numeric_limits<double>::quiet_NaN()),
       "goods_item.gross_kg: NaN is not a finite number"},
      {"NaN as integer", "goods_item",
       with(g, "packages", std::numeric_limits<double>::quiet_NaN()),
       "goods_item.packages: NaN is not a finite number"},
      {"NaN-ish string", "goods_item", with(g, "gross_kg", "NaN"),
       "goods_item.gross_kg: expected a number, got string"},
      {"zero weight", "goods_item", with(g, "gross_kg", 0),
       "goods_item.gross_kg: 0 must be greater than 0"},
      {"negative packages", "goods_item", with(g, "packages", -1),
       "goods_item.packages: -1 must not be negative"},
      {"negative quantity", "seizure", with(seizure, "quantity", -5),
       "seizure.quantity: -5 must be greater than 0"},
      // checks
      {"bad container", "equipment", json{{"number", "CSQU3054384"}},
       "equipment.number: \"CSQU3054384\" fails the ISO 6346 check digit (expected 3)"},
      {"bad hs", "goods_item", with(g, "hs_code", "980000"), "goods_item.hs_code: \"980000\""},
      {"bad currency", "goods_item", with(g, "currency", "HRK"), "goods_item.currency: \"HRK\""},
      {"bad country", "consignment", json{{"origin_country", "XX"}},
       "consignment.origin_country: \"XX\" is not an ISO 3166-1"},
      {"bad unit", "seizure", with(seizure, "unit", "sticks"), "seizure.unit: \"sticks\""},
      {"bad site", "movement", with(m, "crossing", "Bijaca"), "movement.crossing: \"Bijaca\""},
      {"bad vin", "vehicle", json{{"vin", "1M8GDM9AOKP042788"}},
       "vehicle.vin: \"1M8GDM9AOKP042788\""},
      {"bad date", "person", json{{"review_date", "2031-02-30"}},
       "person.review_date: \"2031-02-30\""},
      {"bad methods", "inspection",
       json{{"movement", "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e6f"},
            {"selection_basis", "rule"},
            {"result", "nil"},
            {"methods", "xray,sniff"}},
       "inspection.methods: \"xray,sniff\""},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto row = ParseRow(T(c.table), c.doc, c.table,
                          c.table == "party" ? std::vector<std::string_view>{} : kEnvelope);
      BOOST_TEST(!row.ok());
      BOOST_TEST((row.status().code() == Code::kInvalidArgument));
      BOOST_TEST(row.status().message().find(c.expected) != std::string::npos,
                 row.status().message());
    }
  }
}

BOOST_AUTO_TEST_CASE(all_errors_are_reported_and_capped) {
  json doc = GoodMovement();
  doc["lane"] = "purple";
  doc["time"] = 1;
  auto row = ParseRow(T("movement"), doc, "movement", kEnvelope);
  BOOST_REQUIRE(!row.ok());
  // Key order (nlohmann sorts keys): lane before time.
  BOOST_TEST(row.status().message() ==
             "movement.lane: \"purple\" is not one of: red, yellow, green, blue; "
             "movement.time: expected an RFC 3339 UTC timestamp string, got number");

  json many = {{"time", "2026-07-28T10:33:23Z"}};
  for (int i = 0; i < 20; ++i) many["unknown" + std::to_string(10 + i)] = i;
  row = ParseRow(T("movement"), many, "movement");
  BOOST_REQUIRE(!row.ok());
  const std::string& msg = row.status().message();
  BOOST_TEST(msg.find("unknown10") != std::string::npos);
  BOOST_TEST(msg.find("unknown17") != std::string::npos);
  BOOST_TEST(msg.find("unknown18") == std::string::npos);
  // 20 unknown keys and the required direction and mode: 22, 8 shown.
  BOOST_TEST(msg.substr(msg.size() - 13) == "; and 14 more");
}

BOOST_AUTO_TEST_CASE(path_prefixes_field_names) {
  auto row = ParseRow(T("goods_item"), json{{"hs_code", "00"}}, "consignment[2].goods[0]");
  BOOST_REQUIRE(!row.ok());
  BOOST_TEST(row.status().message().rfind("consignment[2].goods[0].hs_code: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(integral_floats_are_accepted_for_integers) {
  auto row = ParseRow(T("goods_item"), json::parse(R"({"packages": 2.0})"), "g");
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(std::get<int64_t>(*row->Find("packages")) == 2);
  // goods_item.packages is bounded (docs/records.md); an unbounded integer
  // column takes the largest 64-bit value exactly.
  auto bounded = ParseRow(T("goods_item"), json{{"packages", INT64_MAX}}, "g");
  BOOST_TEST(!bounded.ok());
  auto big = ParsePatch(T("risk_ruleset"), json{{"rule_count", INT64_MAX}}, "r");
  BOOST_REQUIRE(big.ok());
  BOOST_TEST(std::get<int64_t>(*big->Find("rule_count")) == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(null_is_absent_in_a_row_but_clears_in_a_patch) {
  json doc = GoodMovement();
  doc["lane"] = nullptr;
  auto row = ParseRow(T("movement"), doc, "movement", kEnvelope);
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(row->Find("lane") == nullptr);

  auto patch = ParsePatch(T("movement"), json{{"lane", nullptr}, {"mode", "rail"}}, "movement");
  BOOST_REQUIRE_MESSAGE(patch.ok(), patch.status().ToString());
  BOOST_TEST(patch->values.size() == 2u);
  BOOST_TEST(IsNull(*patch->Find("lane")));
  BOOST_TEST(RowToJson(T("movement"), *patch).dump() == R"({"lane":null,"mode":"rail"})");
}

BOOST_AUTO_TEST_CASE(patch_needs_no_required_fields_but_cannot_clear_them) {
  auto patch = ParsePatch(T("inspection"), json{{"note", "seals intact"}}, "inspection");
  BOOST_TEST(patch.ok());
  auto clear = ParsePatch(T("inspection"), json{{"result", nullptr}}, "inspection");
  BOOST_REQUIRE(!clear.ok());
  BOOST_TEST(clear.status().message() == "inspection.result: is required and cannot be cleared");
  auto bad = ParsePatch(T("inspection"), json{{"result", "maybe"}}, "inspection");
  BOOST_TEST(!bad.ok());
  auto unknown = ParsePatch(T("inspection"), json{{"colour", 1}}, "inspection");
  BOOST_TEST(unknown.status().message() == "inspection: unknown field \"colour\"");
}

BOOST_AUTO_TEST_CASE(ignoring_a_column_name_is_a_caller_bug) {
  auto row = ParseRow(T("vehicle"), json{{"kind", "car"}}, "vehicle", {"kind"});
  BOOST_TEST((row.status().code() == Code::kInternal));
}

BOOST_AUTO_TEST_CASE(an_empty_object_is_a_valid_row_without_required_columns) {
  auto row = ParseRow(T("party"), json::object(), "party");
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(row->values.empty());
}

BOOST_AUTO_TEST_SUITE_END()
