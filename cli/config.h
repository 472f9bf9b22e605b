// The node's configuration file (TOML), read by `outpost serve` and
// `outpost run`. Looked for at --config FILE, else DATA/outpost.toml (absent
// is fine: every setting has a default). Command-line flags override it.
//
//   listen = ""                      # serve peers here, e.g. "0.0.0.0:7400"; "": do not serve
//   sync_interval_seconds = 60       # sync with every peer at least this often
//   max_rate_kbps = 0                # bandwidth cap per connection, 0: none
//   max_connections = 64
//   max_connections_per_address = 8  # from one remote address
//   max_handshaking = 32             # connections whose peer has not yet proved its keys
//   handshake_timeout_seconds = 10
//   idle_timeout_seconds = 60
//   http_listen = ""                 # the node's pages and API (HTTPS), e.g. "0.0.0.0:8443";
//                                    # "": not served (`outpost web`, `run --http` override it)
//   http_session_idle_seconds = 900  # a signed-in session ends after this long unused
//   http_session_max_seconds = 43200 # ... and this long after sign-in, whatever happens
//   log_level = "info"               # "info" (every event) or "warn" (failures only)
//   data_dir = "/var/lib/outpost"    # the data directory of every command (absolute),
//                                    # read from /etc/outpost/outpost.toml (or
//                                    # $OUTPOST_CONFIG) when --data and $OUTPOST_DATA are unset
//   [peers]                          # address book, merged into `outpost peers`
//   hq = "hq.example.org:7400"
//
// Unknown keys are errors (a misspelt setting must not be silently ignored);
// messages name the file, the key, the value and the rule.
#ifndef OUTPOST_CLI_CONFIG_H_
#define OUTPOST_CLI_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace outpost::cli {

struct NodeConfig {
  std::string listen;
  int64_t sync_interval_seconds = 60;
  int64_t max_rate_kbps = 0;
  int64_t max_connections = 64;
  int64_t max_connections_per_address = 8;
  int64_t max_handshaking = 32;
  int64_t handshake_timeout_seconds = 10;
  int64_t idle_timeout_seconds = 60;
  std::string http_listen;
  int64_t http_session_idle_seconds = 900;
  int64_t http_session_max_seconds = 43'200;
  std::string log_level = "info";
  std::string data_dir;                                    // "" : not set
  std::vector<std::pair<std::string, std::string>> peers;  // name, HOST:PORT
  std::string source;                                      // the file read, "" if none
};

// Parses TOML text (`origin` names it in messages).
Result<NodeConfig> ParseConfig(const std::string& text, const std::string& origin);
// `path` if given (kNotFound if missing), else DATA_DIR/outpost.toml if it
// exists, else the defaults.
Result<NodeConfig> LoadConfig(const std::string& path, const std::string& data_dir);

// The system-wide config file that may name the data directory: $OUTPOST_CONFIG
// when set, else /etc/outpost/outpost.toml.
inline constexpr const char* kSystemConfigPath = "/etc/outpost/outpost.toml";

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_CONFIG_H_
