// A small network of real nodes for node tests: HQ and two sites, each
// with its own data directory, store, sealed key file and trust policy,
// enrolled through the real request/certificate files. Argon2id runs at
// PwhashParams::ForTests(). ServiceNetwork adds SyncServices on loopback
// that log into the fixture.
#ifndef OUTPOST_TESTS_NODE_NETWORK_FIXTURE_H_
#define OUTPOST_TESTS_NODE_NETWORK_FIXTURE_H_

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/keys.h"
#include "node/registry.h"
#include "node/sync_service.h"
#include "node/trust.h"
#include "tests/node/node_fixture.h"
#include "tests/support/node_secrets.h"

namespace outpost::testing {

using namespace outpost::node;

inline constexpr char kPass[] = "correct horse battery staple";
inline constexpr int64_t kStart = 1'795'000'000'000'000;  // 2026-11
inline constexpr int64_t kSecond = 1'000'000;

// A node: its data directory, store and unlocked keys.
struct Node {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<crypto::NodeSecrets> keys;
  std::unique_ptr<TrustPolicy> policy;  // once it trusts an HQ

  Node(Clock& clock, Random& random, Role role, const std::string& name, const std::string& site) {
    BOOST_REQUIRE(crypto::InitCrypto().ok());
    Identity id;
    id.id = NewUuidV7(clock, random);
    id.role = role;
    id.name = name;
    id.site = site;
    InitOptions opts;
    opts.pwhash = crypto::PwhashParams::ForTests();
    opts.hq_address = role == Role::kHq ? "hq.example:7700" : "";
    auto r = InitNode(dir.str(), id, kPass, clock, random, opts);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    store = std::move(r->store);
    Unlock();
    if (role == Role::kHq) MakePolicy();
  }
  void Unlock() {
    auto k = ReadKeyFile(KeyFilePath(dir.str()), kPass);
    BOOST_REQUIRE_MESSAGE(k.ok(), k.status().ToString());
    keys = std::make_unique<crypto::NodeSecrets>(std::move(*k));
  }
  void MakePolicy() {
    auto p = TrustPolicy::Create(*store, CloneNodeSecrets(*keys));
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    policy = std::move(*p);
  }
  const sync::NodeId& id() const { return store->identity().id; }
  std::string fingerprint() const { return crypto::Fingerprint(keys->signing.PublicKey().bytes()); }

  // One new vehicle row in this node's own scope (or `scope`).
  Uuid Write(const std::string& plate, std::optional<std::string> scope = std::nullopt) {
    const schema::Table& t = *store->catalogue().Find("vehicle");
    Uuid id = store->NewId();
    auto w = store->replica().BeginWrite();
    BOOST_REQUIRE(w.ok());
    std::vector<sync::ColumnValue> cols = {{1, plate}, {2, std::string("BA")}};
    Status s = (*w)->Insert(t, id, scope.value_or(store->ScopeFor(t)), cols);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
    BOOST_REQUIRE((*w)->Commit().ok());
    return id;
  }
  void SignWith(const crypto::NodeSecrets& k) {
    auto s = store->replica().Seal([&](std::span<const uint8_t> in) {
      auto sig = k.signing.Sign(in);
      return Bytes(sig.begin(), sig.end());
    });
    BOOST_REQUIRE(s.ok());
  }
  // Every signed batch this node holds that `to` lacks.
  std::vector<sync::SignedBatch> BatchesFor(Node& to) {
    SignWith(*keys);
    auto vv = to.store->replica().GetVersionVector();
    BOOST_REQUIRE(vv.ok());
    auto out = store->replica().BatchesFor(
        *vv, [](const std::string&) { return true; }, SIZE_MAX);
    BOOST_REQUIRE(out.ok());
    std::vector<sync::SignedBatch> v;
    for (auto& b : *out) v.push_back(b.batch);
    return v;
  }
  bool Has(const Uuid& row) {
    bool deleted = false;
    auto r = store->replica().ReadRow(*store->catalogue().Find("vehicle"), row, &deleted);
    return r.ok() && !deleted;
  }
};

inline sync::MergeReport MergeInto(Node& to, std::span<const sync::SignedBatch> batches) {
  BOOST_REQUIRE(to.policy);
  auto r = MergeTrusted(*to.store, *to.policy, batches);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

inline sync::MergeReport Deliver(Node& from, Node& to) {
  auto batches = from.BatchesFor(to);
  return MergeInto(to, batches);
}

inline bool RefusedWith(const sync::MergeReport& r, Code code, const std::string& needle = "") {
  for (const auto& s : r.refused) {
    if (s.code() == code && s.message().find(needle) != std::string::npos) return true;
  }
  return false;
}

inline std::string Describe(const sync::MergeReport& r) {
  std::string s = "applied " + std::to_string(r.applied) + ", refused:";
  for (const auto& st : r.refused) s += " [" + st.ToString() + "]";
  return s;
}

// HQ and two sites, enrolled through files, the registry delivered.
struct Network {
  FakeClock clock{kStart};
  SeededRandom random{2026};
  Node hq{clock, random, Role::kHq, "HQ Sarajevo", "HQ"};
  Node gra{clock, random, Role::kSite, "Gradiška", "BA-GRA"};
  Node bij{clock, random, Role::kSite, "Bijača", "BA-BIJ"};

  // `deliver_registry`: hand HQ's registry to the sites directly (false:
  // the sites know only their own certificate, as after `keys install`).
  explicit Network(bool deliver_registry = true) {
    Enroll(gra);
    Enroll(bij);
    if (deliver_registry) Sync();
  }
  void Enroll(Node& site, int valid_days = 365) {
    auto req = MakeEnrollmentRequest(*site.store, *site.keys);
    BOOST_REQUIRE_MESSAGE(req.ok(), req.status().ToString());
    EnrollOptions o;
    o.valid_days = valid_days;
    auto issued = node::Enroll(*hq.store, *hq.keys, *req, o);
    BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
    auto inst = InstallCertificate(*site.store, issued->certificate_file, hq.fingerprint());
    BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
    site.MakePolicy();
  }
  // HQ's registry to both sites, then the sites' changes to HQ.
  void Sync() {
    for (Node* s : {&gra, &bij}) {
      auto r = Deliver(hq, *s);
      BOOST_REQUIRE_MESSAGE(r.refused.empty(), Describe(r));
    }
  }
};

// The address a service serving on loopback listens on.
inline std::string Address(SyncService& s) { return "127.0.0.1:" + std::to_string(s.port()); }

// The network with SyncServices. The sites start as after `keys install`:
// they hold their certificate and HQ's, not yet the registry, which the
// first session brings. Every service opened here logs into `log`; the
// services' threads append under `log_mu`, Logged() and Log() read under it.
struct ServiceNetwork : Network {
  enum class ServiceClock {
    kWall,     // the system clock
    kNetwork,  // the network's FakeClock, so a test can step over a grace period
  };
  explicit ServiceNetwork(ServiceClock c)
      : Network(false),
        service_clock(c == ServiceClock::kNetwork ? static_cast<Clock&>(clock)
                                                  : static_cast<Clock&>(wall)) {}
  SystemClock wall;
  SystemRandom rnd;
  Clock& service_clock;  // `clock` or `wall`, both owned here
  std::vector<std::string> log;
  std::mutex log_mu;

  // Handshake and idle timeouts of 5 s; log lines into `log`.
  SyncServiceOptions Options() {
    SyncServiceOptions o;
    o.limits.handshake_timeout = std::chrono::milliseconds(5000);
    o.limits.idle_timeout = std::chrono::milliseconds(5000);
    o.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu);
      log.push_back(line);
    };
    return o;
  }
  // A service on `dir` with `keys` (e.g. an old copy of a node's data
  // directory), on the service clock, with Options().
  std::unique_ptr<SyncService> Open(const std::string& dir, const crypto::NodeSecrets& keys) {
    auto s = SyncService::Open(dir, keys, service_clock, rnd, Options());
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    return std::move(*s);
  }
  std::unique_ptr<SyncService> Open(Node& n) { return Open(n.dir.str(), *n.keys); }
  bool Logged(const std::string& needle) {
    std::lock_guard<std::mutex> lock(log_mu);
    for (const auto& l : log) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  // Every line logged so far, one a line, for failure messages.
  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu);
    std::string s;
    for (const auto& l : log) s += l + "\n";
    return s;
  }
};

// A ServiceNetwork whose services run on the wall clock.
struct WallServices : ServiceNetwork {
  WallServices() : ServiceNetwork(ServiceClock::kWall) {}
  // The digest of `scope` in `n`'s replica, in hex.
  std::string DigestOf(Node& n, const std::string& scope) {
    auto d = n.store->replica().Digest(scope);
    BOOST_REQUIRE(d.ok());
    return ToHex(*d);
  }
};

// The status of peer `id` in `v`, or null.
inline const node::PeerStatus* FindPeer(const std::vector<node::PeerStatus>& v,
                                        const sync::NodeId& id) {
  for (const auto& p : v) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_NODE_NETWORK_FIXTURE_H_
