// Helpers shared by the crypto tests.
#ifndef OUTPOST_TESTS_CRYPTO_TEST_UTIL_H_
#define OUTPOST_TESTS_CRYPTO_TEST_UTIL_H_

#include <cstdint>
#include <deque>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"

namespace outpost::crypto::testing {

// Hex to bytes; the test aborts on bad hex (fixtures are constants).
Bytes Hex(std::string_view hex);

// A Random that hands out queued byte strings in order (one per Fill call,
// sizes must match), then falls back to a seeded source. Lets a test supply
// the exact ephemeral keys of a published test vector.
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::deque<Bytes> script, uint64_t fallback_seed = 1)
      : script_(std::move(script)), fallback_(fallback_seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  std::deque<Bytes> script_;
  SeededRandom fallback_;
};

inline bool HasCode(const Status& s, Code c) { return s.code() == c; }

// A string's bytes, as a message to seal or sign.
inline Bytes Msg(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace outpost::crypto::testing

#endif  // OUTPOST_TESTS_CRYPTO_TEST_UTIL_H_
