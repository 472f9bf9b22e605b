// Small helpers shared by the benchmarks: timing, medians, temp files.
#ifndef OUTPOST_BENCH_BENCH_UTIL_H_
#define OUTPOST_BENCH_BENCH_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace outpost::bench {

inline double Seconds(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A fresh scratch directory, removed at exit.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    dir = std::filesystem::temp_directory_path() / ("outpost-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::string File(const std::string& name) {
    std::string p = (dir / name).string();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p + s);
    return p;
  }
};

inline void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what.c_str());
    std::exit(1);
  }
}

}  // namespace outpost::bench

#endif  // OUTPOST_BENCH_BENCH_UTIL_H_
