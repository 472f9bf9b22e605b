#include "risk/lexer.h"

#include <charconv>

#include "base/clock.h"

namespace outpost::risk::internal {
namespace {

bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.' || c == '-'; }

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF):
// ruleset strings end up in assessments, which are serialised as JSON.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n;
    uint32_t min, cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else
      return false;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

Status ErrorAt(int line, int col, std::string_view msg) {
  return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) + ": " +
                                 std::string(msg));
}

}  // namespace

Result<std::vector<Token>> Lex(std::string_view src) {
  std::vector<Token> out;
  size_t i = 0;
  int line = 1;
  size_t line_start = 0;
  auto col_of = [&](size_t pos) { return static_cast<int>(pos - line_start) + 1; };
  while (true) {
    while (i < src.size()) {
      char c = src[i];
      if (c == '\n') {
        ++line;
        line_start = ++i;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
      } else if (c == '#') {
        while (i < src.size() && src[i] != '\n') ++i;
      } else {
        break;
      }
    }
    Token t;
    t.line = line;
    t.col = col_of(i);
    if (i >= src.size()) {
      out.push_back(std::move(t));
      return out;
    }
    const size_t start = i;
    char c = src[i];
    char next = i + 1 < src.size() ? src[i + 1] : '\0';
    if (IsIdentStart(c)) {
      while (i < src.size() && IsIdentChar(src[i])) ++i;
      t.kind = Tok::kIdent;
      t.text = std::string(src.substr(start, i - start));
    } else if (c == '"') {
      ++i;
      t.kind = Tok::kString;
      while (true) {
        if (i >= src.size() || src[i] == '\n') return ErrorAt(t.line, t.col, "unterminated string");
        char s = src[i++];
        if (s == '"') break;
        if (s == '\\') {
          if (i >= src.size()) return ErrorAt(t.line, t.col, "unterminated string");
          char e = src[i++];
          if (e == 'n')
            t.text.push_back('\n');
          else if (e == '"' || e == '\\')
            t.text.push_back(e);
          else
            return ErrorAt(line, col_of(i - 2), std::string("unknown escape \\") + e);
        } else {
          t.text.push_back(s);
        }
      }
      if (!IsValidUtf8(t.text)) return ErrorAt(t.line, t.col, "string is not valid UTF-8");
    } else if (IsDigit(c) || (c == '-' && IsDigit(next))) {
      if (c == '-') ++i;
      while (i < src.size() && IsDigit(src[i])) ++i;
      const bool date =
          i - start == 4 && c != '-' && i + 1 < src.size() && src[i] == '-' && IsDigit(src[i + 1]);
      if (date) {
        while (i < src.size() &&
               (IsDigit(src[i]) || src[i] == '-' || src[i] == ':' || src[i] == 'T' ||
                src[i] == 'Z' || src[i] == '.' || src[i] == '+')) {
          ++i;
        }
        std::string text(src.substr(start, i - start));
        std::string full = text.size() == 10 ? text + "T00:00:00Z" : text;
        t.kind = Tok::kTime;
        t.text = text;
        if (!ParseUtcMicros(full, &t.micros)) {
          return ErrorAt(
              t.line, t.col,
              "bad date/time \"" + text + "\" (want 2026-01-31 or 2026-01-31T10:00:00Z)");
        }
      } else {
        if (i + 1 < src.size() && src[i] == '.' && IsDigit(src[i + 1])) {
          ++i;
          while (i < src.size() && IsDigit(src[i])) ++i;
        }
        t.text = std::string(src.substr(start, i - start));
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
        if (ec != std::errc() || p != t.text.data() + t.text.size()) {
          return ErrorAt(t.line, t.col, "bad number \"" + t.text + "\"");
        }
        t.kind = Tok::kNumber;
        if (i < src.size() && IsIdentStart(src[i])) {
          char u = src[i];
          bool alone = i + 1 >= src.size() || !IsIdentChar(src[i + 1]);
          int64_t unit = u == 'd'   ? 86400000000LL
                         : u == 'h' ? 3600000000LL
                         : u == 'm' ? 60000000LL
                         : u == 's' ? 1000000LL
                                    : 0;
          if (unit == 0 || !alone || t.number < 0 || t.number > 36500) {
            return ErrorAt(t.line, t.col,
                           "bad number or duration \"" +
                               std::string(src.substr(start, i + 1 - start)) +
                               "\" (durations: 30d, 12h, 15m, 90s)");
          }
          ++i;
          t.kind = Tok::kDuration;
          t.micros = static_cast<int64_t>(t.number * static_cast<double>(unit));
          t.text = std::string(src.substr(start, i - start));
        }
      }
    } else {
      ++i;
      switch (c) {
        case '(':
          t.kind = Tok::kLParen;
          break;
        case ')':
          t.kind = Tok::kRParen;
          break;
        case '{':
          t.kind = Tok::kLBrace;
          break;
        case '}':
          t.kind = Tok::kRBrace;
          break;
        case ',':
          t.kind = Tok::kComma;
          break;
        case ':':
          t.kind = Tok::kColon;
          break;
        case '=':
          t.kind = Tok::kEq;
          if (next == '=') ++i;
          break;
        case '!':
          if (next != '=') return ErrorAt(t.line, t.col, "unexpected '!' (use != or not)");
          ++i;
          t.kind = Tok::kNe;
          break;
        case '<':
          t.kind = next == '=' ? Tok::kLe : Tok::kLt;
          if (next == '=') ++i;
          break;
        case '>':
          t.kind = next == '=' ? Tok::kGe : Tok::kGt;
          if (next == '=') ++i;
          break;
        case '+':
          t.kind = Tok::kPlus;
          break;
        case '-':
          t.kind = Tok::kMinus;
          break;
        case '*':
          t.kind = Tok::kStar;
          break;
        case '/':
          t.kind = Tok::kSlash;
          break;
        default: {
          unsigned char uc = static_cast<unsigned char>(c);
          std::string shown = uc >= 0x20 && uc < 0x7f ? std::string(1, c) : "\\x" + [&] {
            const char* hex = "0123456789abcdef";
            return std::string{hex[uc >> 4], hex[uc & 15]};
          }();
          return ErrorAt(t.line, t.col, "unexpected character '" + shown + "'");
        }
      }
      t.text = std::string(src.substr(start, i - start));
    }
    out.push_back(std::move(t));
  }
}

}  // namespace outpost::risk::internal
