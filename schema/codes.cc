#include "schema/codes.h"

#include <cstdint>

#include "base/ascii.h"

namespace outpost::schema {
namespace {

// The ISO 6346 algorithm over `s` (A-Z and 0-9, at most 32 characters), or
// -1 for any other character.
int Iso6346Algorithm(std::string_view s) {
  if (s.size() > 32) return -1;
  int64_t sum = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int v;
    if (IsAsciiDigit(s[i])) {
      v = s[i] - '0';
    } else if (IsAsciiUpper(s[i])) {
      // A=10 and upwards, skipping 11, 22 and 33.
      v = 10 + (s[i] - 'A');
      v += v >= 11;
      v += v >= 22;
      v += v >= 33;
    } else {
      return -1;
    }
    sum += static_cast<int64_t>(v) << i;
  }
  return static_cast<int>(sum % 11 % 10);
}

}  // namespace

int Iso6346CheckDigit(std::string_view s) {
  if (s.size() < 10) return -1;
  for (int i = 0; i < 4; ++i) {
    if (!IsAsciiUpper(s[i])) return -1;
  }
  for (int i = 4; i < 10; ++i) {
    if (!IsAsciiDigit(s[i])) return -1;
  }
  return Iso6346Algorithm(s.substr(0, 10));
}

int MrnCheckDigit(std::string_view first17) {
  if (first17.size() != 17) return -1;
  return Iso6346Algorithm(first17);
}

namespace {

// An owner code (three letters), a category letter among `categories`, six
// serial digits and a check digit that verifies.
bool IsOwnerCode(std::string_view v, std::string_view categories) {
  if (v.size() != 11) return false;
  if (categories.find(v[3]) == std::string_view::npos) return false;
  if (!IsAsciiDigit(v[10])) return false;
  return Iso6346CheckDigit(v.substr(0, 10)) == v[10] - '0';
}

}  // namespace

bool IsContainerNumber(std::string_view v) { return IsOwnerCode(v, "UJZ"); }

bool IsIluCode(std::string_view v) { return IsOwnerCode(v, "ABDEK"); }

bool IsVin(std::string_view vin) {
  if (vin.size() != 17) return false;
  for (char c : vin) {
    if (c == 'I' || c == 'O' || c == 'Q') return false;
    if (!IsAsciiUpper(c) && !IsAsciiDigit(c)) return false;
  }
  return true;
}

}  // namespace outpost::schema
