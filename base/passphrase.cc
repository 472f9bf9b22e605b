// base/passphrase.h: the strength rule for new passphrases and passwords.
#include "base/passphrase.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace outpost {

double EstimatePassphraseBits(std::string_view p) {
  bool lower = false, upper = false, digit = false, space = false, punct = false, other = false;
  std::set<unsigned char> distinct;
  for (unsigned char c : p) {
    distinct.insert(c);
    if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == ' ') {
      space = true;
    } else if (c < 0x80) {
      punct = true;
    } else {
      other = true;
    }
  }
  double pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (space ? 1 : 0) +
                (punct ? 32 : 0) + (other ? 64 : 0);
  if (pool < 2) return 0;
  const double per = std::log2(pool);
  double bits = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    int step = i > 0 ? static_cast<unsigned char>(p[i]) - static_cast<unsigned char>(p[i - 1]) : 99;
    bool weak =
        step == 0 ||
        (i > 1 && (step == 1 || step == -1) &&
         static_cast<unsigned char>(p[i - 1]) - static_cast<unsigned char>(p[i - 2]) == step);
    bits += weak ? 1 : per;
  }
  return std::min(bits, 1.5 * per * static_cast<double>(distinct.size()));
}

Status CheckPassphraseStrength(std::string_view p) {
  double bits = EstimatePassphraseBits(p);
  if (p.size() >= kMinPassphraseChars && bits >= kMinPassphraseBits) return Status::Ok();
  return Status::InvalidArgument(
      "passphrase: too weak (" + std::to_string(p.size()) + " characters, about " +
      std::to_string(static_cast<int>(bits)) + " bits by Outpost's estimate); a new passphrase " +
      "needs at least " + std::to_string(kMinPassphraseChars) + " characters and " +
      std::to_string(static_cast<int>(kMinPassphraseBits)) +
      " bits: use four or five random words, e.g. \"correct horse battery staple\"");
}

}  // namespace outpost
