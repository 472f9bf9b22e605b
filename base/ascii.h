// ASCII character classes that do not depend on the locale (std::isdigit
// does, and is undefined for a negative char). For codes and identifiers,
// which are ASCII by rule.
#ifndef OUTPOST_BASE_ASCII_H_
#define OUTPOST_BASE_ASCII_H_

namespace outpost {

inline constexpr bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace outpost

#endif  // OUTPOST_BASE_ASCII_H_
