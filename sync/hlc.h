// Hybrid logical clock (Kulkarni et al. 2014), 64 bits:
//   bits 63..16  physical time, Unix milliseconds (good until year 10889)
//   bits 15..0   logical counter, for events within one millisecond
//
// Invariants:
//  1. Now() is strictly increasing for the life of the clock, whatever the
//     wall clock does (a wall clock that jumps back only freezes the physical
//     part; the counter carries on, overflowing into the physical part).
//  2. After Observe(r) succeeds, every later Now() > r.
//  3. Observe refuses (kUnavailable) a remote stamp whose physical part is
//     more than max_skew ahead of our wall clock, and leaves the clock as it
//     was: one node with a clock set in the future cannot drag every node's
//     clock forward, and its changes wait until the receivers' clocks reach
//     them (docs/crdt.md, "Clock skew").
//
// Not thread-safe: owned by the Replica, which one thread uses at a time.
#ifndef OUTPOST_SYNC_HLC_H_
#define OUTPOST_SYNC_HLC_H_

#include <cstdint>

#include "base/clock.h"
#include "base/status.h"

namespace outpost::sync {

using HlcTime = uint64_t;

inline int64_t HlcPhysicalMillis(HlcTime t) { return static_cast<int64_t>(t >> 16); }
inline HlcTime HlcFromMillis(int64_t ms) { return static_cast<HlcTime>(ms) << 16; }

class HybridClock {
 public:
  HybridClock(Clock& wall, int64_t max_skew_micros)
      : wall_(wall), max_skew_micros_(max_skew_micros) {}

  // A fresh stamp for a local event.
  HlcTime Now();
  // Takes a remote stamp into account. kUnavailable if it is too far ahead.
  Status Observe(HlcTime remote);
  // Checks a remote stamp against the skew bound without changing the clock.
  Status CheckSkew(HlcTime remote) const;
  // Restores the last stamp issued (from the store at open).
  void Restore(HlcTime last) {
    if (last > last_) last_ = last;
  }
  HlcTime last() const { return last_; }
  int64_t max_skew_micros() const { return max_skew_micros_; }

 private:
  Clock& wall_;
  int64_t max_skew_micros_;
  HlcTime last_ = 0;
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_HLC_H_
