#include "schema/validators.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/ascii.h"
#include "base/clock.h"
#include "schema/icao_codes.h"

namespace outpost::schema {

namespace {

// Official ISO 3166-1 alpha-2 assigned codes (249), sorted, plus XK below.
constexpr std::array<std::string_view, 249> kCountries = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

// ISO 4217 List One active codes, sorted. Differs from Debian's iso-codes
// 4.15 by: XTS/XXX removed (not prices); ZWG (2024), XAD (Arab Accounting
// Dinar, 2024) and XCG (2025) added. One rule for a replaced currency: it is
// refused from the day after its dual circulation with its replacement ended:
// HRK (euro, ended 2023-01-14), ANG (XCG, ended 2025-06-30), BGN (euro,
// ended 2026-01-31). SLL, ZWL and CUC are still in List One as this table
// was made and stay accepted until a List One amendment withdraws them.
constexpr std::array<std::string_view, 179> kCurrencies = {
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK",
    "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD",
    "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT",
    "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAD", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF",
    "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
};

bool IsUpperOrDigit(char c) { return IsAsciiUpper(c) || IsAsciiDigit(c); }

template <size_t N>
bool InSorted(const std::array<std::string_view, N>& list, std::string_view v) {
  return std::binary_search(list.begin(), list.end(), v);
}

Status Refuse(std::string_view field_path, std::string_view value, std::string_view rule) {
  std::string m(field_path);
  m += ": ";
  m += QuoteForMessage(value);
  m += ' ';
  m += rule;
  return Status::InvalidArgument(std::move(m));
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  // The shortest of %.15g / %.17g that reads back as the same double, so
  // 12.1 shows as 12.1 and not 12.099999999999999.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Status RefuseNumber(std::string_view field_path, std::string value, std::string_view rule) {
  return Status::InvalidArgument(std::string(field_path) + ": " + value + " " + std::string(rule));
}

// Decodes one UTF-8 sequence at s[*pos]; returns the code point or -1 for an
// ill-formed sequence (RFC 3629 table: overlongs, surrogates and > U+10FFFF
// are ill-formed). Advances *pos past the sequence (by 1 on error).
int32_t DecodeUtf8(std::string_view s, size_t* pos) {
  const auto b0 = static_cast<uint8_t>(s[*pos]);
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  }
  size_t len;
  int32_t cp;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // > U+10FFFF
  } else {
    ++*pos;  // 0x80-0xC1 (continuation or overlong lead), 0xF5-0xFF
    return -1;
  }
  if (*pos + len > s.size()) {
    ++*pos;
    return -1;
  }
  for (size_t i = 1; i < len; ++i) {
    const auto b = static_cast<uint8_t>(s[*pos + i]);
    const uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      ++*pos;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos += len;
  return cp;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Micros of 2000-01-01T00:00:00Z and 2099-12-31T23:59:59.999999Z: the times
// a record of this system can carry (docs/records.md). Outside them a time is
// a typing or clock error (year 0001, 9999), not a movement.
constexpr int64_t kMinTimeMicros = 946684800LL * 1000000;
constexpr int64_t kMaxTimeMicros = 4102444799LL * 1000000 + 999999;

}  // namespace

namespace {

// Code points shown escaped even though they are valid: they change how a
// log line or a terminal shows the text around them (line and paragraph
// separators, bidirectional embeddings, overrides and isolates).
bool ReordersText(int32_t cp) {
  return cp == 0x2028 || cp == 0x2029 || (cp >= 0x200E && cp <= 0x200F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size() && i < kMaxShown) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // Valid UTF-8 shows as the text it is ("Nikolić"); a C1 control, a
      // reordering mark or an invalid byte shows escaped.
      size_t next = i;
      const int32_t cp = DecodeUtf8(text, &next);
      if (cp >= 0xA0 && !ReordersText(cp)) {
        out.append(text.substr(i, next - i));
        i = next;
        continue;
      }
      char buf[16];
      if (cp >= 0) {
        std::snprintf(buf, sizeof buf, "\\u{%X}", static_cast<unsigned>(cp));
        i = next;
      } else {
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        ++i;
      }
      out += buf;
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c >= 0x20 && c < 0x7F) {
          out += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        }
    }
  }
  out += '"';
  if (i < text.size()) out += "...";
  return out;
}

Status ValidateDeclaration(std::string_view path, std::string_view v) {
  const bool mrn_shape = v.size() == 18 && IsAsciiDigit(v[0]) && IsAsciiDigit(v[1]) &&
                         IsAsciiUpper(v[2]) && IsAsciiUpper(v[3]) &&
                         std::all_of(v.begin() + 4, v.end() - 1,
                                     [](char c) { return IsAsciiUpper(c) || IsAsciiDigit(c); }) &&
                         IsAsciiDigit(v[17]);
  if (!mrn_shape) return Status::Ok();
  const int expected = MrnCheckDigit(v.substr(0, 17));
  if (v[17] - '0' != expected) {
    return Refuse(path, v,
                  "has the shape of an NCTS MRN but fails its check digit (expected " +
                      std::to_string(expected) + ")");
  }
  return Status::Ok();
}

Status ValidateContainerNumber(std::string_view path, std::string_view v) {
  if (IsContainerNumber(v)) return Status::Ok();
  // Refused: say which part of the shape is wrong.
  const char* kShape =
      "is not an ISO 6346 container number (3-letter owner code, U/J/Z, 6 digits, check digit)";
  if (v.size() != 11) return Refuse(path, v, kShape);
  for (int i = 0; i < 3; ++i) {
    if (!IsAsciiUpper(v[i])) return Refuse(path, v, kShape);
  }
  if (v[3] != 'U' && v[3] != 'J' && v[3] != 'Z') {
    return Refuse(path, v, "is not an ISO 6346 container number (category must be U, J or Z)");
  }
  for (int i = 4; i < 11; ++i) {
    if (!IsAsciiDigit(v[i])) return Refuse(path, v, kShape);
  }
  return Refuse(path, v,
                "fails the ISO 6346 check digit (expected " +
                    std::to_string(Iso6346CheckDigit(v.substr(0, 10))) + ")");
}

Status ValidateEquipmentNumber(std::string_view path, std::string_view v) {
  if (IsContainerNumber(v) || IsIluCode(v)) return Status::Ok();
  const char* kShape =
      "is not an ISO 6346 container number or EN 13044 ILU code (3-letter owner code, "
      "U/J/Z for a container or A/B/D/E/K for a swap body or semi-trailer, 6 digits, check "
      "digit)";
  if (v.size() != 11) return Refuse(path, v, kShape);
  for (int i = 0; i < 3; ++i) {
    if (!IsAsciiUpper(v[i])) return Refuse(path, v, kShape);
  }
  if (std::string_view("UJZABDEK").find(v[3]) == std::string_view::npos) {
    return Refuse(path, v,
                  "has no equipment category (fourth letter U, J or Z for ISO 6346; A, B, D, "
                  "E or K for an EN 13044 ILU code)");
  }
  for (int i = 4; i < 11; ++i) {
    if (!IsAsciiDigit(v[i])) return Refuse(path, v, kShape);
  }
  return Refuse(path, v,
                "fails the ISO 6346 check digit (expected " +
                    std::to_string(Iso6346CheckDigit(v.substr(0, 10))) + ")");
}

Status ValidateContainerSizeType(std::string_view path, std::string_view v) {
  if (v.size() != 4 || !IsUpperOrDigit(v[0]) || !IsUpperOrDigit(v[1]) || !IsAsciiUpper(v[2]) ||
      !IsUpperOrDigit(v[3])) {
    return Refuse(path, v, "is not an ISO 6346 size-type code (e.g. 22G1, 45R1)");
  }
  return Status::Ok();
}

namespace {
#include "schema/hs2022.inc"

template <size_t N>
bool InSortedArray(const std::string_view (&list)[N], std::string_view v) {
  return std::binary_search(std::begin(list), std::end(list), v);
}
}  // namespace

Status ValidateHsCode(std::string_view path, std::string_view v) {
  const char* kShape = "is not an HS code (4, 6, 8 or 10 digits)";
  if (v.size() != 4 && v.size() != 6 && v.size() != 8 && v.size() != 10) {
    return Refuse(path, v, kShape);
  }
  for (char c : v) {
    if (!IsAsciiDigit(c)) return Refuse(path, v, kShape);
  }
  const int chapter = (v[0] - '0') * 10 + (v[1] - '0');
  if (chapter < 1 || chapter > 97) {
    return Refuse(path, v, "is not an HS code (chapter must be 01-97)");
  }
  if (chapter == 77) return Refuse(path, v, "is not an HS code (chapter 77 is reserved)");
  if (v.size() == 4) {
    if (InSortedArray(kHsHeadings, v)) return Status::Ok();
    return Refuse(path, v, "is not a heading of the HS 2022 nomenclature");
  }
  if (InSortedArray(kHsSubheadings, v.substr(0, 6))) return Status::Ok();
  return Refuse(
      path, v,
      "is not in the HS 2022 nomenclature (no subheading " + std::string(v.substr(0, 6)) + ")");
}

bool IsCountryCode(std::string_view code) { return code == "XK" || InSorted(kCountries, code); }

Status ValidateCountry(std::string_view path, std::string_view v) {
  if (!IsCountryCode(v)) return Refuse(path, v, "is not an ISO 3166-1 alpha-2 country code or XK");
  return Status::Ok();
}

Status ValidateNationality(std::string_view path, std::string_view v) {
  if (!IsNationalityCode(v)) {
    return Refuse(path, v,
                  "is not an ISO 3166-1 alpha-2 country code, XK, or an ICAO code of no state "
                  "(XXA, XXB, XXC, XXX, UNO, UNA, UNK, ...)");
  }
  return Status::Ok();
}

Status ValidateCountryList(std::string_view path, std::string_view v) {
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    const std::string_view code =
        v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!IsCountryCode(code)) {
      return Refuse(path, v,
                    "is not a comma-separated list of ISO 3166-1 alpha-2 country codes (" +
                        QuoteForMessage(code) + " is not one)");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

Status ValidateVin(std::string_view path, std::string_view v) {
  if (IsVin(v)) return Status::Ok();
  if (v.size() != 17) return Refuse(path, v, "is not a VIN (17 characters)");
  for (char c : v) {
    if (c == 'I' || c == 'O' || c == 'Q') {
      return Refuse(path, v, "is not a VIN (I, O and Q are not used)");
    }
    if (!IsUpperOrDigit(c)) break;
  }
  return Refuse(path, v, "is not a VIN (A-Z and 0-9 only)");
}

bool VinCheckDigitMatches(std::string_view vin) {
  if (!IsVin(vin)) return false;
  // Transliteration per ISO 3779 / 49 CFR 565.
  static constexpr int kLetter[26] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4,
                                      5, 0, 7, 0, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  static constexpr int kWeight[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    const char c = vin[i];
    const int v = IsAsciiDigit(c) ? c - '0' : kLetter[c - 'A'];
    sum += v * kWeight[i];
  }
  const int r = sum % 11;
  return vin[8] == (r == 10 ? 'X' : static_cast<char>('0' + r));
}

Status ValidateCurrency(std::string_view path, std::string_view v) {
  if (!InSorted(kCurrencies, v)) return Refuse(path, v, "is not an active ISO 4217 currency code");
  return Status::Ok();
}

const std::vector<std::string_view>& UnitCodes() {
  static const std::vector<std::string_view> kUnits = {
      "KGM", "GRM", "MGM", "TNE", "CTM", "LTR", "MLT", "HLT", "LPA", "MTQ",
      "MTK", "MTR", "CMT", "C62", "H87", "NAR", "PR",  "DZN", "SET"};
  return kUnits;
}

Status ValidateUnit(std::string_view path, std::string_view v) {
  const auto& units = UnitCodes();
  if (std::find(units.begin(), units.end(), v) == units.end()) {
    return Refuse(path, v,
                  "is not a UN/ECE Rec 20 unit code from the list (KGM, GRM, LTR, C62...)");
  }
  return Status::Ok();
}

Status ValidateSiteCode(std::string_view path, std::string_view v) {
  bool ok =
      v.size() >= 5 && v.size() <= 11 && IsAsciiUpper(v[0]) && IsAsciiUpper(v[1]) && v[2] == '-';
  for (size_t i = 3; ok && i < v.size(); ++i) ok = IsUpperOrDigit(v[i]);
  if (!ok) return Refuse(path, v, "is not a site code (^[A-Z]{2}-[A-Z0-9]{2,8}$, e.g. BA-BIJ)");
  return Status::Ok();
}

Status ValidateDate(std::string_view path, std::string_view v) {
  const char* kShape = "is not a date (YYYY-MM-DD)";
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return Refuse(path, v, kShape);
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsAsciiDigit(v[i])) return Refuse(path, v, kShape);
  }
  const int y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
  const int m = (v[5] - '0') * 10 + (v[6] - '0');
  const int d = (v[8] - '0') * 10 + (v[9] - '0');
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1800) return Refuse(path, v, "is not a date (year before 1800)");
  if (m < 1 || m > 12) return Refuse(path, v, "is not a date (month 01-12)");
  const int days = kDays[m - 1] + (m == 2 && IsLeap(y));
  if (d < 1 || d > days) return Refuse(path, v, "is not a date (no such day in that month)");
  return Status::Ok();
}

Status ValidateBirthDate(std::string_view path, std::string_view v) {
  const char* kShape = "is not a date of birth (YYYY-MM-DD, or YYYY-MM or YYYY when partial)";
  if (v.size() == 10) return ValidateDate(path, v);
  if (v.size() != 4 && v.size() != 7) return Refuse(path, v, kShape);
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 4 ? v[i] != '-' : !IsAsciiDigit(v[i])) return Refuse(path, v, kShape);
  }
  // Completed with the first month and day, which every valid year and month has.
  std::string full(v);
  full += v.size() == 4 ? "-01-01" : "-01";
  if (Status s = ValidateDate(path, full); !s.ok()) {
    return Refuse(path, v,
                  v.size() == 4 ? "is not a date (year before 1800)"
                                : "is not a date (month 01-12, year from 1800)");
  }
  return Status::Ok();
}

Status ValidateFinite(std::string_view path, double v) {
  if (!std::isfinite(v)) return RefuseNumber(path, FormatNumber(v), "is not a finite number");
  return Status::Ok();
}

Status ValidatePositive(std::string_view path, double v) {
  OUTPOST_RETURN_IF_ERROR(ValidateFinite(path, v));
  if (!(v > 0)) return RefuseNumber(path, FormatNumber(v), "must be greater than 0");
  return Status::Ok();
}

Status ValidateNonNegative(std::string_view path, double v) {
  OUTPOST_RETURN_IF_ERROR(ValidateFinite(path, v));
  if (!(v >= 0)) return RefuseNumber(path, FormatNumber(v), "must not be negative");
  return Status::Ok();
}

namespace {
std::string JoinAllowed(const std::vector<std::string>& allowed) {
  std::string s;
  for (const auto& a : allowed) {
    if (!s.empty()) s += ", ";
    s += a;
  }
  return s;
}
}  // namespace

Status ValidateEnum(std::string_view path, std::string_view v,
                    const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    return Refuse(path, v, "is not one of: " + JoinAllowed(allowed));
  }
  return Status::Ok();
}

Status ValidateEnumList(std::string_view path, std::string_view v,
                        const std::vector<std::string>& allowed) {
  std::vector<std::string_view> seen;
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    const std::string_view item =
        v.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (std::find(allowed.begin(), allowed.end(), item) == allowed.end()) {
      return Refuse(path, v,
                    "is not a comma-separated list of: " + JoinAllowed(allowed) + " (" +
                        QuoteForMessage(item) + " is not one)");
    }
    if (std::find(seen.begin(), seen.end(), item) != seen.end()) {
      return Refuse(path, v, "lists " + QuoteForMessage(item) + " twice");
    }
    seen.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (DecodeUtf8(s, &pos) < 0) return false;
  }
  return true;
}

Status ValidateUtf8(std::string_view path, std::string_view v) {
  size_t pos = 0;
  while (pos < v.size()) {
    const size_t at = pos;
    if (DecodeUtf8(v, &pos) < 0) {
      return Refuse(path, v, "is not valid UTF-8 (at byte " + std::to_string(at) + ")");
    }
  }
  return Status::Ok();
}

Status ValidateTextLength(std::string_view path, std::string_view v, uint32_t max_bytes) {
  if (v.size() > max_bytes) {
    return Refuse(path, v,
                  "is too long (" + std::to_string(v.size()) + " bytes, at most " +
                      std::to_string(max_bytes) + ")");
  }
  return Status::Ok();
}

Status ValidateText(std::string_view path, std::string_view v, uint32_t max_bytes) {
  OUTPOST_RETURN_IF_ERROR(ValidateTextLength(path, v, max_bytes));
  size_t pos = 0;
  while (pos < v.size()) {
    const size_t at = pos;
    const int32_t cp = DecodeUtf8(v, &pos);
    if (cp < 0) return Refuse(path, v, "is not valid UTF-8 (at byte " + std::to_string(at) + ")");
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    if (control && cp != '\t' && cp != '\n') {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
      return Refuse(path, v,
                    std::string("contains the control character ") + buf + " (at byte " +
                        std::to_string(at) + ")");
    }
  }
  return Status::Ok();
}

namespace {

const char* TypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kText:
      return "text";
    case ColumnType::kInteger:
      return "an integer";
    case ColumnType::kReal:
      return "a real number";
    case ColumnType::kBool:
      return "a boolean";
    case ColumnType::kTime:
      return "a time";
    case ColumnType::kId:
      return "an id";
    case ColumnType::kBlob:
      return "bytes";
  }
  return "?";
}

Status WrongType(const Column& c, std::string_view path) {
  return Status::InvalidArgument(std::string(path) + ": holds the wrong kind of value (column is " +
                                 TypeName(c.type) + ")");
}

Status CheckText(const Column& c, std::string_view path, std::string_view v) {
  switch (c.check) {
    case Check::kNone:
      return Status::Ok();
    case Check::kEnum:
      return ValidateEnum(path, v, c.allowed);
    case Check::kIso6346:
      return ValidateContainerNumber(path, v);
    case Check::kEquipmentNumber:
      return ValidateEquipmentNumber(path, v);
    case Check::kHsCode:
      return ValidateHsCode(path, v);
    case Check::kCountry:
      return ValidateCountry(path, v);
    case Check::kCountryList:
      return ValidateCountryList(path, v);
    case Check::kVin:
      return ValidateVin(path, v);
    case Check::kCurrency:
      return ValidateCurrency(path, v);
    case Check::kUnit:
      return ValidateUnit(path, v);
    case Check::kNationality:
      return ValidateNationality(path, v);
    case Check::kDeclaration:
      return ValidateDeclaration(path, v);
    case Check::kSiteCode:
      return ValidateSiteCode(path, v);
    case Check::kDate:
      return ValidateDate(path, v);
    case Check::kBirthDate:
      return ValidateBirthDate(path, v);
    case Check::kEnumList:
      return ValidateEnumList(path, v, c.allowed);
    case Check::kContainerSizeType:
      return ValidateContainerSizeType(path, v);
    case Check::kPositive:
    case Check::kNonNegative:
      break;
  }
  return Status::Internal(std::string(path) + ": a numeric check on a text column");
}

Status CheckNumber(const Column& c, std::string_view path, double v, const std::string& shown) {
  if (c.max_value > 0 && std::isfinite(v) && v > c.max_value) {
    return RefuseNumber(path, shown,
                        "is more than " + FormatNumber(c.max_value) +
                            ", the largest value accepted (docs/records.md)");
  }
  switch (c.check) {
    case Check::kNone:
      return ValidateFinite(path, v);
    case Check::kPositive:
      OUTPOST_RETURN_IF_ERROR(ValidateFinite(path, v));
      if (!(v > 0)) return RefuseNumber(path, shown, "must be greater than 0");
      return Status::Ok();
    case Check::kNonNegative:
      OUTPOST_RETURN_IF_ERROR(ValidateFinite(path, v));
      if (!(v >= 0)) return RefuseNumber(path, shown, "must not be negative");
      return Status::Ok();
    default:
      break;
  }
  return Status::Internal(std::string(path) + ": a text check on a numeric column");
}

}  // namespace

namespace {

// The column's domain rule first, where it can say more than a length ("FRA"
// is no alpha-2 code, not merely "too long"), then length and encoding. A
// value refused only for its lower case says so.
Status CheckTextValue(const Column& c, std::string_view path, std::string_view v) {
  constexpr size_t kDomainFirstMax = 64;  // longer input: its length is the news
  if (c.check != Check::kNone && v.size() <= kDomainFirstMax) {
    Status domain = CheckText(c, path, v);
    if (!domain.ok()) {
      std::string upper(v);
      for (char& ch : upper) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      }
      if (upper != v && CheckText(c, path, upper).ok()) {
        return Refuse(path, v, "must be written in upper case: " + QuoteForMessage(upper));
      }
      return domain;
    }
  }
  OUTPOST_RETURN_IF_ERROR(ValidateText(path, v, c.max_len));
  return CheckText(c, path, v);
}

}  // namespace

Status ValidateValue(const Column& c, std::string_view path, const Value& value) {
  if (IsNull(value)) {
    if (c.required) return Status::InvalidArgument(std::string(path) + ": is required");
    return Status::Ok();
  }
  switch (c.type) {
    case ColumnType::kText: {
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return WrongType(c, path);
      return CheckTextValue(c, path, *s);
    }
    case ColumnType::kInteger: {
      const auto* i = std::get_if<int64_t>(&value);
      if (i == nullptr) return WrongType(c, path);
      return CheckNumber(c, path, static_cast<double>(*i), std::to_string(*i));
    }
    case ColumnType::kReal: {
      const auto* d = std::get_if<double>(&value);
      if (d == nullptr) return WrongType(c, path);
      return CheckNumber(c, path, *d, FormatNumber(*d));
    }
    case ColumnType::kBool: {
      const auto* i = std::get_if<int64_t>(&value);
      if (i == nullptr) return WrongType(c, path);
      if (*i != 0 && *i != 1) {
        return RefuseNumber(path, std::to_string(*i), "is not a boolean (0 or 1)");
      }
      return Status::Ok();
    }
    case ColumnType::kTime: {
      const auto* i = std::get_if<int64_t>(&value);
      if (i == nullptr) return WrongType(c, path);
      if (*i < kMinTimeMicros || *i > kMaxTimeMicros) {
        // Years 0000-9999 read back as RFC 3339; beyond, the raw microseconds.
        constexpr int64_t kWritable = 253402300799LL * 1000000;
        bool writable = *i >= -62167219200LL * 1000000 && *i <= kWritable;
        return RefuseNumber(
            path,
            writable ? "\"" + FormatUtcMicros(*i) + "\"" : std::to_string(*i) + " microseconds",
            "is outside the times accepted, 2000-01-01 to 2099-12-31 "
            "(docs/records.md)");
      }
      return Status::Ok();
    }
    case ColumnType::kId: {
      const auto* b = std::get_if<Bytes>(&value);
      if (b == nullptr) return WrongType(c, path);
      if (b->size() != 16) {
        return Status::InvalidArgument(std::string(path) + ": an id of " +
                                       std::to_string(b->size()) + " bytes is not 16 bytes");
      }
      return Status::Ok();
    }
    case ColumnType::kBlob: {
      const auto* b = std::get_if<Bytes>(&value);
      if (b == nullptr) return WrongType(c, path);
      if (b->size() > c.max_len) {
        return Status::InvalidArgument(std::string(path) + ": " + std::to_string(b->size()) +
                                       " bytes is too long (at most " + std::to_string(c.max_len) +
                                       ")");
      }
      return Status::Ok();
    }
  }
  return Status::Internal(std::string(path) + ": unknown column type");
}

}  // namespace outpost::schema
