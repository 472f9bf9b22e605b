#define BOOST_TEST_MODULE schema
#include "schema/validators.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "schema/codes.h"

using namespace outpost;
using namespace outpost::schema;

namespace {

struct Case {
  std::string value;
  bool valid;
};

using Validator = Status (*)(std::string_view, std::string_view);

void RunCases(Validator validate, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("value " << QuoteForMessage(c.value)) {
      Status s = validate("t.f", c.value);
      BOOST_TEST(s.ok() == c.valid, s.ToString());
      if (!c.valid) {
        BOOST_TEST((s.code() == Code::kInvalidArgument));
        // Names the field and (quoted) the value.
        BOOST_TEST(s.message().rfind("t.f: ", 0) == 0u, s.message());
        BOOST_TEST(s.message().find(QuoteForMessage(c.value)) != std::string::npos, s.message());
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(validators)

BOOST_AUTO_TEST_CASE(iso6346_check_digit_matches_the_standard) {
  BOOST_TEST(Iso6346CheckDigit("CSQU305438") == 3);
  BOOST_TEST(Iso6346CheckDigit("MSCU123456") >= 0);
  // Published examples (BIC): TOLU 473478 7, MAEU 626321 2 (sum mod 11 = 10 -> 0 case below).
  BOOST_TEST(Iso6346CheckDigit("TOLU473478") == 7);
  BOOST_TEST(Iso6346CheckDigit("CSQ305438") == -1);
  BOOST_TEST(Iso6346CheckDigit("CSQUX05438") == -1);
}

BOOST_AUTO_TEST_CASE(iso6346_message_names_field_value_and_expected_digit) {
  Status s = ValidateContainerNumber("movement.container", "CSQU3054384");
  BOOST_TEST(s.message() ==
             "movement.container: \"CSQU3054384\" fails the ISO 6346 check digit (expected 3)");
  BOOST_TEST(s.ToString() ==
             "invalid argument: movement.container: \"CSQU3054384\" fails the ISO 6346 check "
             "digit (expected 3)");
}

BOOST_AUTO_TEST_CASE(container_numbers_are_checked) {
  RunCases(&ValidateContainerNumber, {
                                         {"CSQU3054383", true},
                                         {"TOLU4734787", true},
                                         {"CSQJ3054383", false},  // category changes the digit
                                         {"CSQU3054384", false},
                                         {"CSQU3054380", false},
                                         {"csqu3054383", false},  // not normalised
                                         {"CSQU 305438 3", false},
                                         {"CSQX3054383", false},  // category U/J/Z only
                                         {"CSQU305438", false},
                                         {"CSQU30543833", false},
                                         {"C5QU3054383", false},
                                         {"", false},
                                     });
  // A number whose sum mod 11 is 10 has check digit 0: search for one and
  // check both forms, so the "mod 10" step is exercised.
  bool found = false;
  for (int serial = 0; serial < 1000 && !found; ++serial) {
    char first10[11];
    std::snprintf(first10, sizeof first10, "ABCU%06d", serial);
    int64_t sum = 0;
    for (int i = 0; i < 10; ++i) {
      int v = first10[i] >= 'A' ? 10 + first10[i] - 'A' : first10[i] - '0';
      if (first10[i] >= 'A') v += (v >= 11) + (v >= 22) + (v >= 33);
      sum += static_cast<int64_t>(v) << i;
    }
    if (sum % 11 == 10) {
      found = true;
      BOOST_TEST(Iso6346CheckDigit(first10) == 0);
      BOOST_TEST(ValidateContainerNumber("f", std::string(first10) + "0").ok());
    }
  }
  BOOST_TEST(found);
}

// EN 13044-1 intermodal loading units. Sources: UIRR, "Administrator of the
// ILU-Code" (uirr.com): the owner key "ABCA" and registration number
// "001234" of its example; bic-code.org, "Enforcement of the new European
// standard CEN13044": the fourth letter is A, B, D, E or K. The check digits
// were worked by hand with EN 13044-1 annex A (the ISO 6346 algorithm), e.g.
// ABCA001234: 10*1 + 12*2 + 13*4 + 10*8 + 0*16 + 0*32 + 1*64 + 2*128 + 3*256
// + 4*512 = 3302; 3302 mod 11 = 2.
BOOST_AUTO_TEST_CASE(equipment_numbers_are_containers_or_ilu_codes) {
  RunCases(&ValidateEquipmentNumber, {
                                         {"CSQU3054383", true},  // ISO 6346 (Wikipedia example)
                                         {"ABCA0012342", true},  // UIRR's example, digit 2
                                         {"ABCB0012347", true},
                                         {"ABCD0012341", true},
                                         {"ABCE0012349", true},
                                         {"ABCK0012342", true},
                                         {"ABCA0012343", false},  // wrong check digit
                                         {"ABCC0012342", false},  // C is no category
                                         {"ABCX0012342", false},
                                         {"abca0012342", false},
                                         {"ABCA 001234 2", false},
                                         {"ABCA001234", false},
                                         {"", false},
                                     });
  // The container check alone refuses an ILU code (the equipment check takes both).
  BOOST_TEST(!ValidateContainerNumber("f", "ABCA0012342").ok());
  BOOST_TEST(IsIluCode("ABCA0012342"));
  BOOST_TEST(!IsIluCode("CSQU3054383"));
  BOOST_TEST(ValidateEquipmentNumber("equipment.number", "ABCC0012342").message() ==
             "equipment.number: \"ABCC0012342\" has no equipment category (fourth letter U, J or "
             "Z for ISO 6346; A, B, D, E or K for an EN 13044 ILU code)");
  BOOST_TEST(ValidateEquipmentNumber("equipment.number", "ABCA0012343").message() ==
             "equipment.number: \"ABCA0012343\" fails the ISO 6346 check digit (expected 2)");
}

BOOST_AUTO_TEST_CASE(container_size_types_are_shape_checked) {
  RunCases(&ValidateContainerSizeType, {
                                           {"22G1", true},
                                           {"45R1", true},
                                           {"L5G1", true},
                                           {"22g1", false},
                                           {"2201", false},
                                           {"22G", false},
                                           {"22G1 ", false},
                                       });
}

BOOST_AUTO_TEST_CASE(hs_codes_are_headings_or_subheadings_of_hs_2022) {
  RunCases(&ValidateHsCode,
           {
               {"240220", true},  // cigarettes
               {"24022090", true},   {"2402209000", true},
               {"010121", true},     {"970121", true},   // paintings (HS 2022)
               {"2402", true},                           // a heading
               {"8703", true},       {"851713", true},   // smartphones (HS 2022)
               {"851712", false},                        // HS 2017, split in 2022
               {"970110", false},                        // HS 2017, split in 2022
               {"240200", false},                        // heading + 00: no such subheading
               {"9801", false},      {"2499", false},    // no heading 2499
               {"24991000", false},  {"000000", false},  // chapter 00
               {"001234", false},    {"980000", false},  // chapter 98: national use
               {"990000", false},    {"770000", false},  // chapter 77: reserved
               {"24022", false},     {"2402209", false},
               {"240220900", false}, {"24022090001", false},
               {"2402.20", false},   {"24022O", false},
               {"", false},
           });
}

BOOST_AUTO_TEST_CASE(countries_are_iso3166_alpha2_plus_xk) {
  RunCases(&ValidateCountry, {
                                 {"BA", true},
                                 {"HR", true},
                                 {"AL", true},
                                 {"RS", true},
                                 {"XK", true},
                                 {"ZW", true},
                                 {"AD", true},
                                 {"XX", false},
                                 {"YU", false},  // withdrawn (Yugoslavia)
                                 {"UK", false},  // reserved, not assigned
                                 {"EU", false},
                                 {"ba", false},
                                 {"BIH", false},
                                 {"B", false},
                                 {"", false},
                             });
}

BOOST_AUTO_TEST_CASE(all_249_assigned_countries_and_xk_are_accepted) {
  int n = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) n += IsCountryCode(std::string{a, b});
  }
  BOOST_TEST(n == 250);
}

BOOST_AUTO_TEST_CASE(nationalities_include_icao_codes_of_no_state) {
  // ICAO Doc 9303 part 3, 5: stateless, refugees, unspecified, UN documents.
  RunCases(&ValidateNationality, {
                                     {"BA", true},
                                     {"XK", true},
                                     {"XXA", true},
                                     {"XXB", true},
                                     {"XXC", true},
                                     {"XXX", true},
                                     {"UNO", true},
                                     {"UNA", true},
                                     {"UNK", true},
                                     {"BIH", false},  // stored as BA (schema/document_input.h)
                                     {"D", false},
                                     {"XXD", false},
                                     {"xxa", false},
                                     {"", false},
                                 });
}

BOOST_AUTO_TEST_CASE(mrn_shaped_declarations_carry_their_check_digit) {
  // An MRN the traffic simulator once wrote ending in 2: ISO 6346 over the
  // first 17 characters gives 1.
  BOOST_TEST(MrnCheckDigit("26BA5077520025819") == 1);
  BOOST_TEST(MrnCheckDigit("26BA507752002581") == -1);
  RunCases(&ValidateDeclaration, {
                                     {"26BA50775200258191", true},
                                     {"26BA50775200258192", false},
                                     {"24RS0000000000003A", true},  // last not a digit: no MRN
                                     {"BA-2026-000123", true},      // a national reference
                                     {"26BA5077520025819", true},   // 17 characters: no MRN
                                 });
  BOOST_TEST(ValidateDeclaration("movement.declaration", "26BA50775200258192").message() ==
             "movement.declaration: \"26BA50775200258192\" has the shape of an NCTS MRN but "
             "fails its check digit (expected 1)");
}

BOOST_AUTO_TEST_CASE(routes_are_comma_separated_countries) {
  RunCases(&ValidateCountryList, {
                                     {"TR,BG,RS,BA", true},
                                     {"AL,XK", true},
                                     {"HR", true},
                                     {"BA,HR,BA", true},
                                     {"TR, BG", false},
                                     {"TR,,BG", false},
                                     {"TR,BG,", false},
                                     {",TR", false},
                                     {"TR,XX", false},
                                     {"", false},
                                 });
  Status s = ValidateCountryList("movement.route", "TR,XX");
  BOOST_TEST(s.message().find("\"XX\" is not one") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(vins_are_17_chars_without_i_o_q) {
  RunCases(&ValidateVin, {
                             {"1M8GDM9AXKP042788", true},  // check digit correct
                             {"WVWZZZ1JZXW000001", true},  // European: no check digit
                             {"1M8GDM9AIKP042788", false},
                             {"1M8GDM9AOKP042788", false},
                             {"1M8GDM9AQKP042788", false},
                             {"1m8gdm9axkp042788", false},
                             {"1M8GDM9AXKP04278", false},
                             {"1M8GDM9AXKP0427888", false},
                             {"1M8GDM9AXKP04278-", false},
                         });
  BOOST_TEST(VinCheckDigitMatches("1M8GDM9AXKP042788"));
  BOOST_TEST(!VinCheckDigitMatches("1M8GDM9A1KP042788"));
  BOOST_TEST(ValidateVin("f", "1M8GDM9A1KP042788").ok());  // advisory only
  BOOST_TEST(ValidateVin("f", "1M8GDM9AQKP042788").message().find("I, O and Q") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(currencies_are_active_iso4217_codes) {
  RunCases(&ValidateCurrency,
           {
               {"EUR", true},  {"BAM", true},  {"RSD", true},  {"ALL", true},  {"USD", true},
               {"CHF", true},  {"XAU", true},  {"XAD", true},  // Arab Accounting Dinar, 2024
               {"XCG", true},                                  // replaced ANG in 2025
               {"HRK", false},  // euro; dual circulation ended 2023-01-14
               {"BGN", false},  // euro; dual circulation ended 2026-01-31
               {"ANG", false},  // XCG; dual circulation ended 2025-06-30
               {"DEM", false}, {"YUM", false}, {"XTS", false}, {"XXX", false}, {"eur", false},
               {"EU", false},  {"", false},
           });
}

BOOST_AUTO_TEST_CASE(units_are_from_the_rec20_list) {
  RunCases(&ValidateUnit, {
                              {"KGM", true},  {"GRM", true},  {"TNE", true},
                              {"LTR", true},  {"MLT", true},  {"MTQ", true},
                              {"MTK", true},  {"MTR", true},  {"C62", true},
                              {"NAR", true},  {"PR", true},   {"DZN", true},
                              {"H87", true},  {"kg", false},  {"KG", false},
                              {"kgm", false}, {"XYZ", false}, {"", false},
                              {"PCS", false}, {"NPR", false},  // deprecated in Rec 20: pairs are PR
                          });
}

BOOST_AUTO_TEST_CASE(site_codes_match_the_pattern) {
  RunCases(&ValidateSiteCode, {
                                  {"BA-BIJ", true},
                                  {"BA-GRA", true},
                                  {"XK-VER", true},
                                  {"ME-BAR", true},
                                  {"BA-AB", true},
                                  {"BA-ABCDEFGH", true},
                                  {"BA-A", false},
                                  {"BA-ABCDEFGHI", false},
                                  {"ba-bij", false},
                                  {"BA_BIJ", false},
                                  {"B-BIJ", false},
                                  {"BAA-BIJ", false},
                                  {"BA-BI J", false},
                                  {"", false},
                              });
}

BOOST_AUTO_TEST_CASE(dates_are_real_calendar_days) {
  RunCases(&ValidateDate, {
                              {"1980-02-29", true},
                              {"2000-02-29", true},
                              {"2027-12-31", true},
                              {"1900-02-29", false},
                              {"2023-02-29", false},
                              {"2023-04-31", false},
                              {"2023-13-01", false},
                              {"2023-00-10", false},
                              {"2023-01-00", false},
                              {"1799-12-31", false},
                              {"2023-1-01", false},
                              {"20230101", false},
                              {"2023-01-01T00:00:00Z", false},
                          });
}

// Partial dates of birth: ICAO Doc 9303 part 3 allows an unknown day, or month
// and day, in a date of birth (written "<<" in the MRZ).
BOOST_AUTO_TEST_CASE(dates_of_birth_may_be_partial) {
  RunCases(&ValidateBirthDate, {
                                   {"1974-08-12", true},
                                   {"1974-08", true},
                                   {"1974", true},
                                   {"1980-02-29", true},
                                   {"1981-02-29", false},
                                   {"1974-13", false},
                                   {"1974-00", false},
                                   {"1799", false},
                                   {"1799-12", false},
                                   {"74", false},
                                   {"1974-8", false},
                                   {"1974/08", false},
                                   {"1974-08-", false},
                                   {"", false},
                               });
  BOOST_TEST(ValidateBirthDate("person.date_of_birth", "1974-13").message() ==
             "person.date_of_birth: \"1974-13\" is not a date (month 01-12, year from 1800)");
}

BOOST_AUTO_TEST_CASE(numbers_must_be_finite_and_in_range) {
  const double kNan = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  BOOST_TEST(ValidatePositive("f", 0.001).ok());
  BOOST_TEST(!ValidatePositive("f", 0).ok());
  BOOST_TEST(!ValidatePositive("f", -1).ok());
  BOOST_TEST(!ValidatePositive("f", kNan).ok());
  BOOST_TEST(!ValidatePositive("f", kInf).ok());
  BOOST_TEST(ValidateNonNegative("f", 0).ok());
  BOOST_TEST(ValidateNonNegative("f", 12.5).ok());
  BOOST_TEST(!ValidateNonNegative("f", -0.5).ok());
  BOOST_TEST(!ValidateNonNegative("f", kNan).ok());
  BOOST_TEST(!ValidateNonNegative("f", -kInf).ok());
  BOOST_TEST(ValidatePositive("seizure.quantity", -2).message() ==
             "seizure.quantity: -2 must be greater than 0");
  BOOST_TEST(ValidatePositive("seizure.quantity", kNan).message() ==
             "seizure.quantity: NaN is not a finite number");
}

BOOST_AUTO_TEST_CASE(enums_and_enum_lists_accept_only_listed_values) {
  const std::vector<std::string> allowed = {"documentary", "xray", "dog"};
  BOOST_TEST(ValidateEnum("f", "xray", allowed).ok());
  BOOST_TEST(!ValidateEnum("f", "XRAY", allowed).ok());
  BOOST_TEST(!ValidateEnum("f", "", allowed).ok());
  BOOST_TEST(ValidateEnum("movement.lane", "purple", {"red", "green"}).message() ==
             "movement.lane: \"purple\" is not one of: red, green");
  BOOST_TEST(ValidateEnumList("f", "xray", allowed).ok());
  BOOST_TEST(ValidateEnumList("f", "documentary,xray,dog", allowed).ok());
  BOOST_TEST(!ValidateEnumList("f", "xray,xray", allowed).ok());
  BOOST_TEST(!ValidateEnumList("f", "xray, dog", allowed).ok());
  BOOST_TEST(!ValidateEnumList("f", "xray,", allowed).ok());
  BOOST_TEST(!ValidateEnumList("f", "", allowed).ok());
  BOOST_TEST(!ValidateEnumList("f", "xray,cat", allowed).ok());
}

BOOST_AUTO_TEST_CASE(utf8_rejects_overlongs_surrogates_and_out_of_range) {
  const std::vector<Case> cases = {
      {"plain", true},
      {"Gradi\xC5\xA1ka", true},    // Gradiška
      {"Vermic\xC3\xAB", true},     // Vermicë
      {"\xE2\x82\xAC", true},       // €
      {"\xF0\x9F\x98\x80", true},   // U+1F600
      {"\xF4\x8F\xBF\xBF", true},   // U+10FFFF
      {"\xEF\xBF\xBF", true},       // U+FFFF
      {"\xC0\xAF", false},          // overlong '/'
      {"\xC1\xBF", false},          // overlong
      {"\xE0\x80\xAF", false},      // overlong 3-byte
      {"\xF0\x80\x80\xAF", false},  // overlong 4-byte
      {"\xED\xA0\x80", false},      // U+D800 surrogate
      {"\xED\xBF\xBF", false},      // U+DFFF surrogate
      {"\xF4\x90\x80\x80", false},  // U+110000
      {"\xF5\x80\x80\x80", false},
      {"\xFF", false},
      {"\x80", false},      // lone continuation
      {"\xC5", false},      // truncated
      {"\xE2\x82", false},  // truncated
      {"ok\xE2\x82"
       "x",
       false},  // bad continuation
  };
  RunCases(&ValidateUtf8, cases);
  for (const auto& c : cases) BOOST_TEST(IsValidUtf8(c.value) == c.valid);
}

BOOST_AUTO_TEST_CASE(text_refuses_control_characters_except_tab_and_newline) {
  BOOST_TEST(ValidateText("f", "line one\nline two\tend", 100).ok());
  BOOST_TEST(!ValidateText("f", std::string("nul\0byte", 8), 100).ok());
  BOOST_TEST(!ValidateText("f", "bell\x07", 100).ok());
  BOOST_TEST(!ValidateText("f", "cr\r", 100).ok());
  BOOST_TEST(!ValidateText("f", "esc\x1b[31m", 100).ok());
  BOOST_TEST(!ValidateText("f", "del\x7f", 100).ok());
  BOOST_TEST(!ValidateText("f", "c1\xC2\x85", 100).ok());  // U+0085 NEL
  BOOST_TEST(!ValidateText("f", "bad\xFF", 100).ok());
  BOOST_TEST(ValidateText("f", "bell\x07", 100).message() ==
             "f: \"bell\\x07\" contains the control character U+0007 (at byte 4)");
}

BOOST_AUTO_TEST_CASE(text_length_is_bounded_in_bytes) {
  BOOST_TEST(ValidateTextLength("f", std::string(10, 'a'), 10).ok());
  BOOST_TEST(!ValidateTextLength("f", std::string(11, 'a'), 10).ok());
  // 5 characters, 10 bytes.
  BOOST_TEST(!ValidateText("f", "\xC5\xA1\xC5\xA1\xC5\xA1\xC5\xA1\xC5\xA1", 9).ok());
  BOOST_TEST(ValidateText("f", "\xC5\xA1\xC5\xA1\xC5\xA1\xC5\xA1\xC5\xA1", 10).ok());
  Status s = ValidateTextLength("person.family_name", std::string(101, 'a'), 100);
  BOOST_TEST(s.message().find("is too long (101 bytes, at most 100)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(messages_quote_hostile_values_safely) {
  BOOST_TEST(QuoteForMessage("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
  // Valid UTF-8 reads as text, in Latin and Cyrillic.
  BOOST_TEST(QuoteForMessage("Nikoli\xC4\x87") == "\"Nikoli\xC4\x87\"");
  BOOST_TEST(QuoteForMessage("\xD0\x82\xD0\xBE\xD1\x80") == "\"\xD0\x82\xD0\xBE\xD1\x80\"");
  // Invalid bytes, C1 controls and marks that reorder a line stay escaped.
  BOOST_TEST(QuoteForMessage("\xC5") == "\"\\xC5\"");
  BOOST_TEST(QuoteForMessage("a\x07") == "\"a\\x07\"");
  BOOST_TEST(QuoteForMessage("\xC2\x85") == "\"\\u{85}\"");
  BOOST_TEST(QuoteForMessage("x\xE2\x80\xAEy") == "\"x\\u{202E}y\"");
  // The cut falls at a character's end.
  const std::string cut = QuoteForMessage(std::string(63, 'a') + "\xC4\x87\xC4\x87");
  BOOST_TEST(cut == "\"" + std::string(63, 'a') + "\xC4\x87\"...");
  const std::string q = QuoteForMessage(std::string(1000, 'x'));
  BOOST_TEST(q.size() == 64u + 2 + 3);
  BOOST_TEST(q.substr(q.size() - 3) == "...");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(validate_value)

BOOST_AUTO_TEST_CASE(the_domain_rule_speaks_before_the_length) {
  const Table person = *DomainCatalogue().Find("person");
  const Column* nationality = person.FindColumn("nationality");
  Status s = ValidateValue(*nationality, "person.nationality", Value(std::string("FRAN")));
  BOOST_TEST(s.message().find("is not an ISO 3166-1 alpha-2 country code") != std::string::npos,
             s.message());
  const Table goods = *DomainCatalogue().Find("goods_item");
  const Column* currency = goods.FindColumn("currency");
  s = ValidateValue(*currency, "goods_item.currency", Value(std::string("EURO")));
  BOOST_TEST(s.message().find("is not an active ISO 4217 currency code") != std::string::npos,
             s.message());
  // Lower case as the only fault is named.
  s = ValidateValue(*currency, "goods_item.currency", Value(std::string("eur")));
  BOOST_TEST(s.message() == "goods_item.currency: \"eur\" must be written in upper case: \"EUR\"");
  s = ValidateValue(*nationality, "person.nationality", Value(std::string("xxa")));
  BOOST_TEST(s.message() == "person.nationality: \"xxa\" must be written in upper case: \"XXA\"");
  // A long value is refused for its length, without running its rule.
  s = ValidateValue(*currency, "goods_item.currency", Value(std::string(5000, 'E')));
  BOOST_TEST(s.message().find("is too long") != std::string::npos, s.message());
}

Column MakeColumn(ColumnType type, Check check = Check::kNone, bool required = false) {
  Column c;
  c.id = 1;
  c.name = "f";
  c.type = type;
  c.check = check;
  c.required = required;
  c.max_len = 10;
  return c;
}

BOOST_AUTO_TEST_CASE(null_is_refused_only_for_required_columns) {
  BOOST_TEST(ValidateValue(MakeColumn(ColumnType::kText), "t.f", Value()).ok());
  Status s = ValidateValue(MakeColumn(ColumnType::kText, Check::kNone, true), "t.f", Value());
  BOOST_TEST(s.message() == "t.f: is required");
}

BOOST_AUTO_TEST_CASE(value_must_match_the_column_type) {
  struct TypeCase {
    ColumnType type;
    Value good;
    Value bad;
  };
  const std::vector<TypeCase> cases = {
      {ColumnType::kText, Value(std::string("x")), Value(int64_t{1})},
      {ColumnType::kInteger, Value(int64_t{5}), Value(5.0)},
      {ColumnType::kReal, Value(5.0), Value(int64_t{5})},
      {ColumnType::kBool, Value(int64_t{1}), Value(int64_t{2})},
      {ColumnType::kTime, Value(int64_t{1700000000000000}), Value(std::string("2026"))},
      {ColumnType::kId, Value(Bytes(16, 7)), Value(Bytes(15, 7))},
      {ColumnType::kBlob, Value(Bytes(10, 1)), Value(Bytes(11, 1))},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("type " << static_cast<int>(c.type)) {
      const Column col = MakeColumn(c.type);
      BOOST_TEST(ValidateValue(col, "t.f", c.good).ok());
      Status s = ValidateValue(col, "t.f", c.bad);
      BOOST_TEST(!s.ok());
      BOOST_TEST((s.code() == Code::kInvalidArgument));
      BOOST_TEST(s.message().rfind("t.f: ", 0) == 0u);
    }
  }
  BOOST_TEST(!ValidateValue(MakeColumn(ColumnType::kReal), "t.f",
                            Value(std::numeric_limits<double>::quiet_NaN()))
                  .ok());
  BOOST_TEST(!ValidateValue(MakeColumn(ColumnType::kTime), "t.f",
                            Value(std::numeric_limits<int64_t>::max()))
                  .ok());
}

BOOST_AUTO_TEST_CASE(dispatches_on_the_column_check) {
  Column container = MakeColumn(ColumnType::kText, Check::kIso6346);
  container.max_len = 11;
  BOOST_TEST(ValidateValue(container, "equipment.number", Value(std::string("CSQU3054383"))).ok());
  BOOST_TEST(
      ValidateValue(container, "equipment.number", Value(std::string("CSQU3054384"))).message() ==
      "equipment.number: \"CSQU3054384\" fails the ISO 6346 check digit (expected 3)");
  Column lane = MakeColumn(ColumnType::kText, Check::kEnum);
  lane.allowed = {"red", "green"};
  BOOST_TEST(ValidateValue(lane, "f", Value(std::string("red"))).ok());
  BOOST_TEST(!ValidateValue(lane, "f", Value(std::string("blue"))).ok());
  const Column qty = MakeColumn(ColumnType::kReal, Check::kPositive);
  BOOST_TEST(!ValidateValue(qty, "f", Value(0.0)).ok());
  const Column packages = MakeColumn(ColumnType::kInteger, Check::kNonNegative);
  BOOST_TEST(ValidateValue(packages, "f", Value(int64_t{0})).ok());
  BOOST_TEST(ValidateValue(packages, "f", Value(int64_t{-1})).message() ==
             "f: -1 must not be negative");
  // Text rules apply before the check: length, then control characters.
  BOOST_TEST(!ValidateValue(lane, "f", Value(std::string(11, 'r'))).ok());
}

BOOST_AUTO_TEST_CASE(a_check_that_does_not_fit_the_type_is_an_internal_error) {
  const Column bad = MakeColumn(ColumnType::kText, Check::kPositive);
  BOOST_TEST((ValidateValue(bad, "f", Value(std::string("1"))).code() == Code::kInternal));
  const Column bad2 = MakeColumn(ColumnType::kReal, Check::kCountry);
  BOOST_TEST((ValidateValue(bad2, "f", Value(1.0)).code() == Code::kInternal));
}

// docs/records.md: times 2000-2099 and each number under its column's bound.
BOOST_AUTO_TEST_CASE(times_and_numbers_outside_sane_ranges_are_refused) {
  Column t = MakeColumn(ColumnType::kTime);
  int64_t y2000 = 946684800LL * 1000000, y2100 = 4102444800LL * 1000000;
  BOOST_TEST(ValidateValue(t, "m.time", Value(y2000)).ok());
  BOOST_TEST(ValidateValue(t, "m.time", Value(y2100 - 1)).ok());
  BOOST_TEST(ValidateValue(t, "m.time", Value(y2000 - 1)).message() ==
             "m.time: \"1999-12-31T23:59:59.999999Z\" is outside the times accepted, 2000-01-01 "
             "to 2099-12-31 (docs/records.md)");
  BOOST_TEST(!ValidateValue(t, "m.time", Value(y2100)).ok());
  BOOST_TEST(!ValidateValue(t, "m.time", Value(int64_t{-62135596800LL * 1000000})).ok());  // 0001

  Column kg = MakeColumn(ColumnType::kReal, Check::kPositive);
  kg.max_value = 1e9;
  BOOST_TEST(ValidateValue(kg, "g.gross_kg", Value(1e9)).ok());
  BOOST_TEST(ValidateValue(kg, "g.gross_kg", Value(1e308)).message() ==
             "g.gross_kg: 1e+308 is more than 1000000000, the largest value accepted "
             "(docs/records.md)");
  Column n = MakeColumn(ColumnType::kInteger, Check::kNonNegative);
  n.max_value = 1e7;
  BOOST_TEST(!ValidateValue(n, "g.packages", Value(int64_t{10'000'001})).ok());
  BOOST_TEST(ValidateValue(n, "g.packages", Value(int64_t{10'000'000})).ok());
}

BOOST_AUTO_TEST_SUITE_END()
