// The MRZ reader (schema/mrz.h), country codes as written (schema/icao_codes.h)
// and a person filled from an MRZ (schema/document_input.h).
//
// Vectors, with their origin:
//  - ICAO Doc 9303, 8th edition (2021): the specimen zones of part 4 (TD3,
//    Appendix A), part 5 (TD1, Appendix A, and the long document number
//    example "D23145890734" of 4.2.4), part 6 (TD2) and part 7 (MRV-A,
//    MRV-B): Anna Maria Eriksson of Utopia ("UTO").
//  - The specimen German identity card and passport published by the
//    Bundesministerium des Innern (Erika Mustermann), which use the ICAO code
//    "D" and an unspecified sex ("<").
// Invalid vectors are those zones with one character changed.
#include "schema/mrz.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "schema/document_input.h"
#include "schema/icao_codes.h"
#include "schema/table_ids.h"

using namespace outpost;
using namespace outpost::schema;
using nlohmann::json;

namespace {

const CivilDate kToday{2026, 12, 2};

const std::string kTd3 =
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
const std::string kTd1 =
    "I<UTOD231458907<<<<<<<<<<<<<<<\n"
    "7408122F1204159UTO<<<<<<<<<<<6\n"
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
const std::string kTd2 =
    "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n"
    "D231458907UTO7408122F1204159<<<<<<<6";
const std::string kMrvA =
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<";
const std::string kMrvB =
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\n"
    "L8988901C4XXX4009078F9612109<<<<<<<<";
const std::string kGermanId =
    "IDD<<T220001293<<<<<<<<<<<<<<<\r\n"
    "6408125<2010315D<<<<<<<<<<<<<4\r\n"
    "MUSTERMANN<<ERIKA<<<<<<<<<<<<<";
const std::string kGermanPassport =
    "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\n"
    "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4";

MrzDocument Read(const std::string& zone) {
  auto d = ParseMrz("person.mrz", zone, kToday);
  BOOST_TEST_REQUIRE(d.ok(), d.status().ToString());
  return *d;
}

// The message of refusing `zone`, which must be refused.
std::string Refusal(const std::string& zone) {
  auto d = ParseMrz("person.mrz", zone, kToday);
  BOOST_TEST_REQUIRE(!d.ok(), "accepted: " << zone);
  BOOST_TEST((d.status().code() == Code::kInvalidArgument));
  BOOST_TEST(d.status().message().rfind("person.mrz: ", 0) == 0u, d.status().message());
  return d.status().message();
}

// `zone` with the character at `line` (1-based), `pos` (0-based) replaced.
std::string With(std::string zone, int line, size_t pos, char c) {
  size_t at = 0;
  for (int l = 1; l < line; ++l) at = zone.find('\n', at) + 1;
  zone[at + pos] = c;
  return zone;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mrz)

BOOST_AUTO_TEST_CASE(check_digits_of_the_icao_examples) {
  // Part 3, 4.9: "520727" -> 3; "AB2134<<<" -> 5; the TD3 specimen's fields.
  BOOST_TEST(MrzCheckDigit("520727") == 3);
  BOOST_TEST(MrzCheckDigit("AB2134<<<") == 5);
  BOOST_TEST(MrzCheckDigit("L898902C3") == 6);
  BOOST_TEST(MrzCheckDigit("740812") == 2);
  BOOST_TEST(MrzCheckDigit("a") == -1);
}

BOOST_AUTO_TEST_CASE(a_passport_td3_is_read_with_every_field) {
  MrzDocument d = Read(kTd3);
  BOOST_TEST(MrzFormatName(d.format) == "TD3");
  BOOST_TEST(d.document_code == "P");
  BOOST_TEST(d.issuing_state == "UTO");
  BOOST_TEST(d.family_name == "ERIKSSON");
  BOOST_TEST(d.given_names == "ANNA MARIA");
  BOOST_TEST(!d.name_truncated);
  BOOST_TEST(d.document_number == "L898902C3");
  BOOST_TEST(d.nationality == "UTO");
  BOOST_TEST(d.date_of_birth == "1974-08-12");
  BOOST_TEST(d.sex == "F");
  BOOST_TEST(d.date_of_expiry == "2012-04-15");
  BOOST_TEST(d.optional_data == "ZE184226B");
}

BOOST_AUTO_TEST_CASE(an_identity_card_td1_and_td2_are_read) {
  for (const std::string& zone : {kTd1, kTd2}) {
    MrzDocument d = Read(zone);
    BOOST_TEST(d.document_number == "D23145890");
    BOOST_TEST(d.family_name == "ERIKSSON");
    BOOST_TEST(d.given_names == "ANNA MARIA");
    BOOST_TEST(d.date_of_birth == "1974-08-12");
    BOOST_TEST(d.date_of_expiry == "2012-04-15");
    BOOST_TEST(d.nationality == "UTO");
  }
  BOOST_TEST(MrzFormatName(Read(kTd1).format) == "TD1");
  BOOST_TEST(MrzFormatName(Read(kTd2).format) == "TD2");
}

BOOST_AUTO_TEST_CASE(visas_have_no_composite_check) {
  for (const std::string& zone : {kMrvA, kMrvB}) {
    MrzDocument d = Read(zone);
    BOOST_TEST(d.document_code == "V");
    BOOST_TEST(d.document_number == "L8988901C");
    BOOST_TEST(d.nationality == "XXX");
    BOOST_TEST(d.date_of_birth == "1940-09-07");
    BOOST_TEST(d.date_of_expiry == "1996-12-10");
  }
  BOOST_TEST(MrzFormatName(Read(kMrvA).format) == "MRV-A");
  BOOST_TEST(Read(kMrvA).optional_data == "6ZE184226B");
  BOOST_TEST(MrzFormatName(Read(kMrvB).format) == "MRV-B");
}

BOOST_AUTO_TEST_CASE(german_specimens_with_code_d_and_unspecified_sex) {
  MrzDocument id = Read(kGermanId);
  BOOST_TEST(id.document_code == "ID");
  BOOST_TEST(id.issuing_state == "D");
  BOOST_TEST(id.nationality == "D");
  BOOST_TEST(id.document_number == "T22000129");
  BOOST_TEST(id.sex == "X");
  BOOST_TEST(id.date_of_birth == "1964-08-12");
  BOOST_TEST(id.date_of_expiry == "2020-10-31");
  MrzDocument passport = Read(kGermanPassport);
  BOOST_TEST(passport.document_number == "C01X00T47");
  BOOST_TEST(passport.date_of_expiry == "2027-02-28");
  BOOST_TEST(passport.optional_data == "");
}

BOOST_AUTO_TEST_CASE(a_long_document_number_continues_in_the_optional_data) {
  // Part 5, 4.2.4: "D23145890734" with check digit 9.
  const std::string zone =
      "I<UTOD23145890<7349<<<<<<<<<<<\n"
      "7408122F1204159UTO<<<<<<<<<<<" +
      std::to_string(MrzCheckDigit("D23145890<7349<<<<<<<<<<<74081221204159"
                                   "<<<<<<<<<<<")) +
      "\nERIKSSON<<ANNA<MARIA<<<<<<<<<<";
  MrzDocument d = Read(zone);
  BOOST_TEST(d.document_number == "D23145890734");
  BOOST_TEST(Contains(Refusal(With(zone, 1, 18, '8')), "document number \"D23145890734\""));
}

BOOST_AUTO_TEST_CASE(a_zone_pasted_as_one_line_is_cut_at_its_line_length) {
  std::string one_line = kTd3;
  one_line.erase(one_line.find('\n'), 1);
  BOOST_TEST(Read(one_line).document_number == "L898902C3");
  BOOST_TEST(Read("  " + kTd1 + "\n\n").document_number == "D23145890");
}

BOOST_AUTO_TEST_CASE(each_failing_check_digit_is_named) {
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 9, '5')),
                      "line 2: the check digit of the document number \"L898902C3\" is \"5\"; "
                      "ICAO 9303 gives 6"));
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 19, '3')), "date of birth \"740812\""));
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 27, '0')), "date of expiry \"120415\""));
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 42, '2')), "optional data"));
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 43, '1')), "composite"));
  // A changed field with its own check digit intact is caught by the composite.
  BOOST_TEST(Contains(Refusal(With(kTd1, 2, 18, 'B')), "composite"));
  BOOST_TEST(Contains(Refusal(With(kTd2, 2, 35, '7')), "composite"));
  BOOST_TEST(Contains(Refusal(With(kMrvB, 2, 9, '0')), "document number"));
  // A misread of the number itself (C -> G) is caught by its check digit.
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 7, 'G')), "document number \"L898902G3\""));
}

BOOST_AUTO_TEST_CASE(bad_shapes_and_characters_are_refused_with_their_position) {
  BOOST_TEST(Contains(Refusal(""), "is empty"));
  BOOST_TEST(Contains(Refusal("P<UTO\nL898"), "lines of 5+4 characters"));
  BOOST_TEST(Contains(Refusal(With(kTd3, 1, 6, 'r')), "line 1: position 7 holds \"r\""));
  BOOST_TEST(Contains(Refusal(With(kTd3, 1, 6, 'r')), "(upper case)"));
  BOOST_TEST(Contains(Refusal(With(kTd3, 2, 20, 'Q')), "the sex \"Q\""));
  BOOST_TEST(Contains(Refusal(With(kTd3, 1, 0, 'I')), "passport (P) or a visa (V)"));
  BOOST_TEST(Contains(Refusal(With(kTd1, 1, 0, 'P')), "document code \"P<\""));
}

BOOST_AUTO_TEST_CASE(the_century_of_a_date_follows_today) {
  // Born "26-01-15" before today: 2026; "27-01-15" would be in the future: 1927.
  auto zone_born = [](const std::string& yymmdd) {
    std::string line2 = "L898902C36UTO" + yymmdd + std::to_string(MrzCheckDigit(yymmdd)) +
                        "F1204159ZE184226B<<<<<1";
    std::string over = line2.substr(0, 10) + line2.substr(13, 7) + line2.substr(21, 22);
    return "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" + line2 +
           std::to_string(MrzCheckDigit(over));
  };
  BOOST_TEST(Read(zone_born("260115")).date_of_birth == "2026-01-15");
  BOOST_TEST(Read(zone_born("270115")).date_of_birth == "1927-01-15");
  BOOST_TEST(Read(zone_born("7408<<")).date_of_birth == "1974-08");
  BOOST_TEST(Contains(Refusal(zone_born("741301")), "month 01-12"));
  BOOST_TEST(Contains(Refusal(zone_born("750229")), "no such day"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(icao_codes)

BOOST_AUTO_TEST_CASE(document_codes_map_to_the_stored_nationality) {
  // Doc 9303 part 3, 5: ICAO's own codes, and alpha-3 for the region's states.
  BOOST_TEST(*NationalityFromDocumentCode("BIH") == "BA");
  BOOST_TEST(*NationalityFromDocumentCode("SRB") == "RS");
  BOOST_TEST(*NationalityFromDocumentCode("MNE") == "ME");
  BOOST_TEST(*NationalityFromDocumentCode("HRV") == "HR");
  BOOST_TEST(*NationalityFromDocumentCode("RKS") == "XK");
  BOOST_TEST(*NationalityFromDocumentCode("D") == "DE");
  BOOST_TEST(*NationalityFromDocumentCode("DEU") == "DE");
  BOOST_TEST(*NationalityFromDocumentCode("GBD") == "GB");
  BOOST_TEST(*NationalityFromDocumentCode("BA") == "BA");
  for (const char* kept : {"XXA", "XXB", "XXC", "XXX", "UNO", "UNA", "UNK"}) {
    BOOST_TEST(*NationalityFromDocumentCode(kept) == kept);
    BOOST_TEST(IsNationalityCode(kept));
  }
  BOOST_TEST(!NationalityFromDocumentCode("UTO"));  // the specimen's Utopia
  BOOST_TEST(!NationalityFromDocumentCode("bih"));
  BOOST_TEST(!IsNationalityCode("BIH"));
}

BOOST_AUTO_TEST_CASE(plate_signs_map_unless_they_are_alpha2_codes) {
  BOOST_TEST(*CountryFromPlateSign("BIH") == "BA");
  BOOST_TEST(*CountryFromPlateSign("SRB") == "RS");
  BOOST_TEST(*CountryFromPlateSign("RKS") == "XK");
  BOOST_TEST(*CountryFromPlateSign("SLO") == "SI");
  BOOST_TEST(*CountryFromPlateSign("NMK") == "MK");
  BOOST_TEST(*CountryFromPlateSign("D") == "DE");
  BOOST_TEST(*CountryFromPlateSign("A") == "AT");
  BOOST_TEST(!CountryFromPlateSign("HR"));   // already the stored code
  BOOST_TEST(!CountryFromPlateSign("ET"));   // ISO's Ethiopia wins over Egypt's sign
  BOOST_TEST(!CountryFromPlateSign("XYZ"));  // no sign: the validator refuses it
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(document_input)

BOOST_AUTO_TEST_CASE(a_person_is_filled_from_the_mrz) {
  json person = {{"mrz", kGermanPassport}, {"data_subject_category", "traveller"}};
  BOOST_TEST_REQUIRE(FillPersonFromMrz("movement.persons[0]", &person, kToday).ok());
  BOOST_TEST(!person.contains("mrz"));
  BOOST_TEST(person["family_name"] == "MUSTERMANN");
  BOOST_TEST(person["given_names"] == "ERIKA");
  BOOST_TEST(person["date_of_birth"] == "1964-08-12");
  BOOST_TEST(person["nationality"] == "DE");
  BOOST_TEST(person["document_type"] == "passport");
  BOOST_TEST(person["document_number"] == "C01X00T47");
}

BOOST_AUTO_TEST_CASE(a_typed_field_must_agree_with_the_mrz) {
  json agree = {{"mrz", kGermanId}, {"family_name", "Mustermann"}, {"nationality", "D"}};
  BOOST_TEST(FillPersonFromMrz("p", &agree, kToday).ok());
  BOOST_TEST(agree["document_type"] == "id_card");
  json differ = {{"mrz", kGermanId}, {"document_number", "T22000128"}};
  Status s = FillPersonFromMrz("p", &differ, kToday);
  BOOST_TEST(s.message() ==
             "p.document_number: \"T22000128\" differs from the MRZ, which reads \"T22000129\"");
  json bad = {{"mrz", With(kTd3, 2, 9, '5')}};
  BOOST_TEST(FillPersonFromMrz("p", &bad, kToday).message().rfind("p.mrz: line 2:", 0) == 0u);
  json utopia = {{"mrz", kTd3}};
  BOOST_TEST(FillPersonFromMrz("p", &utopia, kToday).message() ==
             "p.mrz: the nationality \"UTO\" is not an ICAO 9303 code");
  json not_text = {{"mrz", 7}};
  BOOST_TEST(!FillPersonFromMrz("p", &not_text, kToday).ok());
}

BOOST_AUTO_TEST_CASE(codes_as_written_are_stored_as_codes) {
  json person = {{"nationality", "SRB"}};
  StoreCodesAsWritten(kPersonTableId, &person);
  BOOST_TEST(person["nationality"] == "RS");
  json vehicle = {{"plate_country", "BIH"}};
  StoreCodesAsWritten(kVehicleTableId, &vehicle);
  BOOST_TEST(vehicle["plate_country"] == "BA");
  json other = {{"plate_country", "BIH"}};
  StoreCodesAsWritten(kPersonTableId, &other);
  BOOST_TEST(other["plate_country"] == "BIH");
}

BOOST_AUTO_TEST_SUITE_END()
