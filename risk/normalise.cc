#include "risk/normalise.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace outpost::risk {
namespace {

// Base letters for U+0100..U+017F (Latin Extended-A), one entry per code
// point; '~' marks the two-letter cases handled in Fold().
constexpr std::string_view kLatinExtA =
    "AAAAAA"        // 100 Ā ā Ă ă Ą ą
    "CCCCCCCC"      // 106 Ć ć Ĉ ĉ Ċ ċ Č č
    "DD~~"          // 10E Ď ď Đ đ (Đ -> DJ)
    "EEEEEEEEEE"    // 112
    "GGGGGGGG"      // 11C
    "HHHH"          // 124
    "IIIIIIIIII"    // 128 (incl. İ ı)
    "~~"            // 132 Ĳ ĳ
    "JJ"            // 134
    "KKK"           // 136
    "LLLLLLLLLL"    // 139
    "NNNNNNNNN"     // 143
    "OOOOOO"        // 14C
    "~~"            // 152 Œ œ
    "RRRRRR"        // 154
    "SSSSSSSS"      // 15A (incl. Ş ş Š š)
    "TTTTTT"        // 162
    "UUUUUUUUUUUU"  // 168
    "WW"            // 174
    "YYY"           // 176
    "ZZZZZZ"        // 179 (incl. Ž ž)
    "S";            // 17F ſ
static_assert(kLatinExtA.size() == 0x80);

// U+00C0..U+00FF (Latin-1 Supplement letters); '~' = two letters, '_' = drop.
constexpr std::string_view kLatin1 =
    "AAAAAA~CEEEEIIII"   // C0..CF (C6 Æ)
    "DNOOOOO_OUUUUY~~"   // D0..DF (D7 ×, DE Þ, DF ß)
    "AAAAAA~CEEEEIIII"   // E0..EF
    "DNOOOOO_OUUUUY~Y";  // F0..FF (F7 ÷, FE þ)
static_assert(kLatin1.size() == 0x40);

// Cyrillic U+0410..U+042F (and +0x20 for lower case), Serbian Latin spelling.
constexpr std::array<std::string_view, 32> kCyrillic = {
    "A", "B", "V", "G", "D", "E", "Z", "Z", "I", "J", "K", "L", "M", "N", "O",  "P",
    "R", "S", "T", "U", "F", "H", "C", "C", "S", "S", "",  "Y", "",  "E", "JU", "JA"};

// Cyrillic U+0400..U+040F (and +0x50 for lower case): Serbian Latin for
// Ђ Ј Љ Њ Ћ Џ; Macedonian Ѓ Ќ Ѕ as ICAO Doc 9303 part 3 writes them, Ѐ Ѝ
// without their accent; Ё Є І Ї Ў of the other Cyrillic alphabets.
constexpr std::array<std::string_view, 16> kCyrillicExt = {
    "E", "E",  "DJ", "G", "JE", "DZ", "I", "I",    // Ѐ Ё Ђ Ѓ Є Ѕ І Ї
    "J", "LJ", "NJ", "C", "K",  "I",  "U", "DZ"};  // Ј Љ Њ Ћ Ќ Ѝ Ў Џ

std::string_view MapCodePoint(uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xFF) {
    switch (cp) {
      case 0xC6:
      case 0xE6:
        return "AE";
      case 0xDE:
      case 0xFE:
        return "TH";
      case 0xDF:
        return "SS";
      default:
        break;
    }
    char c = kLatin1[cp - 0xC0];
    if (c == '_') return "";
    return std::string_view(&kLatin1[cp - 0xC0], 1);
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    switch (cp) {
      case 0x110:
      case 0x111:
        return "DJ";
      case 0x132:
      case 0x133:
        return "IJ";
      case 0x152:
      case 0x153:
        return "OE";
      default:
        return std::string_view(&kLatinExtA[cp - 0x100], 1);
    }
  }
  switch (cp) {
    case 0x218:
    case 0x219:
      return "S";  // Romanian Ș ș
    case 0x21A:
    case 0x21B:
      return "T";  // Ț ț
    default:
      break;
  }
  if (cp >= 0x400 && cp <= 0x40F) return kCyrillicExt[cp - 0x400];
  if (cp >= 0x450 && cp <= 0x45F) return kCyrillicExt[cp - 0x450];
  if (cp == 0x490 || cp == 0x491) return "G";  // Ґ (Ukrainian)
  if (cp >= 0x410 && cp <= 0x42F) return kCyrillic[cp - 0x410];
  if (cp >= 0x430 && cp <= 0x44F) return kCyrillic[cp - 0x430];
  return {};
}

// Decodes one UTF-8 sequence at s[*i]; returns false (and skips a byte) if malformed.
bool DecodeUtf8(std::string_view s, size_t* i, uint32_t* cp, size_t* len) {
  unsigned char c = s[*i];
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    n = 1;
    v = c;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    v = c & 0x07;
  } else {
    ++*i;
    return false;
  }
  if (*i + n > s.size()) {
    ++*i;
    return false;
  }
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = s[*i + k];
    if ((cc & 0xC0) != 0x80) {
      ++*i;
      return false;
    }
    v = (v << 6) | (cc & 0x3F);
  }
  *cp = v;
  *len = n;
  *i += n;
  return true;
}

bool IsAlnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::vector<std::string> Tokens(std::string_view folded) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : folded) {
    if (c == '\'' || c == '.') continue;
    if (IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string JoinSorted(std::vector<std::string> tokens, std::string_view separator) {
  std::sort(tokens.begin(), tokens.end());
  std::string out;
  for (const auto& t : tokens) {
    if (!out.empty()) out += separator;
    out += t;
  }
  return out;
}

}  // namespace

std::string FoldToAscii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    uint32_t cp;
    size_t len;
    if (!DecodeUtf8(s, &i, &cp, &len)) continue;
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      out.push_back(c);
      continue;
    }
    // Combining marks (U+0300..U+036F: NFD input such as "C" + U+030C, and
    // Montenegrin С́ З́, written with a combining acute) are dropped, so a
    // decomposed letter folds like its precomposed form.
    if (cp >= 0x300 && cp <= 0x36F) continue;
    std::string_view m = MapCodePoint(cp);
    if (!m.empty() || (cp >= 0x400 && cp <= 0x45F) || cp == 0xD7 || cp == 0xF7) {
      out.append(m);
    } else {
      out.append(s.substr(start, len));  // unknown script: keep as is
    }
  }
  return out;
}

std::string NormaliseName(std::string_view name) {
  std::vector<std::string> tokens = Tokens(FoldToAscii(name));
  // Đ is written DJ, D (ICAO Doc 9303 part 3 transliterates Ђ as D) or Đ:
  // in names DJ is D, so the three spellings compare equal.
  for (auto& t : tokens) {
    size_t out = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      t[out++] = t[i];
      if (t[i] == 'D' && i + 1 < t.size() && t[i + 1] == 'J') ++i;
    }
    t.resize(out);
  }
  return JoinSorted(std::move(tokens), " ");
}

std::string NormaliseCompany(std::string_view name) {
  static constexpr std::string_view kLegalForms[] = {
      "AD",  "AG", "AS",  "BV",  "CO", "CORP", "DD",  "DOO",  "GMBH", "INC", "KG",  "LLC",
      "LTD", "NV", "OOD", "PLC", "SA", "SH",   "SHA", "SHPK", "SPA",  "SRL", "ZOO", "LIMITED"};
  std::vector<std::string> tokens = Tokens(FoldToAscii(name));
  std::vector<std::string> kept;
  for (auto& t : tokens) {
    bool legal = false;
    for (auto f : kLegalForms) legal = legal || t == f;
    if (!legal) kept.push_back(std::move(t));
  }
  return JoinSorted(std::move(kept), "");
}

std::string NormalisePlate(std::string_view plate) {
  std::string out;
  for (char c : FoldToAscii(plate)) {
    if (IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80) out.push_back(c);
  }
  return out;
}

std::string NormaliseHs(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

std::string NormaliseCountry(std::string_view code) {
  std::string out;
  for (char c : FoldToAscii(code)) {
    if (c != ' ' && c != '\t') out.push_back(c);
  }
  return out;
}

namespace {

// Jaro-Winkler for strings of at most 64 bytes, with bit masks instead of
// flag arrays: the same greedy matching (each character of a takes the first
// unmatched equal character of b in its window) and so the same result as
// the general loop, without clearing 512 bytes of flags per call.
double JaroWinklerShort(std::string_view a, std::string_view b) {
  const size_t la = a.size(), lb = b.size();  // la <= lb <= 64
  const size_t window = lb / 2 > 0 ? lb / 2 - 1 : 0;
  uint64_t pos[256];  // pos[c]: bit j set if b[j] == c; only entries of a's and b's bytes are read
  for (unsigned char c : a) pos[c] = 0;
  for (unsigned char c : b) pos[c] = 0;
  for (size_t j = 0; j < lb; ++j) pos[static_cast<unsigned char>(b[j])] |= uint64_t{1} << j;
  uint64_t ma = 0, mb = 0;
  size_t m = 0;
  for (size_t i = 0; i < la; ++i) {
    const size_t lo = i > window ? i - window : 0;
    const size_t hi = std::min(lb, i + window + 1);
    const uint64_t range =
        (hi >= 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1) & ~((uint64_t{1} << lo) - 1);
    const uint64_t cand = pos[static_cast<unsigned char>(a[i])] & ~mb & range;
    if (cand != 0) {
      mb |= cand & (~cand + 1);
      ma |= uint64_t{1} << i;
      ++m;
    }
  }
  if (m == 0) return 0.0;
  size_t t = 0;
  for (uint64_t x = ma, y = mb; x != 0; x &= x - 1, y &= y - 1) {
    if (a[std::countr_zero(x)] != b[std::countr_zero(y)]) ++t;
  }
  double md = static_cast<double>(m);
  double jaro = (md / la + md / lb + (md - t / 2.0) / md) / 3.0;
  size_t prefix = 0;
  while (prefix < 4 && prefix < la && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

}  // namespace

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() <= 64) return JaroWinklerShort(a, b);
  // Names and plates are short; fixed buffers avoid allocation in the hot path.
  constexpr size_t kMax = 256;
  if (b.size() > kMax) b = b.substr(0, kMax);
  if (a.size() > kMax) a = a.substr(0, kMax);
  const size_t la = a.size(), lb = b.size();
  const size_t window = lb / 2 > 0 ? lb / 2 - 1 : 0;
  bool ma[kMax] = {}, mb[kMax] = {};
  size_t m = 0;
  for (size_t i = 0; i < la; ++i) {
    size_t lo = i > window ? i - window : 0;
    size_t hi = std::min(lb, i + window + 1);
    for (size_t j = lo; j < hi; ++j) {
      if (!mb[j] && a[i] == b[j]) {
        ma[i] = mb[j] = true;
        ++m;
        break;
      }
    }
  }
  if (m == 0) return 0.0;
  size_t t = 0;
  for (size_t i = 0, j = 0; i < la; ++i) {
    if (!ma[i]) continue;
    while (!mb[j]) ++j;
    if (a[i] != b[j]) ++t;
    ++j;
  }
  double md = static_cast<double>(m);
  double jaro = (md / la + md / lb + (md - t / 2.0) / md) / 3.0;
  size_t prefix = 0;
  while (prefix < 4 && prefix < la && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

}  // namespace outpost::risk
