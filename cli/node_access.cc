#include "cli/node_access.h"

namespace outpost::cli {

Clock& ProcessClock() {
  static SystemClock clock;
  return clock;
}

Random& ProcessRandom() {
  static SystemRandom random;
  return random;
}

Result<std::unique_ptr<node::Store>> OpenStore(Context& ctx) {
  return node::Store::Open(ctx.data_dir, ProcessClock(), ProcessRandom());
}

}  // namespace outpost::cli
