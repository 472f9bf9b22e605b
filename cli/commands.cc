#include "cli/commands.h"

#include <utility>

namespace outpost::cli {

void OnRun(CLI::App* cmd, Context& ctx, Handler handler) {
  // CLI11 runs callbacks inside parse(), before main has resolved the
  // Context; so the callback only records the choice and main runs it.
  cmd->callback([&ctx, handler = std::move(handler)] { ctx.handler = handler; });
}

}  // namespace outpost::cli
