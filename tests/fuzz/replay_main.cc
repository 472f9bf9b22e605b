// Replays a libFuzzer corpus through LLVMFuzzerTestOneInput without libFuzzer,
// so CI exercises every saved input (and every past crash) on each run.
// Usage: fuzz_NAME DIR_OR_FILE...   Exit 0 when every input returned.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

static int RunFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 1;
}

int main(int argc, char** argv) {
  int n = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) n += RunFile(e.path());
      }
    } else if (fs::exists(p)) {
      n += RunFile(p);
    }
  }
  // Also run the empty input and a few fixed ones so a target with an empty
  // corpus still executes its decoder.
  const uint8_t kFixed[] = {0, 1, 2, 0xff, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t len = 0; len <= sizeof kFixed; ++len) LLVMFuzzerTestOneInput(kFixed, len);
  std::printf("replayed %d corpus inputs\n", n);
  return 0;
}
