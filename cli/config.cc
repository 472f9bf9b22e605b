#include "cli/config.h"

#include <filesystem>
#include <sstream>

#include "base/file.h"

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace outpost::cli {
namespace {

struct IntKey {
  const char* name;
  int64_t NodeConfig::*field;
  int64_t min, max;
};

constexpr IntKey kIntKeys[] = {
    {"sync_interval_seconds", &NodeConfig::sync_interval_seconds, 1, 86'400},
    {"max_rate_kbps", &NodeConfig::max_rate_kbps, 0, 10'000'000},
    {"max_connections", &NodeConfig::max_connections, 1, 10'000},
    {"max_connections_per_address", &NodeConfig::max_connections_per_address, 1, 10'000},
    {"max_handshaking", &NodeConfig::max_handshaking, 1, 10'000},
    {"handshake_timeout_seconds", &NodeConfig::handshake_timeout_seconds, 1, 3'600},
    {"idle_timeout_seconds", &NodeConfig::idle_timeout_seconds, 1, 86'400},
    {"http_session_idle_seconds", &NodeConfig::http_session_idle_seconds, 1, 86'400},
    {"http_session_max_seconds", &NodeConfig::http_session_max_seconds, 1, 7 * 86'400},
};

std::string At(const std::string& origin, const toml::node& n) {
  const auto& src = n.source();
  return origin + ":" + std::to_string(src.begin.line);
}

}  // namespace

Result<NodeConfig> ParseConfig(const std::string& text, const std::string& origin) {
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(origin + ":" + std::to_string(err.source().begin.line) + ":" +
                                   std::to_string(err.source().begin.column) + ": " +
                                   std::string(err.description()));
  }
  toml::table& root = parsed.table();
  NodeConfig c;
  c.source = origin;
  for (auto&& [key, node] : root) {
    std::string k(key.str());
    std::string where = At(origin, node) + ": " + k;
    if (k == "listen" || k == "log_level" || k == "data_dir" || k == "http_listen") {
      auto v = node.value<std::string>();
      if (!v) return Status::InvalidArgument(where + ": must be a string");
      if (k == "listen") {
        c.listen = *v;
      } else if (k == "http_listen") {
        c.http_listen = *v;
      } else if (k == "data_dir") {
        if (v->empty() || (*v)[0] != '/') {
          return Status::InvalidArgument(where + ": \"" + *v + "\" must be an absolute path");
        }
        c.data_dir = *v;
      } else {
        if (*v != "info" && *v != "warn") {
          return Status::InvalidArgument(where + ": \"" + *v + "\" must be \"info\" or \"warn\"");
        }
        c.log_level = *v;
      }
      continue;
    }
    if (k == "peers") {
      toml::table* t = node.as_table();
      if (!t) return Status::InvalidArgument(where + ": must be a table of NAME = \"HOST:PORT\"");
      for (auto&& [pk, pv] : *t) {
        auto addr = pv.value<std::string>();
        if (!addr) {
          return Status::InvalidArgument(At(origin, pv) + ": peers." + std::string(pk.str()) +
                                         ": must be a string \"HOST:PORT\"");
        }
        c.peers.emplace_back(std::string(pk.str()), *addr);
      }
      continue;
    }
    const IntKey* ik = nullptr;
    for (const auto& candidate : kIntKeys) {
      if (k == candidate.name) ik = &candidate;
    }
    if (!ik) return Status::InvalidArgument(where + ": unknown setting");
    auto v = node.value<int64_t>();
    if (!v || !node.is_integer()) return Status::InvalidArgument(where + ": must be an integer");
    if (*v < ik->min || *v > ik->max) {
      return Status::InvalidArgument(where + ": " + std::to_string(*v) + " is outside " +
                                     std::to_string(ik->min) + ".." + std::to_string(ik->max));
    }
    c.*(ik->field) = *v;
  }
  return c;
}

Result<NodeConfig> LoadConfig(const std::string& path, const std::string& data_dir) {
  std::string file = path;
  if (file.empty()) {
    std::string candidate = data_dir + "/outpost.toml";
    std::error_code ec;
    if (!std::filesystem::exists(candidate, ec)) return NodeConfig{};
    file = candidate;
  }
  auto bytes = ReadFile(file, 1 << 20);
  if (!bytes.ok()) return bytes.status().WithContext("--config " + file);
  return ParseConfig(std::string(bytes->begin(), bytes->end()), file);
}

}  // namespace outpost::cli
