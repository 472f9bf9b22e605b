// Time and randomness are passed in, never global, so tests can hand in a
// clock that jumps or a seeded random source.
#ifndef OUTPOST_BASE_CLOCK_H_
#define OUTPOST_BASE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

namespace outpost {

// Wall clock in microseconds since the Unix epoch (UTC). May jump either way.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() override;
};

// A clock tests set and move by hand. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_micros) : now_(start_micros) {}
  int64_t NowMicros() override { return now_.load(); }
  void Set(int64_t micros) { now_.store(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

// Source of random bytes.
class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint64_t Next64();
};

// libsodium's CSPRNG.
class SystemRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// Deterministic (splitmix64) for tests and the traffic simulator. Not for keys.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

// "2026-11-28T10:33:23.123456Z" <-> microseconds since the epoch.
std::string FormatUtcMicros(int64_t micros);
// Accepts RFC 3339 in UTC only ("Z" or "+00:00"), with optional fraction.
bool ParseUtcMicros(std::string_view text, int64_t* micros);

}  // namespace outpost

#endif  // OUTPOST_BASE_CLOCK_H_
