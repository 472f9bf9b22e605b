// The node's pages and API (web/), started by `outpost web` alone and by
// `outpost run --http` beside sync. Opens its own Store (its own SQLite
// connection: the web server's thread uses no other), makes the TLS
// certificate if the node has none yet (a node made before `init` did),
// and serves until destroyed.
#ifndef OUTPOST_CLI_WEB_DESK_H_
#define OUTPOST_CLI_WEB_DESK_H_

#include <memory>
#include <string>

#include "cli/config.h"
#include "cli/context.h"

namespace outpost::cli {

struct WebArgs {
  std::string listen;  // HOST:PORT; "" : the config's http_listen
  bool plain = false;  // plain HTTP (loopback only)
};

class WebDesk {
 public:
  virtual ~WebDesk() = default;
  // "https://HOST:PORT" as bound (port 0 resolved).
  virtual std::string url() const = 0;
};

// kInvalidArgument: no address anywhere, or plain HTTP off loopback;
// kUnavailable: the address cannot be bound.
Result<std::unique_ptr<WebDesk>> StartWebDesk(Context& ctx, const NodeConfig& config,
                                              const WebArgs& args);

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_WEB_DESK_H_
