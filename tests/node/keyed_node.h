// A node with its keys for tests that carry HQ's signed data to a crossing
// by hand (no sockets): init with a password-protected key file, HQ's trust
// policy at once, a site's once HQ enrolled it (EnrollSite), and Deliver,
// which seals `from`'s changes and merges them into `to` through `to`'s
// trust policy. Used by risk_store_test and shift_test.
#ifndef OUTPOST_TESTS_NODE_KEYED_NODE_H_
#define OUTPOST_TESTS_NODE_KEYED_NODE_H_

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "crypto/secret.h"
#include "node/registry.h"
#include "node/trust.h"
#include "tests/node/node_fixture.h"
#include "tests/support/node_secrets.h"

namespace outpost::testing {

inline constexpr char kKeyedNodePass[] = "correct horse battery staple";

struct KeyedNode {
  TempDir dir;
  std::unique_ptr<node::Store> store;
  std::unique_ptr<crypto::NodeSecrets> keys;
  std::unique_ptr<node::TrustPolicy> policy;

  KeyedNode(Clock& clock, Random& random, node::Role role, const std::string& site) {
    BOOST_REQUIRE(crypto::InitCrypto().ok());
    node::Identity id;
    id.id = NewUuidV7(clock, random);
    id.role = role;
    id.name = site;
    id.site = site;
    node::InitOptions opts;
    opts.pwhash = crypto::PwhashParams::ForTests();
    auto r = node::InitNode(dir.str(), id, kKeyedNodePass, clock, random, opts);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    store = std::move(r->store);
    auto k = node::ReadKeyFile(node::KeyFilePath(dir.str()), kKeyedNodePass);
    BOOST_REQUIRE(k.ok());
    keys = std::make_unique<crypto::NodeSecrets>(std::move(*k));
    if (role == node::Role::kHq) MakePolicy();
  }
  void MakePolicy() {
    auto p = node::TrustPolicy::Create(*store, CloneNodeSecrets(*keys));
    BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    policy = std::move(*p);
  }
  std::string fingerprint() const { return crypto::Fingerprint(keys->signing.PublicKey().bytes()); }
  // Seals this node's pending changes and returns every batch `to` lacks.
  std::vector<sync::SignedBatch> BatchesFor(KeyedNode& to) {
    BOOST_REQUIRE(store->replica()
                      .Seal([&](std::span<const uint8_t> in) {
                        auto sig = keys->signing.Sign(in);
                        return Bytes(sig.begin(), sig.end());
                      })
                      .ok());
    auto vv = to.store->replica().GetVersionVector();
    BOOST_REQUIRE(vv.ok());
    auto out = store->replica().BatchesFor(
        *vv, [](const std::string&) { return true; }, SIZE_MAX);
    BOOST_REQUIRE(out.ok());
    std::vector<sync::SignedBatch> v;
    for (auto& b : *out) v.push_back(b.batch);
    return v;
  }
};

inline sync::MergeReport Deliver(KeyedNode& from, KeyedNode& to) {
  auto batches = from.BatchesFor(to);
  auto r = node::MergeTrusted(*to.store, *to.policy, batches);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

// HQ enrols `site`, which installs its certificate and gets its trust policy.
inline void EnrollSite(KeyedNode& hq, KeyedNode& site) {
  auto req = node::MakeEnrollmentRequest(*site.store, *site.keys);
  BOOST_REQUIRE(req.ok());
  auto issued = node::Enroll(*hq.store, *hq.keys, *req);
  BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
  auto inst = node::InstallCertificate(*site.store, issued->certificate_file, hq.fingerprint());
  BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
  site.MakePolicy();
}

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_NODE_KEYED_NODE_H_
