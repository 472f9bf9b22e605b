// Country codes as travel documents and number plates write them, mapped to
// the code a record stores (ISO 3166-1 alpha-2, XK for Kosovo), and the
// nationalities that are no country at all.
//
// Documents (ICAO Doc 9303 part 3, 5): three-letter codes, mostly ISO 3166-1
// alpha-3 ("BIH", "SRB"), with ICAO's own: "D" (Germany), "RKS" (Kosovo),
// "GBD", "GBN", "GBO", "GBP", "GBS" (the categories of British nationals,
// stored GB). Holders with no state's nationality, and organisations that
// issue documents, keep their ICAO code: "XXA" stateless person, "XXB"
// refugee (1951 Convention), "XXC" other refugee, "XXX" unspecified
// nationality, "UNO", "UNA", "UNK" (United Nations), "EUE" (European Union),
// "XPO" (Interpol), "XOM" (Sovereign Military Order of Malta), "XCC", "XCE",
// "XCO", "XEC", "XES", "XIM", "XMP", "XDC", "XBA" (other organisations of
// part 3, 5.3).
//
// Plates: the distinguishing signs of the 1968 Vienna Convention on Road
// Traffic ("BIH", "SRB", "RKS", "MNE", "D", "A", "I", "SLO", "NMK", ...). A
// sign that is also an ISO alpha-2 code keeps its ISO meaning ("ET" is
// Ethiopia, not Egypt's sign): only signs that are not alpha-2 codes map.
//
// Source of the alpha-3 -> alpha-2 table: Debian's iso-codes 4.15.0
// (/usr/share/iso-codes/json/iso_3166-1.json, LGPL-2.1+), 249 entries.
// Thread-safe; pure functions.
#ifndef OUTPOST_SCHEMA_ICAO_CODES_H_
#define OUTPOST_SCHEMA_ICAO_CODES_H_

#include <optional>
#include <string>
#include <string_view>

namespace outpost::schema {

// The stored nationality for a code as a document prints it: the alpha-2
// code of a state, the ICAO code itself for XXA, UNO and the others above,
// or nullopt for a code ICAO does not assign. Accepts an alpha-2 code as it
// is (an officer may type "BA").
std::optional<std::string> NationalityFromDocumentCode(std::string_view code);

// True for a stored nationality: an ISO 3166-1 alpha-2 code, XK, or one of the
// ICAO codes kept as they are (XXA, XXB, XXC, XXX, UNO, ...).
bool IsNationalityCode(std::string_view code);

// The ISO alpha-2 code for a plate's distinguishing sign that is not itself an
// alpha-2 code ("BIH" -> "BA", "D" -> "DE", "RKS" -> "XK"), or nullopt.
std::optional<std::string> CountryFromPlateSign(std::string_view sign);

}  // namespace outpost::schema

#endif  // OUTPOST_SCHEMA_ICAO_CODES_H_
