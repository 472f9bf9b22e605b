#include "schema/document_input.h"

#include <cctype>
#include <string>

#include "schema/icao_codes.h"
#include "schema/table_ids.h"
#include "schema/validators.h"

namespace outpost::schema {

namespace {

using nlohmann::json;

const char* DocumentType(const MrzDocument& d) {
  if (d.format == MrzFormat::kTd3) return "passport";
  if (d.format == MrzFormat::kMrvA || d.format == MrzFormat::kMrvB) return "other";
  // TD1/TD2 residence permits carry "R" as the second letter of their code.
  if (d.document_code.size() == 2 && d.document_code[1] == 'R') return "residence_permit";
  return "id_card";
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Sets person[key] = value, or checks that what is there agrees.
Status FillOrCompare(std::string_view path, json* person, const char* key, const std::string& value,
                     bool ignore_case) {
  if (value.empty()) return Status::Ok();
  if (!person->contains(key) || (*person)[key].is_null()) {
    (*person)[key] = value;
    return Status::Ok();
  }
  const json& given = (*person)[key];
  if (given.is_string()) {
    const std::string g = given.get<std::string>();
    if (g == value || (ignore_case && Upper(g) == Upper(value))) return Status::Ok();
  }
  return Status::InvalidArgument(
      std::string(path) + "." + key + ": " +
      QuoteForMessage(given.is_string() ? given.get<std::string>() : given.dump()) +
      " differs from the MRZ, which reads " + QuoteForMessage(value));
}

}  // namespace

Status FillPersonFromMrz(std::string_view path, json* person, CivilDate today) {
  if (!person->contains("mrz")) return Status::Ok();
  const std::string mrz_path = std::string(path) + ".mrz";
  const json zone = (*person)["mrz"];
  if (!zone.is_string()) {
    return Status::InvalidArgument(mrz_path + ": expected a string (the zone's lines), got " +
                                   zone.type_name());
  }
  OUTPOST_ASSIGN_OR_RETURN(MrzDocument d, ParseMrz(mrz_path, zone.get<std::string>(), today));
  auto nationality = NationalityFromDocumentCode(d.nationality);
  if (!nationality) {
    return Status::InvalidArgument(mrz_path + ": the nationality " +
                                   QuoteForMessage(d.nationality) + " is not an ICAO 9303 code");
  }
  person->erase("mrz");
  StoreCodesAsWritten(kPersonTableId, person);
  OUTPOST_RETURN_IF_ERROR(FillOrCompare(path, person, "family_name", d.family_name, true));
  OUTPOST_RETURN_IF_ERROR(FillOrCompare(path, person, "given_names", d.given_names, true));
  OUTPOST_RETURN_IF_ERROR(FillOrCompare(path, person, "date_of_birth", d.date_of_birth, false));
  OUTPOST_RETURN_IF_ERROR(FillOrCompare(path, person, "nationality", *nationality, false));
  OUTPOST_RETURN_IF_ERROR(FillOrCompare(path, person, "document_type", DocumentType(d), false));
  return FillOrCompare(path, person, "document_number", d.document_number, false);
}

void StoreCodesAsWritten(uint16_t table_id, json* doc) {
  auto rewrite = [&](const char* key, auto map) {
    if (!doc->contains(key) || !(*doc)[key].is_string()) return;
    if (auto stored = map((*doc)[key].get<std::string>())) (*doc)[key] = *stored;
  };
  if (table_id == kPersonTableId) {
    rewrite("nationality", [](const std::string& v) { return NationalityFromDocumentCode(v); });
  } else if (table_id == kVehicleTableId) {
    rewrite("plate_country", [](const std::string& v) { return CountryFromPlateSign(v); });
  }
}

}  // namespace outpost::schema
