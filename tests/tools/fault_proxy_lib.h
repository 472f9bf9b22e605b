// A TCP fault proxy: listens, forwards each connection to a target, and
// injects faults per connection: cut after N bytes, delay, throttle,
// truncate (stop forwarding, keep the connection open), flip the byte at
// offset K, or black-hole. Offsets count both directions together, in the
// order the proxy forwards them.
//
// Runs on its own io_context thread; destroying it closes everything.
// Used in-process by tests and by the `outpost-fault-proxy` tool.
#ifndef OUTPOST_TESTS_TOOLS_FAULT_PROXY_LIB_H_
#define OUTPOST_TESTS_TOOLS_FAULT_PROXY_LIB_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace outpost::tools {

struct FaultPlan {
  uint64_t cut_after = UINT64_MAX;       // close both sides after this many bytes
  uint64_t truncate_after = UINT64_MAX;  // forward no more, but keep both open
  uint64_t flip_at = UINT64_MAX;         // XOR 0x01 into the byte at this offset
  std::chrono::milliseconds delay{0};    // added before forwarding each read
  uint64_t rate_bytes_per_sec = 0;       // per direction; 0: unlimited
  bool blackhole = false;                // accept and read, never connect onwards
};

struct FaultProxyCounters {
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> cuts{0};
  std::atomic<uint64_t> flips{0};
};

class FaultProxy {
 public:
  // `plan_for(n)` gives the plan of the n-th connection (0-based), called on
  // the proxy thread. Listens on `listen` (port 0: any free port).
  static Result<std::unique_ptr<FaultProxy>> Start(
      const std::string& listen, const std::string& target,
      std::function<FaultPlan(uint64_t connection)> plan_for);
  ~FaultProxy();
  uint16_t port() const;
  const FaultProxyCounters& counters() const;

  struct Impl;

 private:
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::tools

#endif  // OUTPOST_TESTS_TOOLS_FAULT_PROXY_LIB_H_
