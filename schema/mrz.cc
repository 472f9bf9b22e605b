#include "schema/mrz.h"

#include <vector>

#include "schema/validators.h"

namespace outpost::schema {

namespace {

// The line layouts of ICAO 9303 (0-based [begin, end) positions).
//
// TD1 (part 5, 4.2.2)
//   line 1: code 0-2, issuing state 2-5, document number 5-14, check 14,
//           optional data 15-30
//   line 2: birth 0-6, check 6, sex 7, expiry 8-14, check 14,
//           nationality 15-18, optional data 18-29, composite 29
//           (over line 1 5-30, line 2 0-7, 8-15, 18-29)
//   line 3: name 0-30
// TD2, TD3, MRV-B, MRV-A (parts 6, 4, 7):
//   line 1: code 0-2, issuing state 2-5, name 5-end
//   line 2: document number 0-9, check 9, nationality 10-13, birth 13-19,
//           check 19, sex 20, expiry 21-27, check 27, then
//   TD2    optional data 28-35, composite 35 (over 0-10, 13-20, 21-35)
//   TD3    personal number 28-42, check 42, composite 43 (over 0-10, 13-20, 21-43)
//   MRV    optional data 28-end; no composite
struct Field {
  size_t begin;
  size_t end;
};

std::string_view Cut(std::string_view line, Field f) {
  return line.substr(f.begin, f.end - f.begin);
}

std::string Quote(std::string_view s) { return QuoteForMessage(s); }

Status Refuse(std::string_view path, int line, const std::string& what) {
  std::string m(path);
  m += ": ";
  if (line > 0) m += "line " + std::to_string(line) + ": ";
  m += what;
  return Status::InvalidArgument(m);
}

// The field without fillers at its end; "<" inside (between words) stays.
std::string_view TrimFillers(std::string_view s) {
  while (!s.empty() && s.back() == '<') s.remove_suffix(1);
  return s;
}

// Fillers inside a name read as spaces: "ANNA<MARIA" -> "ANNA MARIA".
std::string NameText(std::string_view s) {
  std::string out(TrimFillers(s));
  for (char& c : out) {
    if (c == '<') c = ' ';
  }
  return out;
}

// The zone's lines: whitespace separates them; one run of 90, 72 or 88
// characters is cut at its format's line length.
Result<std::vector<std::string_view>> SplitLines(std::string_view path, std::string_view zone) {
  std::vector<std::string_view> lines;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < zone.size()) {
    while (i < zone.size() && space(zone[i])) ++i;
    size_t j = i;
    while (j < zone.size() && !space(zone[j])) ++j;
    if (j > i) lines.push_back(zone.substr(i, j - i));
    i = j;
  }
  if (lines.empty()) return Refuse(path, 0, "is empty; an MRZ has 2 or 3 lines");
  if (lines.size() == 1) {
    const size_t n = lines[0].size();
    const size_t width = n == 90 ? 30 : n == 72 ? 36 : n == 88 ? 44 : 0;
    if (width != 0) {
      std::string_view all = lines[0];
      lines.clear();
      for (size_t k = 0; k < n; k += width) lines.push_back(all.substr(k, width));
    }
  }
  return lines;
}

Result<MrzFormat> FormatOf(std::string_view path, const std::vector<std::string_view>& lines) {
  std::string shape;
  for (auto l : lines) shape += (shape.empty() ? "" : "+") + std::to_string(l.size());
  auto all = [&](size_t count, size_t width) {
    if (lines.size() != count) return false;
    for (auto l : lines) {
      if (l.size() != width) return false;
    }
    return true;
  };
  const char code = lines[0].empty() ? '\0' : lines[0][0];
  if (all(3, 30)) return MrzFormat::kTd1;
  if (all(2, 36)) return code == 'V' ? MrzFormat::kMrvB : MrzFormat::kTd2;
  if (all(2, 44)) {
    if (code == 'P') return MrzFormat::kTd3;
    if (code == 'V') return MrzFormat::kMrvA;
    return Refuse(path, 1,
                  "a zone of 2 lines of 44 is a passport (P) or a visa (V); it starts with " +
                      Quote(lines[0].substr(0, 1)));
  }
  return Refuse(path, 0,
                "has lines of " + shape +
                    " characters; an MRZ has 3 lines of 30 (TD1), 2 of 36 (TD2, MRV-B) or "
                    "2 of 44 (TD3, MRV-A)");
}

Status CheckCharacters(std::string_view path, const std::vector<std::string_view>& lines) {
  for (size_t l = 0; l < lines.size(); ++l) {
    for (size_t p = 0; p < lines[l].size(); ++p) {
      const char c = lines[l][p];
      if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<') continue;
      std::string rule = "position " + std::to_string(p + 1) + " holds " +
                         Quote(lines[l].substr(p, 1)) + "; an MRZ holds only A-Z, 0-9 and <";
      if (c >= 'a' && c <= 'z') rule += " (upper case)";
      return Refuse(path, static_cast<int>(l + 1), rule);
    }
  }
  return Status::Ok();
}

// Verifies `digit` against the check digit of `value`.
Status VerifyCheck(std::string_view path, int line, std::string_view what, std::string_view value,
                   char digit) {
  const int expected = MrzCheckDigit(value);
  if (digit == '0' + expected) return Status::Ok();
  return Refuse(path, line,
                "the check digit of the " + std::string(what) + " " + Quote(value) + " is " +
                    Quote(std::string_view(&digit, 1)) + "; ICAO 9303 gives " +
                    std::to_string(expected));
}

int TwoDigits(std::string_view s) { return (s[0] - '0') * 10 + (s[1] - '0'); }
bool AreDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysIn(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1] + (month == 2 && IsLeapYear(year));
}
std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  return std::string(width - std::min<int>(width, static_cast<int>(s.size())), '0') + s;
}

enum class DateKind { kBirth, kExpiry };

// YYMMDD -> "YYYY-MM-DD"; a birth date may have "<<" for an unknown day, or
// month and day, and is then kept partial.
Result<std::string> ReadDate(std::string_view path, int line, DateKind kind, std::string_view v,
                             CivilDate today) {
  const char* what = kind == DateKind::kBirth ? "date of birth" : "date of expiry";
  auto refuse = [&](const std::string& rule) {
    return Refuse(path, line, std::string("the ") + what + " " + Quote(v) + " " + rule);
  };
  const bool no_day = kind == DateKind::kBirth && v.substr(4) == "<<";
  const bool no_month = no_day && v.substr(2, 2) == "<<";
  if (!AreDigits(v.substr(0, 2)) || (!no_month && !AreDigits(v.substr(2, 2))) ||
      (!no_day && !AreDigits(v.substr(4)))) {
    return refuse("is not a date (YYMMDD)");
  }
  const int yy = TwoDigits(v);
  const int m = no_month ? 0 : TwoDigits(v.substr(2));
  const int d = no_day ? 0 : TwoDigits(v.substr(4));
  if (!no_month && (m < 1 || m > 12)) return refuse("is not a date (month 01-12)");
  int year = 2000 + yy;
  if (kind == DateKind::kBirth) {
    const bool after =
        year > today.year ||
        (year == today.year && (m > today.month || (m == today.month && d > today.day)));
    if (after) year -= 100;
  } else if (year > today.year + 50) {
    year -= 100;
  }
  if (!no_day && (d < 1 || d > DaysIn(year, m))) {
    return refuse("is not a date (no such day in that month)");
  }
  std::string out = Pad(year, 4);
  if (!no_month) out += "-" + Pad(m, 2);
  if (!no_day) out += "-" + Pad(d, 2);
  return out;
}

Result<std::string> ReadSex(std::string_view path, int line, char c) {
  if (c == 'M' || c == 'F') return std::string(1, c);
  if (c == '<' || c == 'X') return std::string("X");
  return Refuse(
      path, line,
      "the sex " + Quote(std::string_view(&c, 1)) + " is not one of M, F, < (unspecified)");
}

// An issuing state or nationality: 1-3 letters, padded with fillers.
Result<std::string> ReadState(std::string_view path, int line, std::string_view what,
                              std::string_view v) {
  std::string_view code = TrimFillers(v);
  bool letters = !code.empty();
  for (char c : code) letters = letters && c >= 'A' && c <= 'Z';
  if (!letters) {
    return Refuse(path, line,
                  "the " + std::string(what) + " " + Quote(v) +
                      " is not an ICAO 9303 code (1-3 letters, padded with <)");
  }
  return std::string(code);
}

void ReadName(std::string_view field, MrzDocument* doc) {
  doc->name_truncated = !field.empty() && field.back() != '<';
  const size_t sep = field.find("<<");
  doc->family_name = NameText(field.substr(0, sep));
  doc->given_names = sep == std::string_view::npos ? "" : NameText(field.substr(sep + 2));
}

Status ReadCode(std::string_view path, std::string_view code, MrzFormat format, MrzDocument* doc) {
  const char first = code[0];
  const bool ok = (format == MrzFormat::kTd3 && first == 'P') ||
                  ((format == MrzFormat::kMrvA || format == MrzFormat::kMrvB) && first == 'V') ||
                  ((format == MrzFormat::kTd1 || format == MrzFormat::kTd2) &&
                   (first == 'I' || first == 'A' || first == 'C'));
  if (!ok) {
    return Refuse(path, 1,
                  "the document code " + Quote(code) + " does not start with the letter a " +
                      MrzFormatName(format) + " document has (" +
                      (format == MrzFormat::kTd3   ? "P"
                       : format == MrzFormat::kTd1 ? "I, A or C"
                       : format == MrzFormat::kTd2 ? "I, A or C"
                                                   : "V") +
                      ")");
  }
  doc->document_code = std::string(TrimFillers(code));
  return Status::Ok();
}

// The document number with its check digit; a long number (check position
// "<") continues in `optional`, which is advanced past it.
Status ReadDocumentNumber(std::string_view path, int line, std::string_view number, char check,
                          std::string_view* optional, MrzDocument* doc) {
  if (check == '<' && optional != nullptr && !optional->empty() && optional->front() != '<') {
    std::string_view rest = *optional;
    const size_t end = std::min(rest.find('<'), rest.size());
    std::string_view ext = rest.substr(0, end);
    std::string full = std::string(number) + std::string(ext.substr(0, ext.size() - 1));
    *optional = rest.substr(end);
    OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, line, "document number", full, ext.back()));
    doc->document_number = std::move(full);
    return Status::Ok();
  }
  OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, line, "document number", number, check));
  std::string n;
  for (char c : number) {
    if (c != '<') n += c;
  }
  doc->document_number = std::move(n);
  return Status::Ok();
}

// Birth, sex, expiry as laid out from `at` (TD1 line 2 at 0; the others at 13).
Status ReadDatesAndSex(std::string_view path, int line, std::string_view l, size_t at,
                       CivilDate today, MrzDocument* doc) {
  std::string_view birth = l.substr(at, 6);
  OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, line, "date of birth", birth, l[at + 6]));
  OUTPOST_ASSIGN_OR_RETURN(doc->date_of_birth,
                           ReadDate(path, line, DateKind::kBirth, birth, today));
  OUTPOST_ASSIGN_OR_RETURN(doc->sex, ReadSex(path, line, l[at + 7]));
  std::string_view expiry = l.substr(at + 8, 6);
  OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, line, "date of expiry", expiry, l[at + 14]));
  OUTPOST_ASSIGN_OR_RETURN(doc->date_of_expiry,
                           ReadDate(path, line, DateKind::kExpiry, expiry, today));
  return Status::Ok();
}

Result<MrzDocument> ReadTd1(std::string_view path, const std::vector<std::string_view>& lines,
                            CivilDate today) {
  MrzDocument doc;
  doc.format = MrzFormat::kTd1;
  std::string_view l1 = lines[0], l2 = lines[1];
  OUTPOST_RETURN_IF_ERROR(ReadCode(path, Cut(l1, {0, 2}), doc.format, &doc));
  OUTPOST_ASSIGN_OR_RETURN(doc.issuing_state, ReadState(path, 1, "issuing state", Cut(l1, {2, 5})));
  std::string_view optional1 = Cut(l1, {15, 30});
  OUTPOST_RETURN_IF_ERROR(ReadDocumentNumber(path, 1, Cut(l1, {5, 14}), l1[14], &optional1, &doc));
  OUTPOST_RETURN_IF_ERROR(ReadDatesAndSex(path, 2, l2, 0, today, &doc));
  OUTPOST_ASSIGN_OR_RETURN(doc.nationality, ReadState(path, 2, "nationality", Cut(l2, {15, 18})));
  const std::string composite = std::string(Cut(l1, {5, 30})) + std::string(Cut(l2, {0, 7})) +
                                std::string(Cut(l2, {8, 15})) + std::string(Cut(l2, {18, 29}));
  OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, 2, "composite", composite, l2[29]));
  doc.optional_data = NameText(TrimFillers(optional1));
  const std::string optional2 = NameText(Cut(l2, {18, 29}));
  if (!optional2.empty()) doc.optional_data += (doc.optional_data.empty() ? "" : " ") + optional2;
  ReadName(lines[2], &doc);
  return doc;
}

// TD2, TD3, MRV-A and MRV-B: one layout up to position 28 of line 2.
Result<MrzDocument> ReadTwoLine(std::string_view path, MrzFormat format,
                                const std::vector<std::string_view>& lines, CivilDate today) {
  MrzDocument doc;
  doc.format = format;
  std::string_view l1 = lines[0], l2 = lines[1];
  const size_t width = l2.size();
  OUTPOST_RETURN_IF_ERROR(ReadCode(path, Cut(l1, {0, 2}), format, &doc));
  OUTPOST_ASSIGN_OR_RETURN(doc.issuing_state, ReadState(path, 1, "issuing state", Cut(l1, {2, 5})));
  ReadName(l1.substr(5), &doc);
  const bool composite = format == MrzFormat::kTd2 || format == MrzFormat::kTd3;
  const size_t optional_end = format == MrzFormat::kTd3 ? 42 : composite ? width - 1 : width;
  std::string_view optional = Cut(l2, {28, optional_end});
  std::string_view* long_number = format == MrzFormat::kTd2 ? &optional : nullptr;
  OUTPOST_RETURN_IF_ERROR(ReadDocumentNumber(path, 2, Cut(l2, {0, 9}), l2[9], long_number, &doc));
  OUTPOST_ASSIGN_OR_RETURN(doc.nationality, ReadState(path, 2, "nationality", Cut(l2, {10, 13})));
  OUTPOST_RETURN_IF_ERROR(ReadDatesAndSex(path, 2, l2, 13, today, &doc));
  if (format == MrzFormat::kTd3) {
    std::string_view personal = Cut(l2, {28, 42});
    const bool empty = TrimFillers(personal).empty() && (l2[42] == '<' || l2[42] == '0');
    if (!empty) OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, 2, "optional data", personal, l2[42]));
  }
  if (composite) {
    const std::string over = std::string(Cut(l2, {0, 10})) + std::string(Cut(l2, {13, 20})) +
                             std::string(Cut(l2, {21, width - 1}));
    OUTPOST_RETURN_IF_ERROR(VerifyCheck(path, 2, "composite", over, l2[width - 1]));
  }
  doc.optional_data = NameText(TrimFillers(optional));
  return doc;
}

}  // namespace

const char* MrzFormatName(MrzFormat format) {
  switch (format) {
    case MrzFormat::kTd1:
      return "TD1";
    case MrzFormat::kTd2:
      return "TD2";
    case MrzFormat::kTd3:
      return "TD3";
    case MrzFormat::kMrvA:
      return "MRV-A";
    case MrzFormat::kMrvB:
      return "MRV-B";
  }
  return "?";
}

int MrzCheckDigit(std::string_view field) {
  static constexpr int kWeights[3] = {7, 3, 1};
  int sum = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      v = c - 'A' + 10;
    } else if (c == '<') {
      v = 0;
    } else {
      return -1;
    }
    sum += v * kWeights[i % 3];
  }
  return sum % 10;
}

Result<MrzDocument> ParseMrz(std::string_view path, std::string_view zone, CivilDate today) {
  OUTPOST_ASSIGN_OR_RETURN(auto lines, SplitLines(path, zone));
  OUTPOST_ASSIGN_OR_RETURN(MrzFormat format, FormatOf(path, lines));
  OUTPOST_RETURN_IF_ERROR(CheckCharacters(path, lines));
  if (format == MrzFormat::kTd1) return ReadTd1(path, lines, today);
  return ReadTwoLine(path, format, lines, today);
}

}  // namespace outpost::schema
