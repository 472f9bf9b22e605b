// A column value as the CRDT layer, the record API and the risk engine see it.
#ifndef OUTPOST_SCHEMA_VALUE_H_
#define OUTPOST_SCHEMA_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>

#include "base/bytes.h"

namespace outpost::schema {

// monostate = SQL NULL. kBool, kTime are int64_t; kId is Bytes (16).
using Value = std::variant<std::monostate, int64_t, double, std::string, Bytes>;

inline bool IsNull(const Value& v) { return std::holds_alternative<std::monostate>(v); }

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_VALUE_H_
