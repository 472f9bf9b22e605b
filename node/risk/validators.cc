#include "node/risk/validators.h"

#include <string>

namespace outpost::risk {
namespace {

int LetterValue(char c) {
  if (c < 'A' || c > 'Z') return -1;
  int v = 10;
  for (char l = 'A';; ++l) {
    if (v % 11 == 0) ++v;
    if (l == c) return v;
    ++v;
  }
}

}  // namespace

int Iso6346CheckDigit(std::string_view s) {
  if (s.size() != 10) return -1;
  int sum = 0;
  for (int i = 0; i < 10; ++i) {
    char c = s[i];
    int v;
    if (i < 4) {
      v = LetterValue(c);
      if (v < 0) return -1;
      if (i == 3 && c != 'U' && c != 'J' && c != 'Z') return -1;
    } else {
      if (c < '0' || c > '9') return -1;
      v = c - '0';
    }
    sum += v << i;
  }
  return sum % 11 % 10;
}

bool ValidIso6346(std::string_view number) {
  std::string s;
  for (char c : number) {
    if (c == ' ' || c == '-') continue;
    s.push_back(c);
    if (s.size() > 11) return false;
  }
  if (s.size() != 11 || s[10] < '0' || s[10] > '9') return false;
  int d = Iso6346CheckDigit(std::string_view(s).substr(0, 10));
  return d >= 0 && d == s[10] - '0';
}

bool ValidVin(std::string_view vin) {
  if (vin.size() != 17) return false;
  for (char c : vin) {
    bool digit = c >= '0' && c <= '9';
    bool letter = c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'Q';
    if (!digit && !letter) return false;
  }
  return true;
}

uint64_t StableHash64(std::string_view data, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

}  // namespace outpost::risk
