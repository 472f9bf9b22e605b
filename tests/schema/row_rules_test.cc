// Rules across a record's fields (schema/row_rules.h): each rule refuses the
// contradiction it names, with the field, the value and the rule, and lets
// every consistent record through.
#include "schema/row_rules.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "schema/catalogue.h"

using namespace outpost;
using namespace outpost::schema;
using nlohmann::json;

namespace {

const Table& T(const char* name) {
  static const Catalogue cat = DomainCatalogue();
  return *cat.Find(name);
}

constexpr CivilDate kRowRulesToday{2026, 12, 2};

Status Rules(const char* table, const json& doc) {
  return CheckRowRules(T(table), table, doc, kRowRulesToday);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(row_rules)

BOOST_AUTO_TEST_CASE(a_seizure_amount_goes_with_its_currency) {
  BOOST_TEST(Rules("seizure", json{{"commodity_group", "tobacco"}}).ok());
  BOOST_TEST(Rules("seizure", json{{"amount", 25000}, {"currency", "EUR"}}).ok());
  BOOST_TEST(Rules("seizure", json{{"amount", 25000},
                                   {"currency", "EUR"},
                                   {"value", 48895.75},
                                   {"value_currency", "BAM"}})
                 .ok());
  Status s = Rules("seizure", json{{"amount", 25000}});
  BOOST_TEST(s.message() ==
             "seizure.currency: missing; amount is given, and an amount is recorded with its "
             "currency (amount and currency together)");
  s = Rules("seizure", json{{"currency", "EUR"}, {"amount", nullptr}});
  BOOST_TEST(s.message().rfind("seizure.amount: missing; currency is given", 0) == 0u, s.message());
  s = Rules("seizure", json{{"value", 10}});
  BOOST_TEST(s.message().rfind("seizure.value_currency: missing", 0) == 0u, s.message());
  BOOST_TEST((s.code() == Code::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(a_seizure_of_cash_states_its_amount) {
  Status s = Rules("seizure", json{{"commodity_group", "cash"}, {"quantity", 500}});
  BOOST_TEST(s.message() ==
             "seizure.amount: missing; a seizure of cash states its amount and currency (e.g. "
             "\"amount\": 25000, \"currency\": \"EUR\")");
  BOOST_TEST(
      Rules("seizure", json{{"commodity_group", "cash"}, {"amount", 1e4}, {"currency", "CHF"}})
          .ok());
}

BOOST_AUTO_TEST_CASE(an_ilu_code_is_not_a_container) {
  BOOST_TEST(Rules("equipment", json{{"number", "ABCA0012342"}, {"kind", "swap_body"}}).ok());
  BOOST_TEST(Rules("equipment", json{{"number", "ABCA0012342"}, {"kind", "semi_trailer"}}).ok());
  BOOST_TEST(Rules("equipment", json{{"number", "ABCA0012342"}}).ok());
  // A registered BIC code may mark a swap body: only an ILU code is bound.
  BOOST_TEST(Rules("equipment", json{{"number", "CSQU3054383"}, {"kind", "swap_body"}}).ok());
  BOOST_TEST(Rules("equipment", json{{"number", "CSQU3054383"}, {"kind", "container"}}).ok());
  Status s = Rules("equipment", json{{"number", "ABCK0012342"}, {"kind", "container"}});
  BOOST_TEST(s.message() ==
             "equipment.kind: \"container\" contradicts number \"ABCK0012342\", an EN 13044 ILU "
             "code (fourth letter K), which marks a swap body or a semi-trailer; set kind to "
             "swap_body or semi_trailer");
}

BOOST_AUTO_TEST_CASE(a_date_of_birth_is_not_in_the_future) {
  for (const char* ok : {"2026-12-02", "2026-12-01", "2026-12", "2026", "1974-08-12", "1974"}) {
    BOOST_TEST(Rules("person", json{{"date_of_birth", ok}}).ok(), ok);
  }
  for (const char* bad : {"2026-12-03", "2027-01", "2027", "2030-01-01"}) {
    Status s = Rules("person", json{{"date_of_birth", bad}});
    BOOST_TEST(s.message() == std::string("person.date_of_birth: \"") + bad +
                                  "\" is after today (2026-12-02); a date of birth cannot be in "
                                  "the future");
  }
  BOOST_TEST(Rules("person", json{{"date_of_birth", nullptr}}).ok());
}

BOOST_AUTO_TEST_CASE(tables_without_rules_pass_anything) {
  BOOST_TEST(Rules("movement", json{{"amount", 1}, {"date_of_birth", "2099"}}).ok());
}

BOOST_AUTO_TEST_SUITE_END()
