#include "risk/validators.h"

#include "schema/codes.h"

namespace outpost::risk {

bool ValidIso6346(std::string_view number) {
  char s[11];
  size_t n = 0;
  for (char c : number) {
    if (c == ' ' || c == '-') continue;
    if (n == sizeof s) return false;
    s[n++] = c;
  }
  const std::string_view v(s, n);
  return schema::IsContainerNumber(v) || schema::IsIluCode(v);
}

bool ValidVin(std::string_view vin) { return schema::IsVin(vin); }

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
