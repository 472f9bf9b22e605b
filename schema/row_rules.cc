#include "schema/row_rules.h"

#include <cstdio>
#include <string>

#include "schema/codes.h"
#include "schema/table_ids.h"
#include "schema/validators.h"

namespace outpost::schema {
namespace {

using nlohmann::json;

bool Given(const json& doc, const char* key) { return doc.contains(key) && !doc[key].is_null(); }

std::string Field(std::string_view path, const char* key) { return std::string(path) + "." + key; }

// `a` and `b` are both given or both absent.
Status Together(std::string_view path, const json& doc, const char* a, const char* b) {
  if (Given(doc, a) == Given(doc, b)) return Status::Ok();
  const char* given = Given(doc, a) ? a : b;
  const char* missing = Given(doc, a) ? b : a;
  return Status::InvalidArgument(Field(path, missing) + ": missing; " + given +
                                 " is given, and an amount is recorded with its currency (" + a +
                                 " and " + b + " together)");
}

Status CheckSeizure(std::string_view path, const json& doc) {
  OUTPOST_RETURN_IF_ERROR(Together(path, doc, "amount", "currency"));
  OUTPOST_RETURN_IF_ERROR(Together(path, doc, "value", "value_currency"));
  if (Given(doc, "commodity_group") && doc["commodity_group"] == "cash" && !Given(doc, "amount")) {
    return Status::InvalidArgument(Field(path, "amount") +
                                   ": missing; a seizure of cash states its amount and currency "
                                   "(e.g. \"amount\": 25000, \"currency\": \"EUR\")");
  }
  return Status::Ok();
}

Status CheckEquipment(std::string_view path, const json& doc) {
  if (!Given(doc, "number") || !doc["number"].is_string()) return Status::Ok();
  const std::string& number = doc["number"].get_ref<const std::string&>();
  if (!IsIluCode(number)) return Status::Ok();
  if (Given(doc, "kind") && doc["kind"] == "container") {
    return Status::InvalidArgument(
        Field(path, "kind") + ": \"container\" contradicts number " + QuoteForMessage(number) +
        ", an EN 13044 ILU code (fourth letter " + number.substr(3, 1) +
        "), which marks a swap body or a semi-trailer; set kind to swap_body or semi_trailer");
  }
  return Status::Ok();
}

// "YYYY[-MM[-DD]]" compared with today, as far as the value goes.
Status CheckBirthDate(std::string_view path, const json& doc, CivilDate today) {
  if (!Given(doc, "date_of_birth") || !doc["date_of_birth"].is_string()) return Status::Ok();
  const std::string& v = doc["date_of_birth"].get_ref<const std::string&>();
  char now[16];
  std::snprintf(now, sizeof now, "%04d-%02d-%02d", today.year, today.month, today.day);
  // Both are zero-padded ISO dates: a prefix compares as the date does.
  if (v.size() > 10 || v.compare(0, v.size(), now, v.size()) <= 0) return Status::Ok();
  return Status::InvalidArgument(Field(path, "date_of_birth") + ": " + QuoteForMessage(v) +
                                 " is after today (" + now +
                                 "); a date of birth cannot be in the future");
}

}  // namespace

Status CheckRowRules(const Table& table, std::string_view path, const json& doc, CivilDate today) {
  if (!doc.is_object()) return Status::Ok();
  switch (table.id) {
    case kSeizureTableId:
      return CheckSeizure(path, doc);
    case kEquipmentTableId:
      return CheckEquipment(path, doc);
    case kPersonTableId:
      return CheckBirthDate(path, doc, today);
    default:
      return Status::Ok();
  }
}

}  // namespace outpost::schema
