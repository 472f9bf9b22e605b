#include "schema/row_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "schema/validators.h"

namespace outpost::schema {

namespace {

using nlohmann::json;

constexpr size_t kMaxReportedErrors = 8;

// Collects field errors; the row is refused if there is any.
class Errors {
 public:
  void Add(const Status& s) {
    if (s.ok()) return;
    if (shown_.size() < kMaxReportedErrors) {
      shown_.push_back(s.message());
    } else {
      ++more_;
    }
  }
  bool empty() const { return shown_.empty(); }
  Status ToStatus() const {
    std::string m;
    for (const auto& e : shown_) {
      if (!m.empty()) m += "; ";
      m += e;
    }
    if (more_ > 0) m += "; and " + std::to_string(more_) + " more";
    return Status::InvalidArgument(std::move(m));
  }

 private:
  std::vector<std::string> shown_;
  size_t more_ = 0;
};

std::string FieldPath(std::string_view path, const Column& c) {
  std::string p(path);
  p += '.';
  p += c.name;
  return p;
}

Status WrongJsonType(const std::string& field, std::string_view expected, const json& v) {
  return Status::InvalidArgument(field + ": expected " + std::string(expected) + ", got " +
                                 v.type_name());
}

std::string ShowNumber(const json& v) {
  // dump() writes NaN and infinities as "null"; say what they are.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  }
  return v.dump();
}

// Converts one non-null JSON value to the column's Value type. Validation of
// the value itself (ranges, checks, text rules) is ValidateValue's.
Result<Value> Convert(const Column& c, const std::string& field, const json& v) {
  switch (c.type) {
    case ColumnType::kText:
      if (!v.is_string()) return WrongJsonType(field, "a string", v);
      return Value(v.get_ref<const std::string&>());

    case ColumnType::kInteger: {
      if (v.is_number_integer() && !v.is_number_unsigned()) return Value(v.get<int64_t>());
      if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) {
          return Status::InvalidArgument(field + ": " + v.dump() +
                                         " is out of range for a 64-bit integer");
        }
        return Value(static_cast<int64_t>(u));
      }
      if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d)) {
          return Status::InvalidArgument(field + ": " + ShowNumber(v) + " is not a finite number");
        }
        if (d != std::trunc(d)) {
          return Status::InvalidArgument(field + ": " + ShowNumber(v) + " is not an integer");
        }
        // Beyond 2^53 a double no longer holds every integer: the value the
        // officer typed may already be lost, so refuse rather than guess.
        constexpr double kExact = 9007199254740992.0;
        if (d < -kExact || d > kExact) {
          return Status::InvalidArgument(field + ": " + ShowNumber(v) +
                                         " is out of range for a 64-bit integer");
        }
        return Value(static_cast<int64_t>(d));
      }
      return WrongJsonType(field, "an integer", v);
    }

    case ColumnType::kReal:
      if (!v.is_number()) return WrongJsonType(field, "a number", v);
      return Value(v.get<double>());

    case ColumnType::kBool:
      if (!v.is_boolean()) return WrongJsonType(field, "true or false", v);
      return Value(int64_t{v.get<bool>() ? 1 : 0});

    case ColumnType::kTime: {
      if (!v.is_string()) return WrongJsonType(field, "an RFC 3339 UTC timestamp string", v);
      const auto& s = v.get_ref<const std::string&>();
      int64_t micros = 0;
      if (!ParseUtcMicros(s, &micros)) {
        return Status::InvalidArgument(
            field + ": " + QuoteForMessage(s) +
            " is not an RFC 3339 UTC timestamp (e.g. 2026-11-28T10:33:23Z)");
      }
      return Value(micros);
    }

    case ColumnType::kId: {
      if (!v.is_string()) return WrongJsonType(field, "a UUID string", v);
      const auto& s = v.get_ref<const std::string&>();
      auto id = ParseUuid(s);
      if (!id.ok()) {
        return Status::InvalidArgument(field + ": " + QuoteForMessage(s) +
                                       " is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
      }
      return Value(Bytes(id->begin(), id->end()));
    }

    case ColumnType::kBlob: {
      if (!v.is_string()) return WrongJsonType(field, "a hex string", v);
      const auto& s = v.get_ref<const std::string&>();
      // Bound before decoding: never allocate for an oversize value.
      if (s.size() / 2 > c.max_len) {
        return Status::InvalidArgument(field + ": " + std::to_string(s.size() / 2) +
                                       " bytes is too long (at most " + std::to_string(c.max_len) +
                                       ")");
      }
      auto b = FromHex(s);
      if (!b.ok()) {
        return Status::InvalidArgument(field + ": " + QuoteForMessage(s) +
                                       " is not a hex string (" + b.status().message() + ")");
      }
      return Value(std::move(b).value());
    }
  }
  return Status::Internal(field + ": unknown column type");
}

bool Ignored(const std::vector<std::string_view>& ignore_keys, std::string_view key) {
  return std::find(ignore_keys.begin(), ignore_keys.end(), key) != ignore_keys.end();
}

Result<Row> Parse(const Table& table, const json& obj, std::string_view path,
                  const std::vector<std::string_view>& ignore_keys, bool patch) {
  for (std::string_view k : ignore_keys) {
    if (table.FindColumn(k) != nullptr) {
      return Status::Internal(std::string(path) + ": ignored key \"" + std::string(k) +
                              "\" is a column of " + table.name);
    }
  }
  if (!obj.is_object()) {
    return Status::InvalidArgument(std::string(path) + ": expected an object, got " +
                                   obj.type_name());
  }

  Errors errors;
  // Indexed by position in table.columns, so the Row comes out in column order
  // whatever the key order of the document.
  std::vector<std::optional<Value>> slots(table.columns.size());
  for (const auto& [key, v] : obj.items()) {
    if (Ignored(ignore_keys, key)) continue;
    const Column* c = table.FindColumn(key);
    if (c == nullptr) {
      errors.Add(
          Status::InvalidArgument(std::string(path) + ": unknown field " + QuoteForMessage(key)));
      continue;
    }
    const std::string field = FieldPath(path, *c);
    const size_t slot = static_cast<size_t>(c - table.columns.data());
    if (v.is_null()) {
      if (!patch) continue;  // same as absent; a missing required field is reported below
      if (c->required) {
        errors.Add(Status::InvalidArgument(field + ": is required and cannot be cleared"));
        continue;
      }
      slots[slot] = Value();
      continue;
    }
    auto value = Convert(*c, field, v);
    if (!value.ok()) {
      errors.Add(value.status());
      continue;
    }
    Status s = ValidateValue(*c, field, *value);
    if (!s.ok()) {
      errors.Add(s);
      continue;
    }
    slots[slot] = std::move(value).value();
  }

  if (!patch) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const Column& c = table.columns[i];
      if (!c.required || slots[i].has_value()) continue;
      // A required field that was present but refused above is not missing.
      const auto it = obj.find(c.name);
      if (it != obj.end() && !it->is_null()) continue;
      errors.Add(Status::InvalidArgument(FieldPath(path, c) + ": is required"));
    }
  }
  if (!errors.empty()) return errors.ToStatus();

  Row row;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].has_value()) row.values.emplace_back(&table.columns[i], std::move(*slots[i]));
  }
  return row;
}

json ValueToJson(const Column& c, const Value& value) {
  if (IsNull(value)) return nullptr;
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* d = std::get_if<double>(&value)) return *d;
  if (const auto* i = std::get_if<int64_t>(&value)) {
    if (c.type == ColumnType::kBool) return *i != 0;
    if (c.type == ColumnType::kTime) return FormatUtcMicros(*i);
    return *i;
  }
  const auto& b = std::get<Bytes>(value);
  if (c.type == ColumnType::kId && b.size() == 16) {
    Uuid id;
    std::copy(b.begin(), b.end(), id.begin());
    return UuidToString(id);
  }
  return ToHex(b);
}

}  // namespace

const Value* Row::Find(std::string_view column_name) const {
  for (const auto& [c, v] : values) {
    if (c->name == column_name) return &v;
  }
  return nullptr;
}

Result<Row> ParseRow(const Table& table, const json& obj, std::string_view path,
                     const std::vector<std::string_view>& ignore_keys) {
  return Parse(table, obj, path, ignore_keys, /*patch=*/false);
}

Result<Row> ParsePatch(const Table& table, const json& obj, std::string_view path,
                       const std::vector<std::string_view>& ignore_keys) {
  return Parse(table, obj, path, ignore_keys, /*patch=*/true);
}

json RowToJson(const Table& table, const Row& row) {
  json out = json::object();
  for (const auto& [c, v] : row.values) {
    const std::less<const Column*> before;
    const Column* begin = table.columns.data();
    const bool ours = !before(c, begin) && before(c, begin + table.columns.size());
    if (!ours) continue;
    out[c->name] = ValueToJson(*c, v);
  }
  return out;
}

}  // namespace outpost::schema
