// Tokens of the rule language (see docs/rules.md). Internal to risk/.
#ifndef OUTPOST_RISK_LEXER_H_
#define OUTPOST_RISK_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace outpost::risk::internal {

enum class Tok {
  kEnd,       // end of input
  kIdent,     // words, rule ids and dotted paths: [A-Za-z_][A-Za-z0-9_.-]*
  kString,    // "..." with \" \\ \n escapes, text holds the decoded value
  kNumber,    // 12, -3, 0.85
  kTime,      // 2026-01-01 or 2026-01-01T10:00:00Z, micros holds the value
  kDuration,  // 30d 12h 15m 90s, micros holds the value
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kComma,
  kColon,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,  // '-' not followed by a digit ("-3" is a number; see ParseSum)
  kStar,
  kSlash,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier or decoded string; source text otherwise
  double number = 0;
  int64_t micros = 0;
  int line = 1, col = 1;  // 1-based; col counts bytes
};

// Splits `src` into tokens, ending with one kEnd. Errors are kInvalidArgument
// with a "line:col: message" text.
Result<std::vector<Token>> Lex(std::string_view src);

}  // namespace outpost::risk::internal

#endif  // OUTPOST_RISK_LEXER_H_
