// Fixtures for the sync protocol tests: a fake PeerPolicy over a shared
// directory of enrolled keys, and nodes with keys, a replica and a ledger.
#ifndef OUTPOST_TESTS_SYNC_NET_FIXTURE_H_
#define OUTPOST_TESTS_SYNC_NET_FIXTURE_H_

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "crypto/keys.h"
#include "crypto/secret.h"
#include "sync/peer_ledger.h"
#include "sync/peer_policy.h"
#include "sync/session.h"
#include "tests/sync/test_node.h"

namespace outpost::sync {
// For Boost.Test messages.
inline std::ostream& operator<<(std::ostream& os, const VersionVector& vv) {
  os << "{";
  for (const auto& [k, seq] : vv.seqs)
    os << UuidToString(k.first).substr(0, 8) << "/" << k.second << "=" << seq << " ";
  return os << "}";
}

}  // namespace outpost::sync

namespace outpost::testing {

// Who is enrolled, with which keys, reading which scopes. Thread-safe.
struct Directory {
  std::mutex mu;
  std::map<crypto::PublicKeyBytes, sync::NodeId> kx;
  std::map<sync::NodeId, crypto::VerifyKey> verify;
  std::map<sync::NodeId, std::set<std::string>> reads;  // absent: reads every scope
  std::set<sync::NodeId> revoked;
};

class FakePolicy final : public sync::PeerPolicy {
 public:
  FakePolicy(Directory& dir, const sync::NodeId& self, const crypto::SigningKey& key)
      : dir_(dir), self_(self), key_(key) {}
  const sync::NodeId& SelfId() const override { return self_; }
  Result<sync::NodeId> AuthorizePeer(const sync::KxPublicKey& remote) override {
    std::lock_guard<std::mutex> lock(dir_.mu);
    auto it = dir_.kx.find(remote);
    if (it == dir_.kx.end()) return Status::Unauthenticated("no enrolled certificate has this key");
    if (dir_.revoked.count(it->second)) return Status::PermissionDenied("node is revoked");
    return it->second;
  }
  bool MayRead(const sync::NodeId& peer, const std::string& scope) override {
    std::lock_guard<std::mutex> lock(dir_.mu);
    auto it = dir_.reads.find(peer);
    return it == dir_.reads.end() || it->second.count(scope) > 0;
  }
  Status VerifyBatch(const sync::ChangeBatch& batch, const sync::SignedBatch& sb) override {
    std::lock_guard<std::mutex> lock(dir_.mu);
    auto it = dir_.verify.find(batch.origin);
    if (it == dir_.verify.end()) return Status::Unavailable("author unknown here");
    return it->second.Verify(sync::SigningInput(sb.body), sb.signature);
  }
  Bytes Sign(std::span<const uint8_t> input) override {
    auto sig = key_.Sign(input);
    return Bytes(sig.begin(), sig.end());
  }
  Status VerifySignature(const sync::NodeId& signer, std::span<const uint8_t> message,
                         std::span<const uint8_t> signature) override {
    std::lock_guard<std::mutex> lock(dir_.mu);
    auto it = dir_.verify.find(signer);
    if (it == dir_.verify.end()) return Status::Unauthenticated("signer unknown here");
    return it->second.Verify(message, signature);
  }

 private:
  Directory& dir_;
  sync::NodeId self_;
  const crypto::SigningKey& key_;
};

struct NetNode {
  SeededRandom random;
  TestNode node;
  crypto::SigningKey signing;
  crypto::KxKeyPair kx;
  FakePolicy policy;
  std::unique_ptr<sync::PeerLedger> ledger;

  NetNode(Directory& dir, uint8_t tag, bool enrol = true, std::string path = ":memory:")
      : random(1000 + tag),
        node(tag, 2, path),
        signing(crypto::SigningKey::Generate(random)),
        kx(crypto::KxKeyPair::Generate(random)),
        policy(dir, node.id, signing) {
    if (enrol) {
      std::lock_guard<std::mutex> lock(dir.mu);
      dir.kx[kx.PublicKey()] = node.id;
      dir.verify.emplace(node.id, signing.PublicKey());
    }
    auto l = sync::PeerLedger::Open(*node.db);
    BOOST_REQUIRE(l.ok());
    ledger = std::move(*l);
  }
  sync::SessionEnv Env() {
    return sync::SessionEnv{node.replica.get(), &policy, ledger.get(), &node.clock, &random};
  }
  const sync::NodeId& id() const { return node.id; }

  // One row per call, so each call makes one batch.
  void Write(int n, const std::string& scope, int start = 0) {
    for (int i = start; i < start + n; ++i) {
      auto w = std::move(*node.replica->BeginWrite());
      Uuid id{};
      id[0] = node.id[0];
      uint32_t h = 2166136261u;
      for (char c : scope) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
      std::memcpy(&id[1], &h, 4);
      id[12] = static_cast<uint8_t>(i >> 24);
      id[13] = static_cast<uint8_t>(i >> 16);
      id[14] = static_cast<uint8_t>(i >> 8);
      id[15] = static_cast<uint8_t>(i);
      std::vector<sync::ColumnValue> vals{
          {1, schema::Value{std::string("value-") + std::to_string(i) + "-" + scope}},
          {2, schema::Value{int64_t{i}}}};
      BOOST_REQUIRE(w->Insert(node.table("item"), id, scope, vals).ok());
      BOOST_REQUIRE(w->Commit().ok());
    }
  }
  std::string Digest(std::optional<std::string> scope = std::nullopt) {
    return DigestHex(node, scope);
  }
};

// Boost global fixture: libsodium initialised once per test run.
struct CryptoInit {
  CryptoInit() { BOOST_REQUIRE(crypto::InitCrypto().ok()); }
};

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_SYNC_NET_FIXTURE_H_
