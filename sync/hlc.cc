#include "sync/hlc.h"

#include <string>

#include "base/clock.h"

namespace outpost::sync {

HlcTime HybridClock::Now() {
  HlcTime physical = HlcFromMillis(wall_.NowMicros() / 1000);
  // max(physical, last + 1): if the wall clock is behind (or jumped back), the
  // counter advances instead, carrying into the physical part on overflow.
  last_ = physical > last_ ? physical : last_ + 1;
  return last_;
}

Status HybridClock::CheckSkew(HlcTime remote) const {
  int64_t now_ms = wall_.NowMicros() / 1000;
  int64_t ahead_ms = HlcPhysicalMillis(remote) - now_ms;
  if (ahead_ms * 1000 > max_skew_micros_) {
    return Status::Unavailable(
        "remote clock is " + std::to_string(ahead_ms / 1000) + " s ahead of ours (stamp " +
        FormatUtcMicros(HlcPhysicalMillis(remote) * 1000) + "), beyond the allowed skew of " +
        std::to_string(max_skew_micros_ / 1000000) +
        " s; its changes wait until our clock reaches them");
  }
  return Status::Ok();
}

Status HybridClock::Observe(HlcTime remote) {
  OUTPOST_RETURN_IF_ERROR(CheckSkew(remote));
  if (remote > last_) last_ = remote;
  return Status::Ok();
}

}  // namespace outpost::sync
