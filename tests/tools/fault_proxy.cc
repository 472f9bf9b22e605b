// outpost-fault-proxy: a TCP proxy that injects faults, for tests and for
// operators rehearsing a bad link.
//
//   outpost-fault-proxy --listen 127.0.0.1:7001 --target 127.0.0.1:7000
//       [--cut-after N] [--truncate-after N] [--flip-at K] [--delay-ms MS]
//       [--rate BYTES_PER_SEC] [--blackhole] [--every N]
//
// The faults apply to every connection, or with --every N to one connection
// in N (the others pass clean). Runs until interrupted.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "tests/tools/fault_proxy_lib.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TCP proxy that cuts, delays, throttles, truncates, flips or black-holes.",
               "outpost-fault-proxy"};
  std::string listen, target;
  outpost::tools::FaultPlan plan;
  uint64_t delay_ms = 0, every = 1;
  app.add_option("--listen", listen, "HOST:PORT to listen on")->required();
  app.add_option("--target", target, "HOST:PORT to forward to")->required();
  app.add_option("--cut-after", plan.cut_after, "Close both sides after N bytes");
  app.add_option("--truncate-after", plan.truncate_after, "Stop forwarding after N bytes");
  app.add_option("--flip-at", plan.flip_at, "Flip the byte at offset K");
  app.add_option("--delay-ms", delay_ms, "Delay every forwarded read by MS");
  app.add_option("--rate", plan.rate_bytes_per_sec, "Throttle each direction to BYTES/s");
  app.add_flag("--blackhole", plan.blackhole, "Accept and swallow everything");
  app.add_option("--every", every, "Apply the faults to one connection in N")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  plan.delay = std::chrono::milliseconds(delay_ms);
  auto proxy = outpost::tools::FaultProxy::Start(listen, target, [plan, every](uint64_t n) {
    return n % every == 0 ? plan : outpost::tools::FaultPlan{};
  });
  if (!proxy.ok()) {
    std::cerr << "outpost-fault-proxy: error: " << proxy.status().ToString() << "\n";
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::cerr << "outpost-fault-proxy: listening on port " << (*proxy)->port() << " -> " << target
            << "\n";
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto& c = (*proxy)->counters();
  std::cerr << "outpost-fault-proxy: " << c.connections << " connections, " << c.bytes << " bytes, "
            << c.cuts << " cuts, " << c.flips << " flips\n";
  return 0;
}
