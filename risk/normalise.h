// Normalisation of names, companies, plates and codes for list and watchlist
// matching, and the Jaro-Winkler similarity used for fuzzy matches.
//
// All functions are pure and thread-safe. Output is ASCII upper case for the
// Latin scripts of the region and Serbian/Macedonian Cyrillic; other code
// points are kept as their UTF-8 bytes, malformed UTF-8 bytes are dropped.
#ifndef OUTPOST_RISK_NORMALISE_H_
#define OUTPOST_RISK_NORMALISE_H_

#include <string>
#include <string_view>

namespace outpost::risk {

// Upper case, diacritics stripped ("Petrović" -> "PETROVIC", "Đorđe" ->
// "DJORDJE", "Ökçë" -> "OKCE"), combining marks (U+0300..U+036F) dropped, so
// NFD input folds like NFC ("C" U+030C -> "C"), Cyrillic transliterated as
// the Serbian Latin alphabet writes it ("Марко" -> "MARKO", "Ђ" -> "DJ",
// "Ћ" "Ч" -> "C", "Џ" -> "DZ"; Macedonian Ѓ Ќ -> G K as ICAO Doc 9303 does).
std::string FoldToAscii(std::string_view utf8);

// Person name: folded, split into tokens on anything but letters and digits
// (apostrophes and dots are deleted, not separators), DJ written D in each
// token (so "Đorđe", "Djordje", "Dorde" and "Ђорђе" are all "DORDE"),
// tokens sorted and separated by one space (risk/name_tokens.h matches them
// token by token), so "Petrović Marko", "MARKO PETROVIC" and
// "Petrovic-Marko" all give "MARKO PETROVIC".
std::string NormaliseName(std::string_view name);

// Company name: folded, tokens as for NormaliseName (without the DJ rule),
// legal-form tokens (DOO, LTD, GMBH, SHPK, ...) dropped, the rest sorted and
// concatenated: "Bosna Trade d.o.o." -> "BOSNATRADE".
std::string NormaliseCompany(std::string_view name);

// Plate: folded, letters and digits only: "SA-123 BC" -> "SA123BC".
std::string NormalisePlate(std::string_view plate);

// HS / commodity code: digits only: "2402.20" -> "240220".
std::string NormaliseHs(std::string_view code);

// Country code: folded and trimmed: " tr" -> "TR".
std::string NormaliseCountry(std::string_view code);

// Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4) over bytes.
double JaroWinkler(std::string_view a, std::string_view b);

}  // namespace outpost::risk

#endif  // OUTPOST_RISK_NORMALISE_H_
