#include "cli/commands.h"

#include <utility>

#include "base/clock.h"
#include "schema/validators.h"

namespace outpost::cli {

void OnRun(CLI::App* cmd, Context& ctx, Handler handler) {
  // CLI11 runs callbacks inside parse(), before main has resolved the
  // Context; so the callback only records the choice and main runs it.
  cmd->callback([&ctx, handler = std::move(handler)] { ctx.handler = handler; });
}

CLI::Validator UtcTimeCheck() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        int64_t us = 0;
        if (ParseUtcMicros(v, &us)) return {};
        return "\"" + v + "\" is not a UTC time like 2026-11-28T00:00:00Z";
      },
      "TIME");
}

CLI::Validator SiteCodeCheck() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        Status s = schema::ValidateSiteCode("site", v);
        // CLI11 names the option itself; keep the rule and the value.
        return s.ok() ? std::string() : s.message().substr(std::string("site: ").size());
      },
      "CODE");
}

}  // namespace outpost::cli
