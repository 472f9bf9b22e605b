// The rule language's arithmetic (docs/rules.md "Arithmetic"): + - * /,
// unary minus and abs() over numbers, with the usual precedence, type checks
// at compile time, and three-valued logic (a missing operand, a division by
// zero or a result that is not finite is unknown). The weighbridge rule is
// the one customs risk units write: declared gross mass against the
// measured one, more than 15% apart.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "risk/engine.h"

using namespace outpost;
using namespace outpost::risk;
using json = nlohmann::json;

namespace {

// A truck with one consignment of two goods items, 12,000 kg declared.
json Truck() {
  return json::parse(R"({"direction":"in","mode":"road","crossing":"BA-GRA",
 "time":"2026-11-28T10:15:00Z","weighbridge_kg":12300,
 "vehicle":{"plate":"SA123BC","plate_country":"RS","kind":"truck"},
 "consignments":[{"origin_country":"TR","goods":[
   {"hs_code":"080810","gross_kg":8000,"value":9600,"packages":20},
   {"hs_code":"200990","gross_kg":4000,"value":4400,"packages":0}]}]})");
}

const char* kWeighbridgeRule = "abs(weighbridge_kg - declared_gross_kg) / declared_gross_kg > 0.15";

Result<Engine> CompileRule(const std::string& cond) {
  return Engine::Compile("ruleset \"t\" version 1\nrule W when " + cond + "\n score 10 end\n");
}

Assessment Assess(const std::string& cond, const json& doc) {
  auto e = CompileRule(cond);
  BOOST_REQUIRE_MESSAGE(e.ok(), e.status().ToString() << ": " << cond);
  int64_t now = 1'795'000'000'000'000;
  return e->Assess(doc, "m-1", now, AssessContext{});
}

bool Hits(const std::string& cond, const json& doc = Truck()) {
  return !Assess(cond, doc).hits.empty();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(risk_arithmetic)

BOOST_AUTO_TEST_CASE(the_weighbridge_rule_hits_beyond_15_percent_and_not_within) {
  json doc = Truck();
  BOOST_TEST(!Hits(kWeighbridgeRule, doc));  // 12,300 against 12,000: 2.5%
  doc["weighbridge_kg"] = 14100;             // 17.5% more
  Assessment a = Assess(kWeighbridgeRule, doc);
  BOOST_REQUIRE(a.hits.size() == 1u);
  const auto& m = a.hits[0].matched;
  BOOST_TEST((std::find(m.begin(), m.end(), "weighbridge_kg=14100") != m.end()));
  BOOST_TEST((std::find(m.begin(), m.end(), "declared_gross_kg=12000") != m.end()));
  doc["weighbridge_kg"] = 10100;  // 15.8% less: abs() makes it count too
  BOOST_TEST(Hits(kWeighbridgeRule, doc));
  doc["weighbridge_kg"] = 13800;  // exactly 15%: not more than 15%
  BOOST_TEST(!Hits(kWeighbridgeRule, doc));
}

// Without a measured weight, or with a goods item whose gross mass is not
// declared, the ratio is unknown: the rule neither hits nor, negated, hits.
BOOST_AUTO_TEST_CASE(the_weighbridge_rule_is_unknown_when_a_weight_is_missing) {
  json doc = Truck();
  doc.erase("weighbridge_kg");
  BOOST_TEST(!Hits(kWeighbridgeRule, doc));
  BOOST_TEST(!Hits(std::string("not (") + kWeighbridgeRule + ")", doc));
  BOOST_TEST(Hits("missing(weighbridge_kg)", doc));

  doc = Truck();
  doc["weighbridge_kg"] = 20000;
  doc["consignments"][0]["goods"][1].erase("gross_kg");  // 8,000 of 12,000 declared
  BOOST_TEST(!Hits(kWeighbridgeRule, doc));
  BOOST_TEST(!Hits(std::string("not (") + kWeighbridgeRule + ")", doc));
  BOOST_TEST(!Hits("declared_gross_kg > 0", doc));
  BOOST_TEST(Hits("missing(declared_gross_kg)", doc));

  doc = Truck();
  doc.erase("consignments");  // no goods: nothing declared, not zero declared
  BOOST_TEST(!Hits("declared_gross_kg >= 0", doc));
  BOOST_TEST(!Hits(kWeighbridgeRule, doc));
}

BOOST_AUTO_TEST_CASE(declared_gross_sums_every_goods_item_of_every_consignment) {
  json doc = Truck();
  BOOST_TEST(Hits("declared_gross_kg = 12000", doc));
  doc["consignments"].push_back(json::parse(R"({"goods":[{"gross_kg":"500.5"}]})"));
  BOOST_TEST(Hits("declared_gross_kg = 12500.5", doc));
  BOOST_TEST(Hits("weighbridge_kg = 12300", doc));
}

BOOST_AUTO_TEST_CASE(arithmetic_follows_the_usual_precedence) {
  const std::vector<std::string> holds = {
      "2 + 3 * 4 = 14",
      "(2 + 3) * 4 = 20",
      "10 - 4 - 3 = 3",  // left to right
      "12 / 4 / 3 = 1",
      "2 * 3 - -1 = 7",
      "-2 * 3 = -6",
      "- 2 * 3 = -6",
      "-(2 + 3) = -5",
      "- - 4 = 4",
      "10 - 2 * 3 + 1 = 5",
      "weighbridge_kg -300 = 12000",  // "-300" after an operand subtracts
      "weighbridge_kg - 300 = declared_gross_kg",
      "abs(1 - 3) = 2",
      "abs(-2.5) = 2.5",
      "abs(3) - 5 = -2",
      "count goods * 2 = 4",
      "goods.value / goods.gross_kg > 1.15",  // some item: 4,400 / 4,000 = 1.1, 9,600 / 8,000 = 1.2
      "hour(time) + 1 = 11",
      "weighbridge_kg between declared_gross_kg and declared_gross_kg * 1.05",
      "1 + 1 = 2 and 2 * 2 = 4",
  };
  for (const auto& c : holds) BOOST_TEST(Hits(c), c);
  const std::vector<std::string> fails = {
      "2 + 3 * 4 = 20",
      "10 - 4 - 3 = 9",
      "12 / 4 / 3 = 9",
      "goods.value / goods.gross_kg > 1.25",
      "weighbridge_kg between 0 and declared_gross_kg",
  };
  for (const auto& c : fails) BOOST_TEST(!Hits(c), c);
}

// Division by zero and overflow are unknown: not a crash, not inf, and (as
// any unknown) neither the test nor its negation holds; `or` still can.
BOOST_AUTO_TEST_CASE(division_by_zero_and_overflow_are_unknown) {
  json doc = Truck();
  for (const char* c : {"1 / 0 > 0", "1 / 0 < 0", "1 / 0 = 1 / 0", "not (1 / 0 > 0)",
                        "goods.value / goods.packages >= 0 and goods.packages = 0", "0 / 0 = 0",
                        "abs(1 / 0) >= 0", "-(1 / 0) < 0"}) {
    BOOST_TEST(!Hits(c, doc), c);
  }
  BOOST_TEST(Hits("1 / 0 > 0 or true", doc));
  BOOST_TEST(Hits("any goods: goods.value / goods.packages > 400", doc));  // 9,600 / 20
  BOOST_TEST(Hits("0 / 5 = 0", doc));
  doc["consignments"][0]["goods"].erase(1);  // one item, so `goods.value` is that one
  doc["consignments"][0]["goods"][0]["value"] = "1e300";
  BOOST_TEST(Hits("goods.value > 1", doc));
  BOOST_TEST(!Hits("goods.value * goods.value > 1", doc));
  BOOST_TEST(!Hits("not (goods.value * goods.value > 1)", doc));
  doc["consignments"][0]["goods"][0]["value"] = "nan";
  BOOST_TEST(!Hits("goods.value + 0 = goods.value + 0", doc));
}

BOOST_AUTO_TEST_CASE(arithmetic_on_a_missing_value_is_unknown) {
  json doc = Truck();
  doc.erase("weighbridge_kg");
  for (const char* c :
       {"weighbridge_kg + 1 > 0", "not (weighbridge_kg + 1 > 0)", "-weighbridge_kg < 1",
        "abs(weighbridge_kg) >= 0", "weighbridge_kg * 0 = 0", "0 * weighbridge_kg = 0"}) {
    BOOST_TEST(!Hits(c, doc), c);
  }
}

struct ArithError {
  const char* cond;
  const char* where;  // "line:col:" ("rule W when " is 12 columns of line 2)
  const char* says;
};

BOOST_AUTO_TEST_CASE(arithmetic_type_errors_name_line_and_column) {
  const std::vector<ArithError> cases = {
      {"mode + 1 > 0", "2:18:", "'+' needs numbers, not a string"},
      {"1 + mode > 0", "2:15:", "'+' needs numbers, not a string"},
      {"-mode = 1", "2:13:", "'-' needs numbers, not a string"},
      {"time - 1 > 0", "2:18:", "'-' needs numbers, not a time"},
      {"equipment.loaded * 2 = 2", "2:30:", "'*' needs numbers, not a boolean"},
      {"goods.value / \"2\" > 1", "2:25:", "'/' needs numbers, not a string"},
      {"abs(mode) > 1", "2:17:", "abs() takes a number, not a string"},
      {"weighbridge_kg-declared_gross_kg > 0", "2:13:", "put spaces around '-'"},
      {"weighbridge_kg + 1 = \"a\"", "2:32:", "cannot compare a number with a string"},
      {"weighbridge_kg * 2", "2:13:", "must be a condition"},
      {"weighbridge_kg + > 1", "2:30:", "expected a value"},
      {"weighbridge_kg * 2 > 1 > 0", "2:36:", "expected a rule clause, found '>'"},
  };
  for (const auto& c : cases) {
    auto r = CompileRule(c.cond);
    BOOST_TEST_CONTEXT(c.cond) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.status().code() == Code::kInvalidArgument);
      const std::string& m = r.status().message();
      BOOST_TEST(m.starts_with(c.where), m);
      BOOST_TEST(m.find(c.says) != std::string::npos, m);
    }
  }
}

// A long chain of operators builds a deep tree; it is refused at compile
// time like deep parentheses, so evaluation never recurses without bound.
BOOST_AUTO_TEST_CASE(long_operator_chains_are_refused_not_overflowed) {
  std::string sum = "1";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  auto r = CompileRule(sum + " > 0");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().message().find("nested too deeply") != std::string::npos);
  std::string neg;
  for (int i = 0; i < 100000; ++i) neg += "- ";
  r = CompileRule(neg + "1 > 0");
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().message().find("nested too deeply") != std::string::npos);
  BOOST_TEST(CompileRule("1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 = 10").ok());
}

BOOST_AUTO_TEST_SUITE_END()
