// Key rotation across sync (issue 5): real stores, real keys, real sockets
// on loopback, a fake clock for the grace period. A site rotates, the next
// session with HQ certifies the new keys and the site switches to them; its
// old key is accepted for the grace period and refused after; forged
// statements are refused with a reason; a cut anywhere in the exchange is
// retried to the same certificate.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/bytes.h"
#include "node/registry_internal.h"
#include "node/sync_service.h"
#include "tests/node/network_fixture.h"
#include "tests/tools/fault_proxy_lib.h"

using namespace outpost;
using namespace outpost::node;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

// Sites as after `keys install`; every service runs on the network's fake
// clock, so the grace period can be stepped over.
struct Rotation : ServiceNetwork {
  Rotation() : ServiceNetwork(ServiceClock::kNetwork) {}

  // `keys rotate` at `site`, and its new keys handed to `svc`.
  Bytes Rotate(Node& site, SyncService& svc) {
    auto statement =
        RotateKeys(*site.store, *site.keys, kPass, random, crypto::PwhashParams::ForTests());
    BOOST_REQUIRE_MESSAGE(statement.ok(), statement.status().ToString());
    auto unlocked = UnlockNodeKeys(*site.store, kPass);
    BOOST_REQUIRE_MESSAGE(unlocked.ok(), unlocked.status().ToString());
    BOOST_REQUIRE(unlocked->next.has_value());
    BOOST_REQUIRE(svc.SetNextKeys(*unlocked->next).ok());
    return *statement;
  }
  uint32_t EpochAt(Node& viewer, const sync::NodeId& id) {
    auto entries = ListRegistry(*viewer.store);
    BOOST_REQUIRE(entries.ok());
    for (const auto& e : *entries) {
      if (e.id == id) return e.epoch;
    }
    return 0;
  }
  uint32_t OwnEpoch(Node& n) {
    auto c = LoadOwnCertificate(*n.store);
    BOOST_REQUIRE(c.ok() && c->has_value());
    return (*c)->epoch;
  }
};

// A copy of a node's data directory as it is now: the "old laptop image"
// that still holds the old keys.
void CopyDataDir(Node& n, const std::string& to) {
  BOOST_REQUIRE(n.store->db().Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(n.dir.str())) {
    if (e.path().string().ends_with("-shm")) continue;
    fs::copy(e.path(), fs::path(to) / e.path().filename());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rotation)

BOOST_AUTO_TEST_CASE(rotation_completes_at_the_next_sync_and_the_site_keeps_syncing) {
  Rotation net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  Uuid before = net.gra.Write("BEFORE-ROTATE");
  auto t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  BOOST_TEST(t->rotation.empty());
  BOOST_TEST(net.hq.Has(before));

  const crypto::NodeSecrets old_keys = CloneNodeSecrets(*net.gra.keys);
  net.Rotate(net.gra, *gra);
  // Written after `keys rotate`, before the certificate: signed with the old key.
  Uuid pending = net.gra.Write("WHILE-PENDING");
  t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  BOOST_TEST(t->rotated, t->rotation);
  BOOST_TEST(t->rotation.find("installed certificate epoch 2") != std::string::npos, t->rotation);
  BOOST_TEST(net.OwnEpoch(net.gra) == 2u);
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 2u);
  BOOST_TEST(net.hq.Has(pending));
  BOOST_TEST(t->refused == 0u, t->last_refusal);

  // On disk: node.key holds the new keys, node.key.next and the pending
  // statement are gone.
  BOOST_TEST(!fs::exists(NextKeyFilePath(net.gra.dir.str())));
  auto pend = PendingRotation(*net.gra.store);
  BOOST_REQUIRE(pend.ok());
  BOOST_TEST(!pend->has_value());
  auto on_disk = ReadKeyFile(KeyFilePath(net.gra.dir.str()), kPass);
  BOOST_REQUIRE(on_disk.ok());
  BOOST_TEST(!(on_disk->signing.PublicKey() == old_keys.signing.PublicKey()));
  BOOST_TEST((gra->policy().keys().signing.PublicKey() == on_disk->signing.PublicKey()));

  // After: the same service signs with the new key, HQ accepts it, and the
  // new key opens sessions (IK/XX with the new static key).
  Uuid after = net.gra.Write("AFTER-ROTATE");
  t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  BOOST_TEST(t->rotation.empty());
  BOOST_TEST(net.hq.Has(after));
  auto hq_log = ListTrustLog(*net.hq.store);
  BOOST_REQUIRE(hq_log.ok());
  BOOST_TEST(hq_log->empty());
  auto dh = net.hq.store->replica().Digest("site:BA-GRA");
  auto dg = net.gra.store->replica().Digest("site:BA-GRA");
  BOOST_REQUIRE(dh.ok() && dg.ok());
  BOOST_TEST(ToHex(*dh) == ToHex(*dg));

  // Another node verifies the site's whole history after the rotation: the
  // batches signed with the old key (within the grace period) and the new.
  auto bij = net.Open(net.bij);
  BOOST_REQUIRE(bij->SyncWith(Address(*hq)).ok());  // the registry, epoch 2
  net.gra.Unlock();
  net.gra.MakePolicy();
  auto r = Deliver(net.gra, net.bij);
  BOOST_TEST(r.refused.empty(), Describe(r));
  BOOST_TEST(net.bij.Has(before));
  BOOST_TEST(net.bij.Has(pending));
  BOOST_TEST(net.bij.Has(after));
}

BOOST_AUTO_TEST_CASE(the_old_key_opens_sessions_within_grace_and_is_refused_after) {
  Rotation net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  const std::string image = net.gra.dir.str() + "-old-image";
  const crypto::NodeSecrets old_keys = CloneNodeSecrets(*net.gra.keys);
  {
    auto gra = net.Open(net.gra);
    BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
    CopyDataDir(net.gra, image);  // still the old keys
    net.Rotate(net.gra, *gra);
    auto t = gra->SyncWith(Address(*hq));
    BOOST_REQUIRE_MESSAGE(t.ok() && t->rotated, (t.ok() ? t->rotation : t.status().ToString()));
  }
  // Within the grace period the old key still opens a session.
  net.clock.Advance(kDefaultRotationGraceMicros - 60 * kSecond);
  {
    auto old_node = net.Open(image, old_keys);
    auto t = old_node->SyncWith(Address(*hq));
    BOOST_TEST(t.ok(), (t.ok() ? "" : t.status().ToString()));
  }
  // After it: the handshake is refused, and HQ logs why.
  net.clock.Advance(2 * 60 * kSecond);
  {
    auto old_node = net.Open(image, old_keys);
    auto t = old_node->SyncWith(Address(*hq));
    BOOST_TEST(!t.ok());
    for (int i = 0; i < 100 && !net.Logged("rotation grace period"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST(net.Logged("past its rotation grace period"), net.Log());
  }
  // The rotated node is unaffected.
  net.gra.Unlock();
  auto gra = net.Open(net.gra);
  BOOST_TEST(gra->SyncWith(Address(*hq)).ok());
  fs::remove_all(image);
}

BOOST_AUTO_TEST_CASE(forged_rotation_statements_are_refused_with_a_reason) {
  Rotation net;
  net.Sync();
  crypto::NodeSecrets next = GenerateNodeSecrets(net.random);
  auto statement = [&](const sync::NodeId& id, uint32_t old_epoch,
                       const crypto::SigningKey& current) {
    RotationStatement rot;
    rot.node_id = id;
    rot.old_epoch = old_epoch;
    rot.new_signing_key = next.signing.PublicKey().bytes();
    rot.new_kx_key = next.kx.PublicKey();
    rot.time = net.clock.NowMicros();
    return EncodeEnvelope(SignRotation(rot, current, next.signing));
  };
  auto issue = [&](const sync::NodeId& peer, const Bytes& s) {
    return IssueRotation(*net.hq.store, *net.hq.keys, peer, s);
  };
  // Signed by another node's key.
  auto r = issue(net.gra.id(), statement(net.gra.id(), 1, net.bij.keys->signing));
  BOOST_TEST(r.status().code() == Code::kUnauthenticated, r.status().ToString());
  // Not from the current epoch (so not to epoch + 1).
  r = issue(net.gra.id(), statement(net.gra.id(), 5, net.gra.keys->signing));
  BOOST_TEST(r.status().code() == Code::kConflict, r.status().ToString());
  BOOST_TEST(r.status().message().find("oldEpoch: 5") != std::string::npos, r.status().ToString());
  // Presented by another node than the one it names.
  r = issue(net.bij.id(), statement(net.gra.id(), 1, net.gra.keys->signing));
  BOOST_TEST(r.status().code() == Code::kPermissionDenied, r.status().ToString());
  BOOST_TEST(r.status().message().find("not the authenticated peer") != std::string::npos);
  // For a revoked node.
  BOOST_REQUIRE(RevokeNode(*net.hq.store, *net.hq.keys, net.bij.id(), "laptop stolen").ok());
  r = issue(net.bij.id(), statement(net.bij.id(), 1, net.bij.keys->signing));
  BOOST_TEST(r.status().code() == Code::kPermissionDenied, r.status().ToString());
  BOOST_TEST(r.status().message().find("revoked") != std::string::npos);
  // Nothing was issued.
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 1u);

  // Over TCP: a statement from the wrong epoch is answered with the reason,
  // logged at both ends, and the session still syncs the data.
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  net.Rotate(net.gra, *gra);
  auto unlocked = UnlockNodeKeys(*net.gra.store, kPass);
  BOOST_REQUIRE(unlocked.ok() && unlocked->next);
  RotationStatement bad;
  bad.node_id = net.gra.id();
  bad.old_epoch = 7;
  bad.new_signing_key = unlocked->next->signing.PublicKey().bytes();
  bad.new_kx_key = unlocked->next->kx.PublicKey();
  bad.time = net.clock.NowMicros();
  Bytes forged = EncodeEnvelope(SignRotation(bad, net.gra.keys->signing, unlocked->next->signing));
  {
    auto txn = Transaction::Begin(net.gra.store->db());
    BOOST_REQUIRE(txn.ok());
    BOOST_REQUIRE(internal::PutKeyState(net.gra.store->db(), "rotation_statement", forged).ok());
    BOOST_REQUIRE((*txn)->Commit().ok());
  }
  Uuid row = net.gra.Write("STILL-SYNCS");
  auto t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  BOOST_TEST(!t->rotated);
  BOOST_TEST(t->rotation.find("oldEpoch: 7") != std::string::npos, t->rotation);
  BOOST_TEST(net.hq.Has(row));
  BOOST_TEST(net.OwnEpoch(net.gra) == 1u);
  auto hq_log = ListTrustLog(*net.hq.store);
  BOOST_REQUIRE(hq_log.ok());
  BOOST_REQUIRE(!hq_log->empty());
  BOOST_TEST(hq_log->back().code == "conflict");
  BOOST_TEST(hq_log->back().message.find("rotation presented by node") != std::string::npos,
             hq_log->back().message);
  auto site_log = ListTrustLog(*net.gra.store);
  BOOST_REQUIRE(site_log.ok());
  BOOST_TEST(!site_log->empty());
}

BOOST_AUTO_TEST_CASE(a_cut_anywhere_in_the_rotation_exchange_is_retried_to_the_same_certificate) {
  Rotation net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
  net.Rotate(net.gra, *gra);
  Uuid row = net.gra.Write("ACROSS-THE-CUTS");

  // Connection n is cut after n * kStep bytes (both directions together),
  // until one gets through whole.
  constexpr uint64_t kStep = 48;
  auto proxy = tools::FaultProxy::Start("127.0.0.1:0", Address(*hq), [](uint64_t n) {
    tools::FaultPlan p;
    p.cut_after = (n + 1) * kStep;
    return p;
  });
  BOOST_REQUIRE(proxy.ok());
  const std::string via = "127.0.0.1:" + std::to_string((*proxy)->port());
  int attempts = 0, issued_not_installed = 0;
  std::optional<Bytes> first_cert;
  for (; attempts < 400; ++attempts) {
    auto t = gra->SyncWith(via);
    if (net.EpochAt(net.hq, net.gra.id()) == 2u && net.OwnEpoch(net.gra) == 1u) {
      // HQ issued, the answer was lost: the window a retry must close.
      ++issued_not_installed;
      auto row_bytes = internal::ReadRegistryRow(net.hq.store->db(), net.gra.id());
      BOOST_REQUIRE(row_bytes.ok() && *row_bytes);
      if (!first_cert) first_cert = (*row_bytes)->certificate;
      BOOST_TEST(((*row_bytes)->certificate == *first_cert));  // re-issue changes nothing
    }
    if (t.ok() && net.OwnEpoch(net.gra) == 2u) break;
  }
  BOOST_TEST_MESSAGE("rotation through cuts: " << attempts << " cut sessions, "
                                               << issued_not_installed
                                               << " ended issued-but-not-installed");
  BOOST_TEST(issued_not_installed >= 1);
  BOOST_TEST(net.OwnEpoch(net.gra) == 2u);
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 2u);  // never epoch 3
  auto cert = LoadOwnCertificate(*net.gra.store);
  BOOST_REQUIRE(cert.ok() && *cert);
  BOOST_TEST(((*cert)->signing_key == gra->policy().keys().signing.PublicKey().bytes()));
  BOOST_TEST(net.hq.Has(row));
  BOOST_TEST(!fs::exists(NextKeyFilePath(net.gra.dir.str())));
}

BOOST_AUTO_TEST_CASE(a_serving_node_restarts_its_server_on_the_same_port_with_the_new_key) {
  Rotation net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  BOOST_REQUIRE(gra->Serve("127.0.0.1:0").ok());
  const uint16_t port = gra->port();
  BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
  net.Rotate(net.gra, *gra);
  auto t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok() && t->rotated, (t.ok() ? t->rotation : t.status().ToString()));
  BOOST_TEST(gra->port() == port);
  // Past the grace period (the old static key would be refused now), HQ
  // reaches the site's server: it serves with the new key.
  net.clock.Advance(kDefaultRotationGraceMicros + kSecond);
  Uuid row = net.gra.Write("SERVED-2");
  auto in = hq->SyncWith("127.0.0.1:" + std::to_string(port));
  BOOST_REQUIRE_MESSAGE(in.ok(), in.status().ToString());
  BOOST_TEST(net.hq.Has(row));
}

BOOST_AUTO_TEST_CASE(keys_rotate_while_pending_returns_the_same_statement) {
  Rotation net;
  auto first = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                          crypto::PwhashParams::ForTests());
  BOOST_REQUIRE(first.ok());
  auto second = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                           crypto::PwhashParams::ForTests());
  BOOST_REQUIRE(second.ok());
  BOOST_TEST((*first == *second));
}

BOOST_AUTO_TEST_CASE(a_crash_between_install_and_rename_is_finished_at_unlock) {
  Rotation net;
  net.Sync();
  auto statement = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                              crypto::PwhashParams::ForTests());
  BOOST_REQUIRE(statement.ok());
  auto issued = IssueRotation(*net.hq.store, *net.hq.keys, net.gra.id(), *statement);
  BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
  // Idempotent at HQ: the same statement again is the same certificate.
  auto again = IssueRotation(*net.hq.store, *net.hq.keys, net.gra.id(), *statement);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((again->certificate_file == issued->certificate_file));
  // Simulate the crash: key_state already names the new keys (installed),
  // node.key.next not yet renamed over node.key.
  const std::string dir = net.gra.dir.str();
  fs::copy_file(KeyFilePath(dir), dir + "/node.key.saved");
  auto inst = CompleteRotation(*net.gra.store, issued->certificate_file);
  BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
  fs::rename(KeyFilePath(dir), NextKeyFilePath(dir));
  fs::rename(dir + "/node.key.saved", KeyFilePath(dir));
  auto unlocked = UnlockNodeKeys(*net.gra.store, kPass);
  BOOST_REQUIRE_MESSAGE(unlocked.ok(), unlocked.status().ToString());
  BOOST_TEST(!unlocked->next.has_value());
  BOOST_TEST((unlocked->current.signing.PublicKey().bytes() == inst->certificate.signing_key));
  BOOST_TEST(!fs::exists(NextKeyFilePath(dir)));
  auto reread = ReadKeyFile(KeyFilePath(dir), kPass);
  BOOST_REQUIRE(reread.ok());
  BOOST_TEST((reread->signing.PublicKey().bytes() == inst->certificate.signing_key));
}

// Issue 16, flaw 2: Gradiška's rotation statement names Bijača's X25519 key
// as its own new one. Certified, it made HQ map Bijača's handshakes to
// Gradiška, so Bijača was locked out (for good once Gradiška was revoked).
// A key another node holds, or held, is refused at enrollment and rotation.
BOOST_AUTO_TEST_CASE(another_nodes_key_is_refused_at_enrollment_and_rotation) {
  Rotation net;
  net.Sync();
  const int64_t now = net.clock.NowMicros();
  // Rotation naming Bijača's kx key, signed by Gradiška's current key and a
  // new signing key of its own.
  crypto::NodeSecrets next = GenerateNodeSecrets(net.random);
  RotationStatement rot;
  rot.node_id = net.gra.id();
  rot.old_epoch = 1;
  rot.new_signing_key = next.signing.PublicKey().bytes();
  rot.new_kx_key = net.bij.keys->kx.PublicKey();
  rot.time = now;
  auto proof = RotationKxProof(rot, next.kx, net.hq.keys->kx.PublicKey());
  BOOST_REQUIRE(proof.ok());
  rot.kx_proof = *proof;
  auto r = IssueRotation(*net.hq.store, *net.hq.keys, net.gra.id(),
                         EncodeEnvelope(SignRotation(rot, net.gra.keys->signing, next.signing)));
  BOOST_TEST(r.status().code() == Code::kAlreadyExists, r.status().ToString());
  BOOST_TEST(r.status().message().find("rotation.kxKey") != std::string::npos);
  BOOST_TEST(r.status().message().find(UuidToString(net.bij.id())) != std::string::npos,
             r.status().ToString());
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 1u);

  // Enrollment of a new crossing naming Bijača's kx key, or HQ's.
  Node ver(net.clock, net.random, Role::kSite, "Vermicë", "XK-VER");
  auto enroll_with_kx = [&](const crypto::PublicKeyBytes& kx) {
    EnrollmentRequest req;
    req.node_id = ver.id();
    req.name = "Vermicë";
    req.role = Role::kSite;
    req.site = "XK-VER";
    req.signing_key = ver.keys->signing.PublicKey().bytes();
    req.kx_key = kx;
    req.time = now;
    return node::Enroll(*net.hq.store, *net.hq.keys,
                        EncodeEnvelope(SignEnrollmentRequest(req, ver.keys->signing)));
  };
  for (const auto* kx : {&net.bij.keys->kx.PublicKey(), &net.hq.keys->kx.PublicKey()}) {
    auto e = enroll_with_kx(*kx);
    BOOST_TEST(e.status().code() == Code::kAlreadyExists, e.status().ToString());
    BOOST_TEST(e.status().message().find("request.kxKey") != std::string::npos);
  }

  // Bijača still syncs, even once Gradiška is revoked.
  BOOST_REQUIRE(RevokeNode(*net.hq.store, *net.hq.keys, net.gra.id(), "compromised").ok());
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto bij = net.Open(net.bij);
  Uuid row = net.bij.Write("BIJ-STILL-SYNCS");
  auto t = bij->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  BOOST_TEST(net.hq.Has(row));
}

// Keys a node held before its rotations stay its own: after Bijača rotates
// twice, its first kx key is neither in its certificate nor in the
// registry's previous one, and is still refused to a new node.
BOOST_AUTO_TEST_CASE(a_key_a_node_held_before_two_rotations_is_refused_to_another) {
  Rotation net;
  net.Sync();
  const crypto::PublicKeyBytes first_kx = net.bij.keys->kx.PublicKey();
  for (int i = 0; i < 2; ++i) {
    auto statement = RotateKeys(*net.bij.store, *net.bij.keys, kPass, net.random,
                                crypto::PwhashParams::ForTests());
    BOOST_REQUIRE_MESSAGE(statement.ok(), statement.status().ToString());
    auto issued = IssueRotation(*net.hq.store, *net.hq.keys, net.bij.id(), *statement);
    BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
    auto inst = CompleteRotation(*net.bij.store, issued->certificate_file);
    BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
    net.bij.Unlock();
  }
  BOOST_TEST(net.EpochAt(net.hq, net.bij.id()) == 3u);
  Node ver(net.clock, net.random, Role::kSite, "Vermicë", "XK-VER");
  EnrollmentRequest req;
  req.node_id = ver.id();
  req.name = "Vermicë";
  req.role = Role::kSite;
  req.site = "XK-VER";
  req.signing_key = ver.keys->signing.PublicKey().bytes();
  req.kx_key = first_kx;
  req.time = net.clock.NowMicros();
  auto e = node::Enroll(*net.hq.store, *net.hq.keys,
                        EncodeEnvelope(SignEnrollmentRequest(req, ver.keys->signing)));
  BOOST_TEST(e.status().code() == Code::kAlreadyExists, e.status().ToString());
  BOOST_TEST(e.status().message().find("was a key of node " + UuidToString(net.bij.id())) !=
                 std::string::npos,
             e.status().ToString());
}

// The new kx key must be proved, not just named: a statement with no proof,
// or a proof made with another X25519 secret, is refused.
BOOST_AUTO_TEST_CASE(rotation_without_proof_of_the_new_kx_key_is_refused) {
  Rotation net;
  net.Sync();
  crypto::NodeSecrets next = GenerateNodeSecrets(net.random);
  crypto::NodeSecrets other = GenerateNodeSecrets(net.random);
  RotationStatement rot;
  rot.node_id = net.gra.id();
  rot.old_epoch = 1;
  rot.new_signing_key = next.signing.PublicKey().bytes();
  rot.new_kx_key = next.kx.PublicKey();
  rot.time = net.clock.NowMicros();
  auto issue = [&](const RotationStatement& s) {
    return IssueRotation(*net.hq.store, *net.hq.keys, net.gra.id(),
                         EncodeEnvelope(SignRotation(s, net.gra.keys->signing, next.signing)));
  };
  auto r = issue(rot);
  BOOST_TEST(r.status().code() == Code::kUnauthenticated, r.status().ToString());
  BOOST_TEST(r.status().message().find("kxProof: missing") != std::string::npos);
  auto wrong = RotationKxProof(rot, other.kx, net.hq.keys->kx.PublicKey());
  BOOST_REQUIRE(wrong.ok());
  rot.kx_proof = *wrong;
  r = issue(rot);
  BOOST_TEST(r.status().code() == Code::kUnauthenticated, r.status().ToString());
  BOOST_TEST(r.status().message().find("kxProof: does not prove") != std::string::npos);
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 1u);
  // The right proof is accepted.
  auto right = RotationKxProof(rot, next.kx, net.hq.keys->kx.PublicKey());
  BOOST_REQUIRE(right.ok());
  rot.kx_proof = *right;
  r = issue(rot);
  BOOST_TEST(r.ok(), r.status().ToString());
  BOOST_TEST(net.EpochAt(net.hq, net.gra.id()) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
