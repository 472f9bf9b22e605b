#include "schema/icao_codes.h"

#include <algorithm>
#include <array>
#include <utility>

#include "schema/validators.h"

namespace outpost::schema {

namespace {

using Pair = std::pair<std::string_view, std::string_view>;

// ISO 3166-1 alpha-3 -> alpha-2, sorted by alpha-3 (iso-codes 4.15.0).
constexpr std::array kAlpha3 = {
    Pair{"ABW", "AW"}, Pair{"AFG", "AF"}, Pair{"AGO", "AO"}, Pair{"AIA", "AI"}, Pair{"ALA", "AX"},
    Pair{"ALB", "AL"}, Pair{"AND", "AD"}, Pair{"ARE", "AE"}, Pair{"ARG", "AR"}, Pair{"ARM", "AM"},
    Pair{"ASM", "AS"}, Pair{"ATA", "AQ"}, Pair{"ATF", "TF"}, Pair{"ATG", "AG"}, Pair{"AUS", "AU"},
    Pair{"AUT", "AT"}, Pair{"AZE", "AZ"}, Pair{"BDI", "BI"}, Pair{"BEL", "BE"}, Pair{"BEN", "BJ"},
    Pair{"BES", "BQ"}, Pair{"BFA", "BF"}, Pair{"BGD", "BD"}, Pair{"BGR", "BG"}, Pair{"BHR", "BH"},
    Pair{"BHS", "BS"}, Pair{"BIH", "BA"}, Pair{"BLM", "BL"}, Pair{"BLR", "BY"}, Pair{"BLZ", "BZ"},
    Pair{"BMU", "BM"}, Pair{"BOL", "BO"}, Pair{"BRA", "BR"}, Pair{"BRB", "BB"}, Pair{"BRN", "BN"},
    Pair{"BTN", "BT"}, Pair{"BVT", "BV"}, Pair{"BWA", "BW"}, Pair{"CAF", "CF"}, Pair{"CAN", "CA"},
    Pair{"CCK", "CC"}, Pair{"CHE", "CH"}, Pair{"CHL", "CL"}, Pair{"CHN", "CN"}, Pair{"CIV", "CI"},
    Pair{"CMR", "CM"}, Pair{"COD", "CD"}, Pair{"COG", "CG"}, Pair{"COK", "CK"}, Pair{"COL", "CO"},
    Pair{"COM", "KM"}, Pair{"CPV", "CV"}, Pair{"CRI", "CR"}, Pair{"CUB", "CU"}, Pair{"CUW", "CW"},
    Pair{"CXR", "CX"}, Pair{"CYM", "KY"}, Pair{"CYP", "CY"}, Pair{"CZE", "CZ"}, Pair{"DEU", "DE"},
    Pair{"DJI", "DJ"}, Pair{"DMA", "DM"}, Pair{"DNK", "DK"}, Pair{"DOM", "DO"}, Pair{"DZA", "DZ"},
    Pair{"ECU", "EC"}, Pair{"EGY", "EG"}, Pair{"ERI", "ER"}, Pair{"ESH", "EH"}, Pair{"ESP", "ES"},
    Pair{"EST", "EE"}, Pair{"ETH", "ET"}, Pair{"FIN", "FI"}, Pair{"FJI", "FJ"}, Pair{"FLK", "FK"},
    Pair{"FRA", "FR"}, Pair{"FRO", "FO"}, Pair{"FSM", "FM"}, Pair{"GAB", "GA"}, Pair{"GBR", "GB"},
    Pair{"GEO", "GE"}, Pair{"GGY", "GG"}, Pair{"GHA", "GH"}, Pair{"GIB", "GI"}, Pair{"GIN", "GN"},
    Pair{"GLP", "GP"}, Pair{"GMB", "GM"}, Pair{"GNB", "GW"}, Pair{"GNQ", "GQ"}, Pair{"GRC", "GR"},
    Pair{"GRD", "GD"}, Pair{"GRL", "GL"}, Pair{"GTM", "GT"}, Pair{"GUF", "GF"}, Pair{"GUM", "GU"},
    Pair{"GUY", "GY"}, Pair{"HKG", "HK"}, Pair{"HMD", "HM"}, Pair{"HND", "HN"}, Pair{"HRV", "HR"},
    Pair{"HTI", "HT"}, Pair{"HUN", "HU"}, Pair{"IDN", "ID"}, Pair{"IMN", "IM"}, Pair{"IND", "IN"},
    Pair{"IOT", "IO"}, Pair{"IRL", "IE"}, Pair{"IRN", "IR"}, Pair{"IRQ", "IQ"}, Pair{"ISL", "IS"},
    Pair{"ISR", "IL"}, Pair{"ITA", "IT"}, Pair{"JAM", "JM"}, Pair{"JEY", "JE"}, Pair{"JOR", "JO"},
    Pair{"JPN", "JP"}, Pair{"KAZ", "KZ"}, Pair{"KEN", "KE"}, Pair{"KGZ", "KG"}, Pair{"KHM", "KH"},
    Pair{"KIR", "KI"}, Pair{"KNA", "KN"}, Pair{"KOR", "KR"}, Pair{"KWT", "KW"}, Pair{"LAO", "LA"},
    Pair{"LBN", "LB"}, Pair{"LBR", "LR"}, Pair{"LBY", "LY"}, Pair{"LCA", "LC"}, Pair{"LIE", "LI"},
    Pair{"LKA", "LK"}, Pair{"LSO", "LS"}, Pair{"LTU", "LT"}, Pair{"LUX", "LU"}, Pair{"LVA", "LV"},
    Pair{"MAC", "MO"}, Pair{"MAF", "MF"}, Pair{"MAR", "MA"}, Pair{"MCO", "MC"}, Pair{"MDA", "MD"},
    Pair{"MDG", "MG"}, Pair{"MDV", "MV"}, Pair{"MEX", "MX"}, Pair{"MHL", "MH"}, Pair{"MKD", "MK"},
    Pair{"MLI", "ML"}, Pair{"MLT", "MT"}, Pair{"MMR", "MM"}, Pair{"MNE", "ME"}, Pair{"MNG", "MN"},
    Pair{"MNP", "MP"}, Pair{"MOZ", "MZ"}, Pair{"MRT", "MR"}, Pair{"MSR", "MS"}, Pair{"MTQ", "MQ"},
    Pair{"MUS", "MU"}, Pair{"MWI", "MW"}, Pair{"MYS", "MY"}, Pair{"MYT", "YT"}, Pair{"NAM", "NA"},
    Pair{"NCL", "NC"}, Pair{"NER", "NE"}, Pair{"NFK", "NF"}, Pair{"NGA", "NG"}, Pair{"NIC", "NI"},
    Pair{"NIU", "NU"}, Pair{"NLD", "NL"}, Pair{"NOR", "NO"}, Pair{"NPL", "NP"}, Pair{"NRU", "NR"},
    Pair{"NZL", "NZ"}, Pair{"OMN", "OM"}, Pair{"PAK", "PK"}, Pair{"PAN", "PA"}, Pair{"PCN", "PN"},
    Pair{"PER", "PE"}, Pair{"PHL", "PH"}, Pair{"PLW", "PW"}, Pair{"PNG", "PG"}, Pair{"POL", "PL"},
    Pair{"PRI", "PR"}, Pair{"PRK", "KP"}, Pair{"PRT", "PT"}, Pair{"PRY", "PY"}, Pair{"PSE", "PS"},
    Pair{"PYF", "PF"}, Pair{"QAT", "QA"}, Pair{"REU", "RE"}, Pair{"ROU", "RO"}, Pair{"RUS", "RU"},
    Pair{"RWA", "RW"}, Pair{"SAU", "SA"}, Pair{"SDN", "SD"}, Pair{"SEN", "SN"}, Pair{"SGP", "SG"},
    Pair{"SGS", "GS"}, Pair{"SHN", "SH"}, Pair{"SJM", "SJ"}, Pair{"SLB", "SB"}, Pair{"SLE", "SL"},
    Pair{"SLV", "SV"}, Pair{"SMR", "SM"}, Pair{"SOM", "SO"}, Pair{"SPM", "PM"}, Pair{"SRB", "RS"},
    Pair{"SSD", "SS"}, Pair{"STP", "ST"}, Pair{"SUR", "SR"}, Pair{"SVK", "SK"}, Pair{"SVN", "SI"},
    Pair{"SWE", "SE"}, Pair{"SWZ", "SZ"}, Pair{"SXM", "SX"}, Pair{"SYC", "SC"}, Pair{"SYR", "SY"},
    Pair{"TCA", "TC"}, Pair{"TCD", "TD"}, Pair{"TGO", "TG"}, Pair{"THA", "TH"}, Pair{"TJK", "TJ"},
    Pair{"TKL", "TK"}, Pair{"TKM", "TM"}, Pair{"TLS", "TL"}, Pair{"TON", "TO"}, Pair{"TTO", "TT"},
    Pair{"TUN", "TN"}, Pair{"TUR", "TR"}, Pair{"TUV", "TV"}, Pair{"TWN", "TW"}, Pair{"TZA", "TZ"},
    Pair{"UGA", "UG"}, Pair{"UKR", "UA"}, Pair{"UMI", "UM"}, Pair{"URY", "UY"}, Pair{"USA", "US"},
    Pair{"UZB", "UZ"}, Pair{"VAT", "VA"}, Pair{"VCT", "VC"}, Pair{"VEN", "VE"}, Pair{"VGB", "VG"},
    Pair{"VIR", "VI"}, Pair{"VNM", "VN"}, Pair{"VUT", "VU"}, Pair{"WLF", "WF"}, Pair{"WSM", "WS"},
    Pair{"YEM", "YE"}, Pair{"ZAF", "ZA"}, Pair{"ZMB", "ZM"}, Pair{"ZWE", "ZW"},
};

// ICAO's own codes for states (Doc 9303 part 3, 5), sorted.
constexpr std::array kIcaoStates = {
    Pair{"D", "DE"},   Pair{"GBD", "GB"}, Pair{"GBN", "GB"}, Pair{"GBO", "GB"},
    Pair{"GBP", "GB"}, Pair{"GBS", "GB"}, Pair{"RKS", "XK"},
};

// Nationalities that are no state: kept as printed, sorted.
constexpr std::array<std::string_view, 19> kKept = {
    "EUE", "UNA", "UNK", "UNO", "XBA", "XCC", "XCE", "XCO", "XDC", "XEC",
    "XES", "XIM", "XMP", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX",
};

// Vienna Convention distinguishing signs that are not ISO alpha-2 codes,
// for Europe, its neighbours and the countries whose trucks reach the
// crossings; sorted.
constexpr std::array kPlateSigns = {
    Pair{"A", "AT"},   Pair{"AND", "AD"}, Pair{"ARM", "AM"}, Pair{"AUS", "AU"}, Pair{"B", "BE"},
    Pair{"BIH", "BA"}, Pair{"CDN", "CA"}, Pair{"D", "DE"},   Pair{"E", "ES"},   Pair{"EST", "EE"},
    Pair{"F", "FR"},   Pair{"FIN", "FI"}, Pair{"FL", "LI"},  Pair{"H", "HU"},   Pair{"I", "IT"},
    Pair{"IRL", "IE"}, Pair{"L", "LU"},   Pair{"M", "MT"},   Pair{"MNE", "ME"}, Pair{"N", "NO"},
    Pair{"NMK", "MK"}, Pair{"P", "PT"},   Pair{"RKS", "XK"}, Pair{"RSM", "SM"}, Pair{"RUS", "RU"},
    Pair{"S", "SE"},   Pair{"SLO", "SI"}, Pair{"SRB", "RS"}, Pair{"UK", "GB"},  Pair{"USA", "US"},
    Pair{"V", "VA"},
};

constexpr bool SortedByKey(const auto& table) {
  return std::is_sorted(table.begin(), table.end(),
                        [](const Pair& a, const Pair& b) { return a.first < b.first; });
}
static_assert(SortedByKey(kAlpha3) && SortedByKey(kIcaoStates) && SortedByKey(kPlateSigns));
static_assert(std::is_sorted(kKept.begin(), kKept.end()));

template <typename Array>
std::optional<std::string> Lookup(const Array& table, std::string_view key) {
  auto it = std::lower_bound(table.begin(), table.end(), key,
                             [](const Pair& p, std::string_view k) { return p.first < k; });
  if (it == table.end() || it->first != key) return std::nullopt;
  return std::string(it->second);
}

bool IsKept(std::string_view code) { return std::binary_search(kKept.begin(), kKept.end(), code); }

}  // namespace

std::optional<std::string> NationalityFromDocumentCode(std::string_view code) {
  if (code.size() == 2 && IsCountryCode(code)) return std::string(code);
  if (IsKept(code)) return std::string(code);
  if (auto s = Lookup(kIcaoStates, code)) return s;
  return Lookup(kAlpha3, code);
}

bool IsNationalityCode(std::string_view code) { return IsCountryCode(code) || IsKept(code); }

std::optional<std::string> CountryFromPlateSign(std::string_view sign) {
  if (IsCountryCode(sign)) return std::nullopt;
  return Lookup(kPlateSigns, sign);
}

}  // namespace outpost::schema
