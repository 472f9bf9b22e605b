#include "tests/crypto/test_util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace outpost::crypto::testing {

Bytes Hex(std::string_view hex) {
  auto r = FromHex(hex);
  if (!r.ok()) {
    std::fprintf(stderr, "bad hex fixture: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return *r;
}

void ScriptedRandom::Fill(std::span<uint8_t> out) {
  if (script_.empty()) {
    fallback_.Fill(out);
    return;
  }
  const Bytes& next = script_.front();
  if (next.size() != out.size()) {
    std::fprintf(stderr, "ScriptedRandom: asked for %zu bytes, script has %zu\n", out.size(),
                 next.size());
    std::abort();
  }
  std::memcpy(out.data(), next.data(), out.size());
  script_.pop_front();
}

}  // namespace outpost::crypto::testing
