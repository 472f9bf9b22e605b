// Node identity commands (docs/keys.md):
//   outpost init --role hq|site --name NAME [--site CODE] [--hq-address HOST:PORT]
//   outpost keys request --out FILE                 (site) enrollment request
//   outpost keys enroll FILE --out CERT [--valid-days N] --yes
//                                                   (HQ) certify a node or a rotation
//   outpost keys install CERT --hq-fingerprint FP   (site) pin HQ, store the certificate
//   outpost keys list                               the node registry
//   outpost keys revoke NODE --reason TEXT          (HQ) signed revocation
//   outpost keys rotate [--out FILE]                new keys; certified at the next sync
//   outpost keys log [--limit N]                    trust log and quarantine
//   outpost keys change-passphrase                  re-seal the key file(s)
//   outpost keys show                               this node's keys and certificate
// Key files are sealed with Argon2id at MODERATE (crypto::PwhashParams).
#include <cstring>
#include <filesystem>
#include <string>

#include "base/file.h"
#include "cli/commands.h"
#include "cli/node_access.h"
#include "crypto/keys.h"
#include "crypto/keystore.h"
#include "crypto/secret.h"
#include "node/keys.h"
#include "node/registry.h"
#include "node/trust.h"
#include "sync/hlc.h"
#include "web/tls.h"

namespace outpost::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxDocumentFileBytes = 256 * 1024;

Status WritePublicFile(const std::string& path, const Bytes& bytes, const char* flag) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return Status::AlreadyExists(std::string(flag) + ": " + path +
                                 " already exists (choose another name or remove it)");
  }
  return WriteFileAtomic(path, bytes, 0644).WithContext(flag);
}

std::string Time(int64_t micros) { return FormatUtcMicros(micros); }

json CertJson(const node::Certificate& c) {
  return {{"node_id", UuidToString(c.node_id)},
          {"name", c.name},
          {"role", std::string(node::RoleName(c.role))},
          {"site", c.site},
          {"epoch", c.epoch},
          {"signing_fingerprint", crypto::Fingerprint(c.signing_key)},
          {"kx_fingerprint", crypto::Fingerprint(c.kx_key)},
          {"valid_from", Time(c.valid_from)},
          {"valid_until", Time(c.valid_until)},
          {"read_scopes", c.read_scopes},
          {"write_scopes", c.write_scopes},
          {"hq_fingerprint", crypto::Fingerprint(c.hq_signing_key)},
          {"hq_address", c.hq_address}};
}

// ---- init ------------------------------------------------------------------

struct InitArgs {
  std::string role;
  std::string name;
  std::string site;
  std::string hq_address;
  bool training = false;
};

Status RunInit(Context& ctx, const InitArgs& a) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(node::Role role, node::ParseRole(a.role));
  node::Identity id;
  id.id = NewUuidV7(ProcessClock(), ProcessRandom());
  id.role = role;
  id.name = a.name;
  id.training = a.training;
  if (role == node::Role::kHq) {
    if (!a.site.empty() && a.site != "HQ") {
      return Status::InvalidArgument("--site: \"" + a.site +
                                     "\" is for site nodes; the HQ node's site is HQ");
    }
    id.site = "HQ";
  } else {
    if (a.site.empty()) return Status::InvalidArgument("--site: a site node needs its site code");
    if (!a.hq_address.empty()) {
      return Status::InvalidArgument(
          "--hq-address: only for the HQ node (sites learn it from "
          "their certificate)");
    }
    id.site = a.site;
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string_view pass, ctx.NewPassphrase());
  node::InitOptions opts;  // Argon2id MODERATE
  opts.hq_address = a.hq_address;
  OUTPOST_ASSIGN_OR_RETURN(
      node::InitResult r,
      node::InitNode(ctx.data_dir, id, pass, ProcessClock(), ProcessRandom(), opts));
  // The certificate of the node's pages (`outpost web`, `run --http`).
  OUTPOST_RETURN_IF_ERROR(web::EnsureCertificate(ctx.data_dir, id.name));
  OUTPOST_ASSIGN_OR_RETURN(std::string web_fp,
                           web::CertificateFingerprint(web::CertPath(ctx.data_dir)));
  json j = {{"node_id", UuidToString(id.id)},
            {"role", a.role},
            {"name", id.name},
            {"site", id.site},
            {"data_dir", ctx.data_dir},
            {"key_file", node::KeyFilePath(ctx.data_dir)},
            {"signing_fingerprint", r.signing_fingerprint},
            {"kx_fingerprint", r.kx_fingerprint},
            {"training", id.training},
            {"web_certificate_sha256", web_fp}};
  std::string human = "initialised " + a.role + " node \"" + id.name + "\" (" +
                      UuidToString(id.id) + ") in " + ctx.data_dir + "\n" +
                      "web certificate SHA-256: " + web_fp + "\n";
  if (role == node::Role::kHq && a.hq_address.empty()) {
    // Not an error (a lab HQ may have no fixed address), but every crossing
    // enrolled from here would need `outpost peers add hq HOST:PORT`.
    ctx.err() << "outpost: warning: no --hq-address: the certificates this HQ issues will not "
                 "tell crossings where to reach it; each crossing must then run `outpost peers "
                 "add hq HOST:PORT` (the address is set only by init)\n";
  }
  if (role == node::Role::kHq) {
    j["hq_fingerprint"] = r.signing_fingerprint;
    human += "HQ fingerprint: " + r.signing_fingerprint +
             "\nEvery site pins this with `outpost keys install CERT --hq-fingerprint " +
             r.signing_fingerprint + "`; give it to site admins over a channel you trust.";
  } else {
    human += "fingerprint: " + r.signing_fingerprint +
             "\nNext: `outpost keys request --out FILE` and take the file to HQ.";
  }
  ctx.Emit(j, human);
  return Status::Ok();
}

// ---- keys request ----------------------------------------------------------

Status RunRequest(Context& ctx, const std::string& out) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  if (store->identity().role != node::Role::kSite) {
    return Status::FailedPrecondition("keys request: HQ certifies itself; run this on a site node");
  }
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys unlocked, UnlockNodeKeys(ctx, *store));
  const crypto::NodeSecrets& keys = unlocked.current;
  OUTPOST_ASSIGN_OR_RETURN(Bytes req, node::MakeEnrollmentRequest(*store, keys));
  OUTPOST_RETURN_IF_ERROR(WritePublicFile(out, req, "--out"));
  std::string fp = crypto::Fingerprint(keys.signing.PublicKey().bytes());
  ctx.Emit(
      {{"file", out}, {"node_id", UuidToString(store->identity().id)}, {"signing_fingerprint", fp}},
      "enrollment request written to " + out + "\nfingerprint: " + fp +
          "\nHQ's admin will be shown this fingerprint; confirm it by phone or in person.");
  return Status::Ok();
}

// ---- keys enroll -----------------------------------------------------------

struct EnrollArgs {
  std::string file;
  std::string out;
  int valid_days = node::kDefaultValidDays;
  bool yes = false;
};

Status RunEnroll(Context& ctx, const EnrollArgs& a) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(Bytes req, ReadFile(a.file, kMaxDocumentFileBytes));
  OUTPOST_ASSIGN_OR_RETURN(node::RequestSummary s, node::InspectRequest(*store, req));
  std::string what = s.kind == node::kKindRotation ? "key rotation" : "enrollment";
  std::string shown = what + " request from \"" + s.name + "\" (" +
                      std::string(node::RoleName(s.role)) + " " + s.site + ", node " +
                      UuidToString(s.node_id) + ")\n" +
                      "  signing key fingerprint: " + s.signing_fingerprint + "\n" +
                      "  certificate epoch: " + std::to_string(s.epoch);
  if (!a.yes) {
    ctx.err() << Printable(shown, true) << "\n";  // the name is the requester's text
    return Status::FailedPrecondition(
        "keys enroll: not confirmed; compare the fingerprint above with the one the site's admin "
        "reads from `outpost keys show`, then run again with --yes");
  }
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys unlocked, UnlockNodeKeys(ctx, *store));
  const crypto::NodeSecrets& keys = unlocked.current;
  node::EnrollOptions opts;
  opts.valid_days = a.valid_days;
  OUTPOST_ASSIGN_OR_RETURN(node::Issued issued, node::Enroll(*store, keys, req, opts));
  OUTPOST_RETURN_IF_ERROR(WritePublicFile(a.out, issued.certificate_file, "--out"));
  json j = CertJson(issued.certificate);
  j["kind"] = s.kind;
  j["file"] = a.out;
  ctx.Emit(j, shown + "\ncertificate issued, valid until " + Time(issued.certificate.valid_until) +
                  ", written to " + a.out + "\nThe node is recorded in the registry.");
  return Status::Ok();
}

// ---- keys install ----------------------------------------------------------

Status RunInstall(Context& ctx, const std::string& file, const std::string& fingerprint) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(Bytes bytes, ReadFile(file, kMaxDocumentFileBytes));
  OUTPOST_ASSIGN_OR_RETURN(node::Installed inst,
                           node::InstallCertificate(*store, bytes, fingerprint));
  json j = CertJson(inst.certificate);
  j["rotated"] = inst.rotated;
  j["hq_node_id"] = UuidToString(inst.hq.node_id);
  std::string human = "certificate installed: epoch " + std::to_string(inst.certificate.epoch) +
                      ", valid until " + Time(inst.certificate.valid_until) + "\nHQ " +
                      crypto::Fingerprint(inst.hq.signing_key) + " pinned" +
                      (inst.hq.hq_address.empty() ? "" : " (at " + inst.hq.hq_address + ")");
  if (inst.rotated) human += "\nthe keys from `keys rotate` are now this node's keys";
  ctx.Emit(j, human);
  return Status::Ok();
}

// ---- keys list -------------------------------------------------------------

Status RunList(Context& ctx) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto entries, node::ListRegistry(*store));
  json arr = json::array();
  std::string human;
  for (const auto& e : entries) {
    json j = {{"node_id", UuidToString(e.id)},
              {"name", e.name},
              {"role", std::string(node::RoleName(e.role))},
              {"site", e.site},
              {"signing_fingerprint", crypto::Fingerprint(e.signing_key)},
              {"epoch", e.epoch},
              {"status", e.revoked ? "revoked" : "active"},
              {"valid_until", Time(e.valid_until)},
              {"last_seen", e.last_seen ? json(Time(*e.last_seen * 1000)) : json(nullptr)}};
    if (e.revoked) {
      j["revoked_at"] = Time(e.revoked_at);
      j["reason"] = e.reason;
    }
    if (e.prev_valid_until) j["previous_key_accepted_until"] = Time(*e.prev_valid_until);
    arr.push_back(j);
    human += e.name + "  " + std::string(node::RoleName(e.role)) + " " + e.site + "  " +
             UuidToString(e.id) + "\n  " + crypto::Fingerprint(e.signing_key) + "  epoch " +
             std::to_string(e.epoch) + "  " +
             (e.revoked ? "REVOKED " + Time(e.revoked_at) + " (" + e.reason + ")"
                        : "active until " + Time(e.valid_until)) +
             "  last seen " + (e.last_seen ? Time(*e.last_seen * 1000) : "never") + "\n";
    if (e.prev_valid_until) {
      human += "  previous key (epoch " + std::to_string(e.epoch - 1) + ") accepted until " +
               Time(*e.prev_valid_until) + "\n";
    }
  }
  if (entries.empty())
    human = "no nodes in the registry yet (HQ's reaches a site at its first sync)";
  ctx.Emit({{"nodes", arr}}, human);
  return Status::Ok();
}

// ---- keys revoke -----------------------------------------------------------

Status RunRevoke(Context& ctx, const std::string& which, const std::string& reason) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  if (store->identity().role != node::Role::kHq) {
    return Status::FailedPrecondition("keys revoke: only the HQ node revokes");
  }
  OUTPOST_ASSIGN_OR_RETURN(sync::NodeId id, node::FindNode(*store, which));
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys unlocked, UnlockNodeKeys(ctx, *store));
  const crypto::NodeSecrets& keys = unlocked.current;
  OUTPOST_ASSIGN_OR_RETURN(node::Revocation rev, node::RevokeNode(*store, keys, id, reason));
  ctx.Emit({{"node_id", UuidToString(id)},
            {"revoked_at", Time(rev.time)},
            {"epoch", rev.epoch},
            {"reason", rev.reason}},
           "node " + UuidToString(id) + " revoked at " + Time(rev.time) +
               "; the revocation reaches every node at its next sync, and what the node made "
               "after this time is quarantined");
  return Status::Ok();
}

// ---- keys rotate -----------------------------------------------------------

Status RunRotate(Context& ctx, const std::string& out) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(node::UnlockedKeys unlocked, UnlockNodeKeys(ctx, *store));
  const crypto::NodeSecrets& keys = unlocked.current;
  OUTPOST_ASSIGN_OR_RETURN(std::string_view pass, ctx.Passphrase());
  OUTPOST_ASSIGN_OR_RETURN(auto pending, node::PendingRotation(*store));
  OUTPOST_ASSIGN_OR_RETURN(Bytes statement, node::RotateKeys(*store, keys, pass, ProcessRandom()));
  const bool resumed = pending && *pending == statement;
  if (!out.empty()) OUTPOST_RETURN_IF_ERROR(WritePublicFile(out, statement, "--out"));
  OUTPOST_ASSIGN_OR_RETURN(node::Envelope env, node::DecodeEnvelope(statement));
  OUTPOST_ASSIGN_OR_RETURN(node::RotationStatement rot, node::DecodeRotation(env.body));
  std::string fp = crypto::Fingerprint(rot.new_signing_key);
  json j = {{"new_signing_fingerprint", fp},
            {"old_epoch", rot.old_epoch},
            {"new_epoch", rot.old_epoch + 1},
            {"resumed", resumed},
            {"file", out.empty() ? json(nullptr) : json(out)}};
  std::string human =
      resumed ? "a rotation is already pending (new key " + fp + ", made " + Time(rot.time) +
                    "); its statement is unchanged"
              : "new keys made (" + fp + ") and sealed in " + node::NextKeyFilePath(store->dir());
  human +=
      "\nthe next `outpost sync` (or `outpost run`) with HQ presents the rotation; HQ "
      "issues the certificate of epoch " +
      std::to_string(rot.old_epoch + 1) +
      " and this node switches to the new keys. Until then it keeps its current key.";
  if (!out.empty()) {
    human += "\nwithout a link: rotation statement written to " + out +
             "; HQ runs `outpost keys enroll` on it, then `outpost keys install` the "
             "certificate here.";
  }
  ctx.Emit(j, human);
  return Status::Ok();
}

// ---- keys log --------------------------------------------------------------

Status RunLog(Context& ctx, int64_t limit) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(auto log, node::ListTrustLog(*store, limit));
  OUTPOST_ASSIGN_OR_RETURN(auto quarantine, node::ListQuarantine(*store, limit));
  json jl = json::array(), jq = json::array();
  std::string human = "trust log (" + std::to_string(log.size()) + "):\n";
  for (const auto& e : log) {
    jl.push_back({{"time", Time(e.time)},
                  {"code", e.code},
                  {"message", e.message},
                  {"origin", e.origin ? json(UuidToString(*e.origin)) : json(nullptr)},
                  {"scope", e.scope.empty() ? json(nullptr) : json(e.scope)},
                  {"seq", e.scope.empty() ? json(nullptr) : json(e.seq)}});
    human += "  " + Time(e.time) + "  " + e.code + "  " + e.message + "\n";
  }
  human += "quarantine (" + std::to_string(quarantine.size()) + "):";
  for (const auto& q : quarantine) {
    jq.push_back({{"received_at", Time(q.received_at)},
                  {"origin", UuidToString(q.origin)},
                  {"scope", q.scope},
                  {"seq", q.seq},
                  {"made_at", Time(sync::HlcPhysicalMillis(q.hlc) * 1000)},
                  {"reason", q.reason}});
    human += "\n  " + Time(q.received_at) + "  " + UuidToString(q.origin) + " " + q.scope + " #" +
             std::to_string(q.seq) + "  " + q.reason;
  }
  ctx.Emit({{"trust_log", jl}, {"quarantine", jq}}, human);
  return Status::Ok();
}

// ---- keys change-passphrase ------------------------------------------------

// Wipes a string holding a secret when it goes out of scope.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { explicit_bzero(s.data(), s.size()); }
};

Result<std::string> NewPassphrase(Context& ctx, const std::string& file) {
  std::string value;
  value.reserve(1024);  // on the heap: returning it moves the buffer, no copy is left
  if (!file.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(Bytes b, ReadFile(file, 4096));
    value.assign(b.begin(), b.end());
    explicit_bzero(b.data(), b.size());
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  } else if (auto v = ctx.env().getenv("OUTPOST_NEW_PASSPHRASE"); v && !v->empty()) {
    value = *v;
  } else if (ctx.env().stdin_is_tty()) {
    OUTPOST_ASSIGN_OR_RETURN(value, ctx.env().read_secret("New passphrase: "));
    OUTPOST_ASSIGN_OR_RETURN(std::string again, ctx.env().read_secret("New passphrase again: "));
    WipeOnExit wipe_again{again};
    if (again != value) return Status::InvalidArgument("new passphrase: the two entries differ");
  } else {
    return Status::InvalidArgument(
        "no new passphrase: pass --new-passphrase-file FILE or set OUTPOST_NEW_PASSPHRASE");
  }
  if (value.empty()) return Status::InvalidArgument("new passphrase: must not be empty");
  OUTPOST_RETURN_IF_ERROR(CheckPassphraseStrength(value).WithContext("new passphrase"));
  return value;
}

Status RunChangePassphrase(Context& ctx, const std::string& new_file) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(std::string_view old_pass, ctx.Passphrase());
  OUTPOST_ASSIGN_OR_RETURN(std::string new_pass, NewPassphrase(ctx, new_file));
  WipeOnExit wipe_new{new_pass};
  std::vector<std::string> files = {node::KeyFilePath(store->dir())};
  std::error_code ec;
  if (fs::exists(node::NextKeyFilePath(store->dir()), ec)) {
    files.push_back(node::NextKeyFilePath(store->dir()));
  }
  // Check every file opens before changing any.
  for (const auto& f : files) {
    OUTPOST_ASSIGN_OR_RETURN(auto s, UnlockKeyFile(ctx, f));
    (void)s;
  }
  for (const auto& f : files) {
    OUTPOST_RETURN_IF_ERROR(
        node::ChangeKeyFilePassphrase(f, old_pass, new_pass, crypto::PwhashParams::Moderate()));
  }
  ctx.Emit({{"changed", files}}, "passphrase changed for " + std::to_string(files.size()) +
                                     " key file(s); the old passphrase no longer opens them");
  return Status::Ok();
}

// ---- keys show -------------------------------------------------------------

Status RunKeysShow(Context& ctx) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(node::PublicKeys pub, node::LoadPublicKeys(*store));
  OUTPOST_ASSIGN_OR_RETURN(auto cert, node::LoadOwnCertificate(*store));
  OUTPOST_ASSIGN_OR_RETURN(auto hq, node::LoadHqCertificate(*store));
  const node::Identity& me = store->identity();
  std::string sfp = crypto::Fingerprint(pub.signing);
  json j = {{"node_id", UuidToString(me.id)},
            {"role", std::string(node::RoleName(me.role))},
            {"name", me.name},
            {"site", me.site},
            {"signing_fingerprint", sfp},
            {"kx_fingerprint", crypto::Fingerprint(pub.kx)},
            {"key_file", node::KeyFilePath(store->dir())},
            {"certificate", cert ? CertJson(*cert) : json(nullptr)},
            {"hq_fingerprint", hq ? json(crypto::Fingerprint(hq->signing_key)) : json(nullptr)},
            {"hq_address", hq ? json(hq->hq_address) : json(nullptr)}};
  std::error_code ec;
  OUTPOST_ASSIGN_OR_RETURN(auto statement, node::PendingRotation(*store));
  bool pending = statement && fs::exists(node::NextKeyFilePath(store->dir()), ec);
  j["rotation_pending"] = pending;
  if (auto kf = ReadFile(node::KeyFilePath(store->dir()), 4096); kf.ok()) {
    if (auto p = crypto::ReadKeyFileParams(*kf); p.ok()) {
      j["argon2id"] = {{"opslimit", p->opslimit}, {"memlimit", p->memlimit}};
    }
  }
  std::string human = me.name + " (" + std::string(node::RoleName(me.role)) + " " + me.site +
                      ", node " + UuidToString(me.id) + ")\nfingerprint: " + sfp +
                      "\nkx fingerprint: " + crypto::Fingerprint(pub.kx) + "\n";
  if (cert) {
    human += "certificate: epoch " + std::to_string(cert->epoch) + ", valid until " +
             Time(cert->valid_until) + "\n";
  } else {
    human += "certificate: none (not enrolled yet)\n";
  }
  human += hq ? "HQ: " + crypto::Fingerprint(hq->signing_key) +
                    (hq->hq_address.empty() ? "" : " at " + hq->hq_address)
              : std::string("HQ: none pinned");
  if (pending) {
    human +=
        "\nrotation pending: the next sync with HQ completes it (or `keys install` the "
        "certificate HQ issued from the statement file)";
  }
  ctx.Emit(j, human);
  return Status::Ok();
}

}  // namespace

void AddKeysCommands(CLI::App& app, Context& ctx) {
  {
    auto a = std::make_shared<InitArgs>();
    auto* init = app.add_subcommand("init", "Create this node's store and keys");
    init->add_option("--role", a->role, "hq or site")
        ->required()
        ->check(CLI::IsMember({"hq", "site"}));
    init->add_option("--name", a->name, "The node's name, e.g. \"Gradiška crossing\"")->required();
    init->add_option("--site", a->site, "Site code of a site node, e.g. BA-GRA");
    init->add_option("--hq-address", a->hq_address, "HQ only: HOST:PORT where sites reach it");
    init->add_flag("--training", a->training,
                   "A training node: allows invented officer work (simulate --inspect)");
    OnRun(init, ctx, [&ctx, a] { return RunInit(ctx, *a); });
  }

  auto* keys = app.add_subcommand("keys", "Node keys: enroll, install, rotate, revoke");
  keys->require_subcommand(1);
  {
    auto out = std::make_shared<std::string>();
    auto* c = keys->add_subcommand("request", "Write an enrollment request for HQ (site)");
    c->add_option("--out", *out, "Request file to write")->required()->type_name("FILE");
    OnRun(c, ctx, [&ctx, out] { return RunRequest(ctx, *out); });
  }
  {
    auto a = std::make_shared<EnrollArgs>();
    auto* c =
        keys->add_subcommand("enroll", "Certify a node from its request or rotation file (HQ)");
    c->add_option("FILE", a->file, "Enrollment request or rotation statement")->required();
    c->add_option("--out", a->out, "Certificate file to write")->required()->type_name("CERT");
    c->add_option("--valid-days", a->valid_days, "Certificate validity in days")
        ->check(CLI::Range(1, 3650));
    c->add_flag("--yes", a->yes, "Confirm after comparing the fingerprint shown");
    OnRun(c, ctx, [&ctx, a] { return RunEnroll(ctx, *a); });
  }
  {
    auto file = std::make_shared<std::string>();
    auto fp = std::make_shared<std::string>();
    auto* c = keys->add_subcommand("install", "Install this node's certificate and pin HQ (site)");
    c->add_option("CERT", *file, "Certificate file from `keys enroll`")->required();
    c->add_option("--hq-fingerprint", *fp, "HQ's fingerprint, from HQ's admin")->required();
    OnRun(c, ctx, [&ctx, file, fp] { return RunInstall(ctx, *file, *fp); });
  }
  {
    auto* c = keys->add_subcommand("list", "List the node registry");
    OnRun(c, ctx, [&ctx] { return RunList(ctx); });
  }
  {
    auto node = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    auto* c = keys->add_subcommand("revoke", "Revoke a node's certificate (HQ)");
    c->add_option("NODE", *node, "Node id or name")->required();
    c->add_option("--reason", *reason, "Why (recorded in the signed revocation)")->required();
    OnRun(c, ctx, [&ctx, node, reason] { return RunRevoke(ctx, *node, *reason); });
  }
  {
    auto out = std::make_shared<std::string>();
    auto* c = keys->add_subcommand("rotate",
                                   "Make new keys; the next sync with HQ certifies them (site)");
    c->add_option("--out", *out, "Also write the rotation statement to FILE (for HQ by hand)")
        ->type_name("FILE");
    OnRun(c, ctx, [&ctx, out] { return RunRotate(ctx, *out); });
  }
  {
    auto limit = std::make_shared<int64_t>(100);
    auto* c = keys->add_subcommand("log", "Show the trust log and the quarantine");
    c->add_option("--limit", *limit, "The newest N entries of each (default 100)")
        ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
    OnRun(c, ctx, [&ctx, limit] { return RunLog(ctx, *limit); });
  }
  {
    auto file = std::make_shared<std::string>();
    auto* c =
        keys->add_subcommand("change-passphrase", "Re-seal the key file(s) under a new passphrase");
    c->add_option("--new-passphrase-file", *file,
                  "File holding the new passphrase (else $OUTPOST_NEW_PASSPHRASE, else a prompt)")
        ->type_name("FILE");
    OnRun(c, ctx, [&ctx, file] { return RunChangePassphrase(ctx, *file); });
  }
  {
    auto* c = keys->add_subcommand("show", "Show this node's keys, certificate and pinned HQ");
    OnRun(c, ctx, [&ctx] { return RunKeysShow(ctx); });
  }
}

}  // namespace outpost::cli
