// Sync commands (docs/protocol.md, docs/operator-guide.md):
//   outpost serve [--listen HOST:PORT]         accept peers until stopped
//   outpost sync [--peer NAME|HOST:PORT]       one session both ways, then exit
//   outpost run [--listen HOST:PORT]           the daemon: serve + sync with peers
//   outpost peers add NAME HOST:PORT | peers remove NAME | peers list
//   outpost bundle export --to NODE --out FILE | bundle import FILE
//   outpost transfers [--limit N] [--refused]  the transfer log
// serve and run stop cleanly on SIGINT or SIGTERM.
#include <csignal>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/node_access.h"
#include "cli/stop_signal.h"
#include "cli/web_desk.h"
#include "node/registry.h"
#include "node/sync_service.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

std::atomic<bool>& g_sync_stop = StopRequested();

struct NetArgs {
  std::string config;
  std::string listen;
  int64_t max_rate_kbps = -1;  // -1: from the config
  int64_t interval = -1;
  std::string peer;
  bool quiet = false;
  std::string http;  // run --http HOST:PORT: the node's pages beside sync
};

struct Resolved {
  NodeConfig config;
  node::SyncServiceOptions options;
};

Result<Resolved> Resolve(Context& ctx, const NetArgs& a) {
  Resolved r;
  OUTPOST_ASSIGN_OR_RETURN(r.config, LoadConfig(a.config, ctx.data_dir));
  if (!a.listen.empty()) r.config.listen = a.listen;
  if (a.max_rate_kbps >= 0) r.config.max_rate_kbps = a.max_rate_kbps;
  if (a.interval > 0) r.config.sync_interval_seconds = a.interval;
  auto& l = r.options.limits;
  l.max_connections = static_cast<size_t>(r.config.max_connections);
  l.max_per_address = static_cast<size_t>(r.config.max_connections_per_address);
  l.max_handshaking = static_cast<size_t>(r.config.max_handshaking);
  l.handshake_timeout = std::chrono::seconds(r.config.handshake_timeout_seconds);
  l.idle_timeout = std::chrono::seconds(r.config.idle_timeout_seconds);
  l.max_rate_bytes_per_sec = static_cast<uint64_t>(r.config.max_rate_kbps) * 1000 / 8;
  bool warn_only = a.quiet || r.config.log_level == "warn";
  // Under systemd (stderr is the journal: $JOURNAL_STREAM set) each line
  // carries an sd-daemon priority prefix, <4> warning or <6> info, and no
  // timestamp of ours: the journal stamps every line itself.
  bool journal = ctx.env().getenv("JOURNAL_STREAM").has_value();
  std::ostream* err = &ctx.err();
  r.options.log = [err, warn_only, journal](const std::string& line) {
    bool bad = line.find("closed:") != std::string::npos ||
               line.find("failed") != std::string::npos ||
               line.find("refused") != std::string::npos;
    if (warn_only && !bad) return;
    if (journal) {
      *err << (bad ? "<4>" : "<6>") << "outpost: " << Printable(line) << "\n";
    } else {
      *err << "outpost: " << FormatUtcMicros(ProcessClock().NowMicros()) << " " << Printable(line)
           << "\n";
    }
    err->flush();
  };
  return r;
}

Result<std::unique_ptr<node::SyncService>> OpenService(Context& ctx, const Resolved& r) {
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys keys, UnlockNodeKeys(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto service,
                           node::SyncService::Open(ctx.data_dir, keys.current, ProcessClock(),
                                                   ProcessRandom(), r.options));
  // A pending `keys rotate`: the next session with HQ completes it.
  if (keys.next) OUTPOST_RETURN_IF_ERROR(service->SetNextKeys(*keys.next));
  // Peers from the config join the address book (an existing entry with
  // another address is an error worth seeing).
  for (const auto& [name, address] : r.config.peers) {
    Status s = service->AddPeer(name, address);
    if (s.code() == Code::kAlreadyExists) {
      ctx.err() << "outpost: warning: " << r.config.source << ": peers." << name << " = \""
                << address << "\" ignored: " << s.message() << "\n";
    } else if (!s.ok()) {
      return s.WithContext(r.config.source + ": peers." + name);
    }
  }
  return service;
}

std::string Human(uint64_t bytes) {
  std::ostringstream o;
  if (bytes < 10'000) {
    o << bytes << " B";
  } else if (bytes < 10'000'000) {
    o << bytes / 1000 << " kB";
  } else {
    o << bytes / 1'000'000 << " MB";
  }
  return o.str();
}

json TransferJson(const node::TransferRecord& t) {
  return {{"id", t.id},
          {"direction", t.direction},
          {"peer", t.peer ? UuidToString(*t.peer) : ""},
          {"address", t.address},
          {"started", FormatUtcMicros(t.started)},
          {"seconds", static_cast<double>(t.finished - t.started) / 1e6},
          {"ok", t.ok},
          {"error", t.error},
          {"batches_sent", t.batches_sent},
          {"batches_received", t.batches_received},
          {"bytes_out", t.bytes_out},
          {"bytes_in", t.bytes_in},
          {"column_changes", t.column_changes},
          {"refused", t.refused},
          {"last_refusal", t.last_refusal},
          {"rotation", t.rotation},
          {"rotated", t.rotated}};
}

std::string PeerName(node::Store& store, const std::optional<sync::NodeId>& id) {
  return id ? node::NodeDisplayName(store, *id) : "?";
}

Status WaitForStop(Context& ctx, node::SyncService& service, const std::string& listen) {
  std::string actual = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(service.port());
  ctx.Emit({{"listening", actual}}, "serving on " + actual + " (stop with Ctrl-C)");
  ctx.out().flush();
  while (!g_sync_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  service.StopServing();
  return Status::Ok();
}

Status RunServe(Context& ctx, const NetArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, a));
  if (r.config.listen.empty()) {
    return Status::InvalidArgument(
        "serve: no address: pass --listen HOST:PORT or set listen in " +
        (r.config.source.empty() ? ctx.data_dir + "/outpost.toml" : r.config.source));
  }
  OUTPOST_ASSIGN_OR_RETURN(auto service, OpenService(ctx, r));
  InstallStopHandlers();
  OUTPOST_RETURN_IF_ERROR(service->Serve(r.config.listen));
  return WaitForStop(ctx, *service, r.config.listen);
}

Status RunSync(Context& ctx, const NetArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, a));
  OUTPOST_ASSIGN_OR_RETURN(auto service, OpenService(ctx, r));
  std::string peer = a.peer;
  if (peer.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(auto targets, service->Targets());
    for (const auto& t : targets) {
      if (t.name == "hq") peer = t.address;
    }
    if (peer.empty()) {
      return Status::InvalidArgument(
          "--peer: no default peer (HQ's address is not in this node's certificate); pass "
          "--peer NAME or HOST:PORT");
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(node::TransferRecord t, service->SyncWith(peer));
  std::ostringstream h;
  h << "in sync with " << PeerName(service->store(), t.peer) << " (" << t.address << "): sent "
    << t.batches_sent << " batches, received " << t.batches_received << " (" << t.column_changes
    << " column changes), " << Human(t.bytes_out) << " out, " << Human(t.bytes_in) << " in, "
    << static_cast<double>(t.finished - t.started) / 1e6 << " s";
  if (t.refused > 0) {
    h << "\n"
      << t.refused << " received batches refused; the last: " << t.last_refusal
      << " (see `outpost keys list` and `outpost transfers`)";
  }
  if (!t.rotation.empty()) h << "\nkey rotation: " << t.rotation;
  json j = TransferJson(t);
  j["peer_name"] = PeerName(service->store(), t.peer);
  ctx.Emit(j, h.str());
  return Status::Ok();
}

Status RunDaemon(Context& ctx, const NetArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, a));
  if (r.config.listen.empty()) {
    // HQ is dialled by every crossing: an HQ daemon that does not serve
    // would sync with no one.
    OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
    if (store->identity().role == node::Role::kHq) {
      return Status::InvalidArgument(
          "run: HQ must serve its crossings: pass --listen HOST:PORT or set listen in " +
          (r.config.source.empty() ? ctx.data_dir + "/outpost.toml" : r.config.source));
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(auto service, OpenService(ctx, r));
  InstallStopHandlers();
  // The pages beside sync (`--http`, else http_listen in the config).
  std::unique_ptr<WebDesk> desk;
  if (!a.http.empty() || !r.config.http_listen.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(desk, StartWebDesk(ctx, r.config, WebArgs{a.http, false}));
  }
  node::DaemonOptions d;
  // Bind before saying "running": a busy port fails here, with nothing
  // printed that claims the daemon is serving.
  std::string serving;
  if (!r.config.listen.empty()) {
    OUTPOST_RETURN_IF_ERROR(service->Serve(r.config.listen));
    serving = r.config.listen.substr(0, r.config.listen.rfind(':')) + ":" +
              std::to_string(service->port());
  }
  d.interval = std::chrono::seconds(r.config.sync_interval_seconds);
  OUTPOST_ASSIGN_OR_RETURN(auto targets, service->Targets());
  std::string peers;
  for (const auto& t : targets) peers += (peers.empty() ? "" : ", ") + t.name + "=" + t.address;
  ctx.err() << "outpost: running: " << (serving.empty() ? "not serving" : "serving " + serving)
            << "; peers: " << (peers.empty() ? "none" : peers) << "; interval "
            << r.config.sync_interval_seconds << " s"
            << (desk ? "; pages " + desk->url() : std::string()) << "\n";
  ctx.err().flush();
  OUTPOST_ASSIGN_OR_RETURN(node::DaemonStats st, service->RunDaemon(d, g_sync_stop));
  ctx.Emit({{"sessions", st.sessions}, {"failures", st.failures}},
           "stopped after " + std::to_string(st.sessions) + " sessions (" +
               std::to_string(st.failures) + " failed)");
  return Status::Ok();
}

Status RunPeersAdd(Context& ctx, const std::string& name, const std::string& address) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto ledger, sync::PeerLedger::Open(store->db()));
  if (name.empty() || address.find(':') == std::string::npos) {
    return Status::InvalidArgument("peers add: usage NAME HOST:PORT");
  }
  OUTPOST_RETURN_IF_ERROR(sync::ParseHostPort(address).status());
  Status added = ledger->AddAddress(name, address);
  if (added.code() == Code::kAlreadyExists) {
    return Status::AlreadyExists(added.message() + " (to change it: `outpost peers remove " + name +
                                 "`, then add it again)");
  }
  OUTPOST_RETURN_IF_ERROR(added);
  ctx.Emit({{"name", name}, {"address", address}}, "peer " + name + " = " + address);
  return Status::Ok();
}

Status RunPeersRemove(Context& ctx, const std::string& name) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto ledger, sync::PeerLedger::Open(store->db()));
  Status removed = ledger->RemoveAddress(name);
  if (removed.code() == Code::kNotFound) {
    return Status::NotFound(removed.message() + " (see `outpost peers list`)");
  }
  OUTPOST_RETURN_IF_ERROR(removed);
  ctx.Emit({{"removed", name}}, "peer " + name + " removed from the address book");
  return Status::Ok();
}

Status RunPeersList(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto ledger, sync::PeerLedger::Open(store->db()));
  OUTPOST_ASSIGN_OR_RETURN(auto book, ledger->Addresses());
  json j = json::array();
  std::string h;
  for (const auto& [name, address] : book) {
    j.push_back({{"name", name}, {"address", address}});
    h += name + "\t" + address + "\n";
  }
  if (book.empty()) h = "no peers (add one with `outpost peers add NAME HOST:PORT`)";
  ctx.Emit(j, h);
  return Status::Ok();
}

Status RunBundleExport(Context& ctx, const std::string& to, const std::string& out) {
  OUTPOST_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, NetArgs{}));
  OUTPOST_ASSIGN_OR_RETURN(auto service, OpenService(ctx, r));
  OUTPOST_ASSIGN_OR_RETURN(sync::BundleInfo info, service->ExportBundle(to, out));
  ctx.Emit({{"to", UuidToString(info.to)}, {"file", out}, {"batches", info.batches}},
           "wrote " + out + ": " + std::to_string(info.batches) + " batches for " +
               PeerName(service->store(), info.to));
  return Status::Ok();
}

Status RunBundleImport(Context& ctx, const std::string& file) {
  OUTPOST_ASSIGN_OR_RETURN(Resolved r, Resolve(ctx, NetArgs{}));
  OUTPOST_ASSIGN_OR_RETURN(auto service, OpenService(ctx, r));
  OUTPOST_ASSIGN_OR_RETURN(sync::BundleInfo info, service->ImportBundle(file));
  json refused = json::array();
  for (const auto& s : info.merge.refused) refused.push_back(s.ToString());
  ctx.Emit({{"from", UuidToString(info.from)},
            {"batches", info.batches},
            {"applied", info.merge.applied},
            {"duplicates", info.merge.duplicates},
            {"column_changes", info.merge.column_changes},
            {"refused", refused}},
           "imported " + file + " from " + PeerName(service->store(), info.from) + ": " +
               std::to_string(info.merge.applied) + " batches applied, " +
               std::to_string(info.merge.duplicates) + " already here, " +
               std::to_string(info.merge.refused.size()) + " refused");
  return Status::Ok();
}

// Connections whose peer never proved its keys, per address (sync_refused).
// Reads the store only, like `transfers`.
Status RunRefused(Context& ctx, node::Store& store, int64_t limit) {
  OUTPOST_ASSIGN_OR_RETURN(auto list, node::ListRefusedConnections(store));
  json j = json::array();
  std::ostringstream h;
  int64_t n = 0;
  for (const auto& c : list) {
    if (n++ == limit) break;
    j.push_back({{"address", c.address},
                 {"first_seen", FormatUtcMicros(c.first_seen)},
                 {"last_seen", FormatUtcMicros(c.last_seen)},
                 {"count", c.count},
                 {"last_error", c.last_error}});
    h << FormatUtcMicros(c.last_seen) << "  " << c.address << "  " << c.count << " refused since "
      << FormatUtcMicros(c.first_seen) << "  " << c.last_error << "\n";
  }
  if (list.empty()) h << "no unauthenticated connections refused";
  ctx.Emit(j, h.str());
  return Status::Ok();
}

// Reads the store only: no passphrase (a failing daemon is diagnosed
// without its credential).
Status RunTransfers(Context& ctx, int64_t limit, bool refused) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  if (refused) return RunRefused(ctx, *store, limit);
  OUTPOST_ASSIGN_OR_RETURN(auto list, node::ListTransfers(*store, limit));
  json j = json::array();
  std::ostringstream h;
  for (const auto& t : list) {
    j.push_back(TransferJson(t));
    std::string peer = t.peer ? PeerName(*store, t.peer) : t.address.empty() ? "?" : t.address;
    h << FormatUtcMicros(t.started) << "  " << t.direction << "  " << peer << "  "
      << (t.ok ? "ok" : "FAILED") << "  sent " << t.batches_sent << ", received "
      << t.batches_received << (t.ok ? "" : "  " + t.error) << "\n";
  }
  if (list.empty()) h << "no transfers yet";
  ctx.Emit(j, h.str());
  return Status::Ok();
}

void AddNetOptions(CLI::App* cmd, NetArgs& a, bool listen) {
  cmd->add_option("--config", a.config, "Config file (else DATA/outpost.toml if present)")
      ->type_name("FILE");
  if (listen) {
    cmd->add_option("--listen", a.listen, "Accept peers on HOST:PORT (overrides the config)")
        ->type_name("HOST:PORT");
  }
  cmd->add_option("--max-rate", a.max_rate_kbps, "Bandwidth cap per connection, kbit/s (0: none)")
      ->type_name("KBPS")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  cmd->add_flag("--quiet", a.quiet, "Log failures only");
}

}  // namespace

void AddSyncCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<NetArgs>();

  auto* serve = app.add_subcommand("serve", "Accept sync sessions from peers until stopped");
  AddNetOptions(serve, *args, true);
  OnRun(serve, ctx, [&ctx, args] { return RunServe(ctx, *args); });

  auto* sync = app.add_subcommand("sync", "Sync with a peer now, both ways, until in sync");
  AddNetOptions(sync, *args, false);
  sync->add_option("--peer", args->peer, "Peer name or HOST:PORT (default: HQ)")->type_name("PEER");
  OnRun(sync, ctx, [&ctx, args] { return RunSync(ctx, *args); });

  auto* run = app.add_subcommand("run", "The daemon: serve, and sync with every peer regularly");
  AddNetOptions(run, *args, true);
  run->add_option("--interval", args->interval, "Seconds between syncs with each peer")
      ->type_name("S")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400}));
  run->add_option("--http", args->http, "Also serve the node's pages and API (HTTPS) here")
      ->type_name("HOST:PORT");
  OnRun(run, ctx, [&ctx, args] { return RunDaemon(ctx, *args); });

  auto* peers = app.add_subcommand("peers", "The address book of peers to sync with");
  peers->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto address = std::make_shared<std::string>();
  auto* add = peers->add_subcommand("add", "Add a peer: NAME HOST:PORT");
  add->add_option("name", *name, "A short name, e.g. hq or gradiska")
      ->required()
      ->check([](const std::string& v) -> std::string {
        // The rule docs/operator-guide.md states: letters, digits, '.', '_', '-'.
        bool ok = !v.empty() && v.size() <= 64;
        for (char c : v) {
          ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-');
        }
        return ok ? std::string()
                  : "\"" + v + "\" is not a peer name: 1 to 64 letters, digits, '.', '_' or '-'";
      });
  add->add_option("address", *address, "HOST:PORT")->required();
  OnRun(add, ctx, [&ctx, name, address] { return RunPeersAdd(ctx, *name, *address); });
  auto* remove = peers->add_subcommand("remove", "Remove a peer from the address book: NAME");
  auto remove_name = std::make_shared<std::string>();
  remove->add_option("name", *remove_name, "The name given to `peers add`")->required();
  OnRun(remove, ctx, [&ctx, remove_name] { return RunPeersRemove(ctx, *remove_name); });
  auto* list = peers->add_subcommand("list", "List the address book");
  OnRun(list, ctx, [&ctx] { return RunPeersList(ctx); });

  auto* bundle = app.add_subcommand("bundle", "Sync by file (USB stick) when there is no link");
  bundle->require_subcommand(1);
  auto to = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* exp = bundle->add_subcommand("export", "Write what NODE lacks, encrypted to it and signed");
  exp->add_option("--to", *to, "The receiving node (name or id)")->required();
  exp->add_option("--out", *out, "The bundle file to write")->required();
  OnRun(exp, ctx, [&ctx, to, out] { return RunBundleExport(ctx, *to, *out); });
  auto file = std::make_shared<std::string>();
  auto* imp = bundle->add_subcommand("import", "Verify and merge a bundle file (idempotent)");
  imp->add_option("file", *file, "The bundle file")->required();
  OnRun(imp, ctx, [&ctx, file] { return RunBundleImport(ctx, *file); });

  auto limit = std::make_shared<int64_t>(20);
  auto* transfers = app.add_subcommand("transfers", "The log of sync transfers, newest first");
  transfers->add_option("--limit", *limit, "How many (default 20)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000}));
  auto refused = std::make_shared<bool>(false);
  transfers->add_flag("--refused", *refused,
                      "Incoming connections refused before the peer proved its keys, per address");
  OnRun(transfers, ctx, [&ctx, limit, refused] { return RunTransfers(ctx, *limit, *refused); });
}

}  // namespace outpost::cli
