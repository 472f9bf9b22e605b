// outpost status: what an operator looks at first when something seems
// wrong. Needs no passphrase: it reads the store only.
//   node, role, site, certificate, records per table, and per peer the last
//   successful sync, changes pending each way, the last error.
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/node_access.h"
#include "node/registry.h"
#include "node/sync_service.h"
#include "web/tls.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

std::string Ago(int64_t now, int64_t then) {
  if (then == 0) return "never";
  int64_t s = (now - then) / 1'000'000;
  if (s < 0) s = 0;
  std::ostringstream o;
  if (s < 120) {
    o << s << " s ago";
  } else if (s < 7200) {
    o << s / 60 << " min ago";
  } else if (s < 172'800) {
    o << s / 3600 << " h ago";
  } else {
    o << s / 86'400 << " days ago";
  }
  return o.str();
}

Status RunStatus(Context& ctx) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  const node::Identity& id = store->identity();
  int64_t now = ProcessClock().NowMicros();
  json j;
  std::ostringstream h;
  j["node"] = {{"id", UuidToString(id.id)},
               {"name", id.name},
               {"role", std::string(node::RoleName(id.role))},
               {"site", id.site},
               {"data", ctx.data_dir}};
  h << id.name << " (" << node::RoleName(id.role) << ", site " << id.site << ")\n";
  h << "  node id      " << UuidToString(id.id) << "\n";

  OUTPOST_RETURN_IF_ERROR(node::EnsureKeyTables(store->db()));
  OUTPOST_ASSIGN_OR_RETURN(auto cert, node::LoadOwnCertificate(*store));
  if (cert) {
    j["certificate"] = {{"epoch", cert->epoch},
                        {"valid_until", FormatUtcMicros(cert->valid_until)},
                        {"expired", now > cert->valid_until},
                        {"hq_address", cert->hq_address}};
    h << "  certificate  epoch " << cert->epoch << ", valid until "
      << FormatUtcMicros(cert->valid_until) << (now > cert->valid_until ? " (EXPIRED)" : "")
      << "\n";
  } else {
    j["certificate"] = nullptr;
    h << "  certificate  none: not enrolled yet (outpost keys request / keys install)\n";
  }

  // The certificate of the node's pages, for browsers to check (web/tls.h).
  auto web_fp = web::CertificateFingerprint(web::CertPath(ctx.data_dir));
  j["web_certificate_sha256"] = web_fp.ok() ? json(*web_fp) : json(nullptr);
  h << "  web cert     " << (web_fp.ok() ? "SHA-256 " + *web_fp : "none") << "\n";

  json records = json::object();
  h << "  records     ";
  for (const auto& t : store->catalogue().tables()) {
    OUTPOST_ASSIGN_OR_RETURN(int64_t n, store->replica().CountLive(t));
    records[t.name] = n;
    if (n > 0) h << " " << t.name << " " << n;
  }
  h << "\n";
  j["records"] = records;
  // Per scope (HQ: per crossing) for the tables officers record.
  json by_scope = json::object();
  for (const char* name : {"movement", "inspection", "seizure", "person"}) {
    const schema::Table* t = store->catalogue().Find(name);
    if (!t) continue;
    OUTPOST_ASSIGN_OR_RETURN(auto counts, store->replica().CountLiveByScope(*t));
    for (const auto& [scope, n] : counts) by_scope[scope][name] = n;
  }
  j["records_by_scope"] = by_scope;
  if (id.role == node::Role::kHq) {
    for (const auto& [scope, counts] : by_scope.items()) {
      h << "  " << scope << ":";
      for (const auto& [name, n] : counts.items()) h << " " << name << " " << n.get<int64_t>();
      h << "\n";
    }
  }

  OUTPOST_ASSIGN_OR_RETURN(auto peers, node::ListPeerStatuses(*store));
  json pj = json::array();
  if (peers.empty()) h << "  peers        none yet\n";
  for (const auto& p : peers) {
    pj.push_back({{"id", p.id == sync::NodeId{} ? "" : UuidToString(p.id)},
                  {"name", p.name},
                  {"address", p.address},
                  {"last_success", p.last_success ? FormatUtcMicros(p.last_success) : ""},
                  {"last_attempt", p.last_attempt ? FormatUtcMicros(p.last_attempt) : ""},
                  {"pending_out", p.pending_out},
                  {"pending_in", p.pending_in},
                  {"last_error", p.last_error},
                  {"failing_since", p.failing_since ? FormatUtcMicros(p.failing_since) : ""},
                  {"never_connected", p.never_connected},
                  {"revoked", p.revoked_at != 0},
                  {"revoked_at", p.revoked_at ? FormatUtcMicros(p.revoked_at) : ""}});
    h << "  peer " << (p.name.empty() ? UuidToString(p.id) : p.name)
      << (p.address.empty() ? "" : " (" + p.address + ")") << ": ";
    if (p.revoked_at) h << "REVOKED at " << FormatUtcMicros(p.revoked_at) << ", ";
    if (p.never_connected) {
      h << "never connected";
    } else {
      h << "last sync " << Ago(now, p.last_success);
    }
    h << ", pending out " << (p.pending_out < 0 ? std::string("?") : std::to_string(p.pending_out))
      << ", in " << p.pending_in;
    if (!p.last_error.empty()) {
      h << ", last error";
      if (p.failing_since) {
        h << " (failing since " << FormatUtcMicros(p.failing_since) << ", "
          << Ago(now, p.failing_since) << ")";
      }
      h << ": " << p.last_error;
    }
    h << "\n";
  }
  j["peers"] = pj;
  ctx.Emit(j, h.str());
  return Status::Ok();
}

}  // namespace

void AddStatusCommands(CLI::App& app, Context& ctx) {
  auto* status =
      app.add_subcommand("status", "This node, its records and its peers: last sync, lag, errors");
  OnRun(status, ctx, [&ctx] { return RunStatus(ctx); });
}

}  // namespace outpost::cli
