// Node keys, certificates, the registry and the trust policy (issue 5):
// two or three real stores, real signatures, sync::Replica::Merge with
// TrustPolicy as the verifier. Argon2id runs at PwhashParams::ForTests().
#include "node/keys.h"

#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/file.h"
#include "crypto/secret.h"
#include "node/audit.h"
#include "node/registry.h"
#include "node/trust.h"
#include "sync/change_batch.h"
#include "tests/node/network_fixture.h"

using namespace outpost;
using namespace outpost::node;
using outpost::testing::TempDir;

namespace {

using namespace outpost::testing;

// True if `needle` occurs anywhere in any file under `dir`.
bool AnyFileContains(const std::string& dir, std::span<const uint8_t> needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto bytes = ReadFile(e.path().string());
    BOOST_REQUIRE(bytes.ok());
    if (std::search(bytes->begin(), bytes->end(), needle.begin(), needle.end()) != bytes->end()) {
      BOOST_TEST_MESSAGE("secret found in " << e.path());
      return true;
    }
  }
  return false;
}

// docs/audit.md, "Tamper evidence": what a node that rewrites an entry
// can recompute.
std::string AuditHash(std::span<const uint8_t> node, int64_t seq, int64_t time,
                      const std::string& officer, const std::string& action,
                      const std::string& record_type, const std::string& detail,
                      const std::string& prev_hash) {
  crypto::Hasher h;
  auto field = [&](std::span<const uint8_t> b) {
    Bytes len;
    PutVarint(len, b.size());
    h.Update(len);
    h.Update(b);
  };
  auto text = [&](const std::string& t) {
    field(std::span(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
  };
  auto integer = [&](int64_t v) {
    Bytes b;
    PutVarint(b, static_cast<uint64_t>(v));
    field(b);
  };
  text("outpost-audit-v1");
  field(node);
  integer(seq);
  integer(time);
  text(officer);
  text(action);
  text(record_type);
  text("");  // no record id
  text(detail);
  text(prev_hash);
  return ToHex(h.Finish());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(wrong_passphrase_is_refused) {
  FakeClock clock(kStart);
  SeededRandom random(1);
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto k = ReadKeyFile(KeyFilePath(site.dir.str()), "not the passphrase");
  BOOST_TEST(k.status().code() == Code::kUnauthenticated);
  BOOST_TEST(k.status().message().find("wrong passphrase") != std::string::npos);
  struct stat st;
  BOOST_REQUIRE(::stat(KeyFilePath(site.dir.str()).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(key_file_with_a_flipped_byte_is_refused) {
  FakeClock clock(kStart);
  SeededRandom random(2);
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  const std::string path = KeyFilePath(site.dir.str());
  auto good = ReadFile(path);
  BOOST_REQUIRE(good.ok());
  // Salt, nonce, ciphertext and tag: each flip must be refused.
  for (size_t at : {size_t{25}, size_t{40}, size_t{70}, good->size() - 1}) {
    Bytes bad = *good;
    bad[at] ^= 0x01;
    BOOST_REQUIRE(WriteFileAtomic(path, bad, 0600).ok());
    auto k = ReadKeyFile(path, kPass);
    BOOST_TEST(!k.ok(), "flip at " << at << " was accepted");
  }
  BOOST_REQUIRE(WriteFileAtomic(path, *good, 0600).ok());
  BOOST_TEST(ReadKeyFile(path, kPass).ok());
}

BOOST_AUTO_TEST_CASE(init_refuses_an_existing_key_file_and_an_empty_passphrase) {
  FakeClock clock(kStart);
  SeededRandom random(3);
  TempDir dir;
  std::filesystem::create_directories(dir.path);
  Bytes junk = {1, 2, 3};
  BOOST_REQUIRE(WriteFileAtomic(KeyFilePath(dir.str()), junk, 0600).ok());
  Identity id{NewUuidV7(clock, random), Role::kSite, "Gradiška", "BA-GRA"};
  InitOptions o;
  o.pwhash = crypto::PwhashParams::ForTests();
  auto r = InitNode(dir.str(), id, kPass, clock, random, o);
  BOOST_TEST(r.status().code() == Code::kAlreadyExists);
  BOOST_TEST(!std::filesystem::exists(Store::DbPath(dir.str())));
  TempDir dir2;
  BOOST_TEST(InitNode(dir2.str(), id, "", clock, random, o).status().code() ==
             Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(no_secret_key_bytes_in_any_file_of_the_data_dir) {
  Network net;
  net.gra.Write("SA123BC");
  Deliver(net.gra, net.hq);
  // Rotate too, so that node.key.next and the new certificate are on disk.
  auto rot = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                        crypto::PwhashParams::ForTests());
  BOOST_REQUIRE_MESSAGE(rot.ok(), rot.status().ToString());
  auto next = ReadKeyFile(NextKeyFilePath(net.gra.dir.str()), kPass);
  BOOST_REQUIRE(next.ok());
  for (Node* n : {&net.hq, &net.gra, &net.bij}) {
    BOOST_TEST(!AnyFileContains(n->dir.str(), n->keys->signing.Seed()));
    BOOST_TEST(!AnyFileContains(n->dir.str(), n->keys->kx.Secret().span()));
    // The public keys are there (sanity check of the scan itself).
    BOOST_TEST(AnyFileContains(n->dir.str(), n->keys->signing.PublicKey().bytes()));
  }
  BOOST_TEST(!AnyFileContains(net.gra.dir.str(), next->signing.Seed()));
  BOOST_TEST(!AnyFileContains(net.gra.dir.str(), next->kx.Secret().span()));
}

BOOST_AUTO_TEST_CASE(change_passphrase_reseals_the_key_file) {
  FakeClock clock(kStart);
  SeededRandom random(4);
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  const std::string path = KeyFilePath(site.dir.str());
  BOOST_TEST(
      ChangeKeyFilePassphrase(path, "wrong", "new pass", crypto::PwhashParams::ForTests()).code() ==
      Code::kUnauthenticated);
  BOOST_REQUIRE(
      ChangeKeyFilePassphrase(path, kPass, "new pass", crypto::PwhashParams::ForTests()).ok());
  BOOST_TEST(ReadKeyFile(path, kPass).status().code() == Code::kUnauthenticated);
  auto k = ReadKeyFile(path, "new pass");
  BOOST_REQUIRE(k.ok());
  BOOST_TEST((k->signing.PublicKey() == site.keys->signing.PublicKey()));
}

BOOST_AUTO_TEST_CASE(enrollment_round_trip_through_files) {
  FakeClock clock(kStart);
  SeededRandom random(5);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  TempDir usb;
  std::filesystem::create_directories(usb.path);
  const std::string req_path = usb.str() + "/gra.request";
  const std::string cert_path = usb.str() + "/gra.cert";

  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  BOOST_REQUIRE(req.ok());
  BOOST_REQUIRE(WriteFileAtomic(req_path, *req, 0644).ok());

  auto req_in = ReadFile(req_path);
  BOOST_REQUIRE(req_in.ok());
  auto summary = InspectRequest(*hq.store, *req_in);
  BOOST_REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
  BOOST_TEST(summary->signing_fingerprint == site.fingerprint());
  BOOST_TEST(summary->site == "BA-GRA");
  auto issued = Enroll(*hq.store, *hq.keys, *req_in);
  BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
  BOOST_REQUIRE(WriteFileAtomic(cert_path, issued->certificate_file, 0644).ok());

  // The site has no policy until it trusts an HQ.
  BOOST_TEST(TrustPolicy::Create(*site.store, CloneNodeSecrets(*site.keys)).status().code() ==
             Code::kFailedPrecondition);
  auto cert_in = ReadFile(cert_path);
  BOOST_REQUIRE(cert_in.ok());
  auto inst = InstallCertificate(*site.store, *cert_in, hq.fingerprint());
  BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
  BOOST_TEST(inst->hq.hq_address == "hq.example:7700");
  BOOST_TEST(!inst->rotated);
  auto own = LoadOwnCertificate(*site.store);
  BOOST_REQUIRE(own.ok() && own->has_value());
  BOOST_TEST((**own).epoch == 1u);
  BOOST_TEST((**own).MayWrite("site:BA-GRA"));
  BOOST_TEST(!(**own).MayWrite("shared"));
  site.MakePolicy();

  // HQ's registry holds both; after a sync the site's does too.
  auto hq_list = ListRegistry(*hq.store);
  BOOST_REQUIRE(hq_list.ok());
  BOOST_TEST(hq_list->size() == 2u);
  auto r = Deliver(hq, site);
  BOOST_TEST(r.refused.empty(), Describe(r));
  auto site_list = ListRegistry(*site.store);
  BOOST_REQUIRE(site_list.ok());
  BOOST_TEST(site_list->size() == 2u);
  auto found = FindNode(*site.store, "Gradiška");
  BOOST_REQUIRE(found.ok());
  BOOST_TEST(UuidToString(*found) == UuidToString(site.id()));

  // The same request again renews (same keys, same epoch).
  auto again = Enroll(*hq.store, *hq.keys, *req_in);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->certificate.epoch == 1u);
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused) {
  FakeClock clock(kStart);
  SeededRandom random(6);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  BOOST_REQUIRE(req.ok());
  // A site cannot enroll anybody.
  BOOST_TEST(Enroll(*site.store, *site.keys, *req).status().code() == Code::kFailedPrecondition);
  // A request whose signature does not match the key it names.
  auto env = DecodeEnvelope(*req);
  BOOST_REQUIRE(env.ok());
  env->signature[3] ^= 1;
  BOOST_TEST(Enroll(*hq.store, *hq.keys, EncodeEnvelope(*env)).status().code() ==
             Code::kUnauthenticated);
  // Garbage.
  Bytes junk(64, 0x5a);
  BOOST_TEST(Enroll(*hq.store, *hq.keys, junk).status().code() == Code::kCorruption);
  // A validity out of range.
  EnrollOptions o;
  o.valid_days = 0;
  BOOST_TEST(Enroll(*hq.store, *hq.keys, *req, o).status().code() == Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(certificate_with_mismatched_fingerprint_is_refused) {
  FakeClock clock(kStart);
  SeededRandom random(7);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  auto issued = Enroll(*hq.store, *hq.keys, *req);
  BOOST_REQUIRE(issued.ok());
  auto inst = InstallCertificate(*site.store, issued->certificate_file, site.fingerprint());
  BOOST_TEST(inst.status().code() == Code::kUnauthenticated);
  BOOST_TEST(inst.status().message().find("does not match") != std::string::npos);
  BOOST_TEST(InstallCertificate(*site.store, issued->certificate_file, "not-a-fingerprint")
                 .status()
                 .code() == Code::kInvalidArgument);
  BOOST_TEST(!LoadHqCertificate(*site.store)->has_value());
}

BOOST_AUTO_TEST_CASE(certificate_signed_by_another_hq_is_refused) {
  FakeClock clock(kStart);
  SeededRandom random(8);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node rogue(clock, random, Role::kHq, "HQ elsewhere", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  auto good = Enroll(*hq.store, *hq.keys, *req);
  auto bad = Enroll(*rogue.store, *rogue.keys, *req);
  BOOST_REQUIRE(good.ok() && bad.ok());

  // The rogue's certificate presented with the real HQ's certificate.
  auto g = DecodeCertificateFile(good->certificate_file);
  auto b = DecodeCertificateFile(bad->certificate_file);
  BOOST_REQUIRE(g.ok() && b.ok());
  CertificateFile spliced{b->certificate, g->hq_certificate};
  auto inst = InstallCertificate(*site.store, EncodeCertificateFile(spliced), hq.fingerprint());
  BOOST_TEST(inst.status().code() == Code::kUnauthenticated);

  // Once the real HQ is pinned, a whole file from another HQ is refused even
  // with that HQ's own fingerprint.
  BOOST_REQUIRE(InstallCertificate(*site.store, good->certificate_file, hq.fingerprint()).ok());
  inst = InstallCertificate(*site.store, bad->certificate_file, rogue.fingerprint());
  BOOST_TEST(inst.status().code() == Code::kUnauthenticated);
  BOOST_TEST(inst.status().message().find("another HQ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(expired_certificate_is_refused) {
  FakeClock clock(kStart);
  SeededRandom random(9);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  EnrollOptions o;
  o.valid_days = 1;
  auto issued = Enroll(*hq.store, *hq.keys, *req, o);
  BOOST_REQUIRE(issued.ok());
  clock.Advance(2 * kMicrosPerDay);
  auto inst = InstallCertificate(*site.store, issued->certificate_file, hq.fingerprint());
  BOOST_TEST(inst.status().code() == Code::kPermissionDenied);
  BOOST_TEST(inst.status().message().find("expired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(site_batches_are_accepted_and_hq_batches_verified_with_the_pinned_key) {
  Network net;
  Uuid row = net.gra.Write("SA123BC");
  auto r = Deliver(net.gra, net.hq);
  BOOST_TEST(r.refused.empty(), Describe(r));
  BOOST_TEST(net.hq.Has(row));
  auto list = ListRegistry(*net.hq.store);
  BOOST_REQUIRE(list.ok());
  bool seen = false;
  for (const auto& e : *list) seen |= e.id == net.gra.id() && e.last_seen.has_value();
  BOOST_TEST(seen);

  // A batch in HQ's name signed by another key is refused by the site.
  Node rogue(net.clock, net.random, Role::kHq, "HQ elsewhere", "HQ");
  net.hq.Write("HQ-1", std::string("shared"));
  auto batches = net.hq.BatchesFor(net.gra);
  BOOST_REQUIRE(!batches.empty());
  auto forged = batches;
  for (auto& b : forged) {
    auto sig = rogue.keys->signing.Sign(sync::SigningInput(b.body));
    b.signature.assign(sig.begin(), sig.end());
  }
  r = MergeInto(net.gra, forged);
  BOOST_TEST(r.applied == 0u);
  BOOST_TEST(RefusedWith(r, Code::kUnauthenticated, "signature does not verify"), Describe(r));
  r = MergeInto(net.gra, batches);
  BOOST_TEST(r.refused.empty(), Describe(r));
}

BOOST_AUTO_TEST_CASE(forged_altered_and_reattributed_batches_are_refused_at_merge) {
  Network net;
  net.gra.Write("SA123BC");
  auto batches = net.gra.BatchesFor(net.hq);
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  const sync::SignedBatch original = batches[0];

  // Forged: signed by a key that is not Gradiška's.
  sync::SignedBatch forged = original;
  auto sig = net.bij.keys->signing.Sign(sync::SigningInput(forged.body));
  forged.signature.assign(sig.begin(), sig.end());
  // Altered: a value changed after signing.
  auto decoded = sync::DecodeBatchBody(original.body);
  BOOST_REQUIRE(decoded.ok());
  sync::ChangeBatch changed = *decoded;
  changed.rows[0].columns[0].value = std::string("XX999XX");
  sync::SignedBatch altered{sync::EncodeBatchBody(changed), original.signature};
  // Re-attributed: Bijača's name on Gradiška's batch (signature kept) ...
  sync::ChangeBatch moved = *decoded;
  moved.origin = net.bij.id();
  sync::SignedBatch reattributed{sync::EncodeBatchBody(moved), original.signature};
  // ... and Bijača signing a batch in Gradiška's name.
  sync::SignedBatch impersonated = reattributed;
  moved.origin = net.gra.id();
  impersonated.body = sync::EncodeBatchBody(moved);
  sig = net.bij.keys->signing.Sign(sync::SigningInput(impersonated.body));
  impersonated.signature.assign(sig.begin(), sig.end());
  // Unsigned.
  sync::SignedBatch unsigned_batch{original.body, {}};

  for (const auto* b : {&forged, &altered, &reattributed, &impersonated, &unsigned_batch}) {
    std::vector<sync::SignedBatch> one = {*b};
    auto r = MergeInto(net.hq, one);
    BOOST_TEST(r.applied == 0u);
    BOOST_TEST(RefusedWith(r, Code::kUnauthenticated), Describe(r));
  }
  auto digest_before = net.hq.store->replica().Digest(std::nullopt);
  BOOST_REQUIRE(digest_before.ok());
  std::vector<sync::SignedBatch> good = {original};
  auto r = MergeInto(net.hq, good);
  BOOST_TEST(r.applied == 1u, Describe(r));
  auto log = net.hq.policy->Log();
  BOOST_REQUIRE(log.ok());
  BOOST_TEST(log->size() >= 5u);
}

// Issue 16, flaw 1: a crossing rewrites its pending audit entry to name
// another node (HQ, or the other crossing) as its author, with a valid hash
// as entry 1 of that node's chain, and syncs. HQ must refuse the batch, or
// HQ's own next entry would chain onto the forged one and `audit verify`
// would vouch for it (or blame the innocent crossing).
BOOST_AUTO_TEST_CASE(audit_entry_naming_another_node_is_refused_at_merge) {
  for (int victim = 0; victim < 2; ++victim) {
    Network net;
    Node& claimed = victim == 0 ? net.hq : net.bij;
    {
      auto w = net.gra.store->replica().BeginWrite();
      BOOST_REQUIRE(w.ok());
      AuditEvent ev;
      ev.action = AuditAction::kCollect;
      ev.officer = "BA-GRA-0042";
      ev.record_type = "movement";
      BOOST_REQUIRE(AuditLog(*net.gra.store).Append(**w, ev).ok());
      BOOST_REQUIRE((*w)->Commit().ok());
    }
    Db& db = net.gra.store->db();
    auto st = db.Prepare("SELECT time, officer, action, record_type, detail FROM audit_entry");
    BOOST_REQUIRE(st.ok());
    BOOST_REQUIRE(*(*st)->Step());
    const std::string hash = AuditHash(claimed.id(), 1, (*st)->Int(0), std::string((*st)->Text(1)),
                                       std::string((*st)->Text(2)), std::string((*st)->Text(3)),
                                       std::string((*st)->Text(4)), std::string(64, '0'));
    st->reset();
    auto up = db.Prepare("UPDATE audit_entry SET node = ?, hash = ?");
    BOOST_REQUIRE(up.ok());
    (*up)->BindBlob(1, claimed.id()).Bind(2, hash);
    BOOST_REQUIRE((*up)->Run().ok());
    up->reset();

    auto r = Deliver(net.gra, net.hq);
    BOOST_TEST(r.applied == 0u, Describe(r));
    BOOST_TEST(RefusedWith(r, Code::kPermissionDenied,
                           "names node " + UuidToString(claimed.id()) + " as its author"),
               Describe(r));
    auto log = net.hq.policy->Log();
    BOOST_REQUIRE(log.ok());
    BOOST_REQUIRE(!log->empty());
    BOOST_TEST(log->back().message.find("audit_entry") != std::string::npos);
    // HQ's chain is its own: its next entry is its entry 1, and verify
    // finds no entry of the node the forgery named.
    {
      auto w = net.hq.store->replica().BeginWrite();
      BOOST_REQUIRE(w.ok());
      AuditEvent ev;
      ev.action = AuditAction::kConsult;
      ev.officer = "HQ-ANALYST";
      BOOST_REQUIRE(AuditLog(*net.hq.store).Append(**w, ev).ok());
      BOOST_REQUIRE((*w)->Commit().ok());
    }
    auto seqs = net.hq.store->db().QueryInt("SELECT max(seq) FROM audit_entry WHERE node = X'" +
                                            ToHex(net.hq.id()) + "'");
    BOOST_REQUIRE(seqs.ok());
    BOOST_TEST(*seqs == 1);
    auto v = AuditLog(*net.hq.store).Verify();
    BOOST_REQUIRE(v.ok());
    BOOST_TEST(v->ok, v->first_broken);
    BOOST_TEST(v->entries == 1);
  }
}

BOOST_AUTO_TEST_CASE(out_of_scope_batches_are_refused_and_logged) {
  Network net;
  // Gradiška writes into Bijača's scope, into "shared", and an HQ-only
  // table in its own scope.
  net.gra.Write("SA1", std::string("site:BA-BIJ"));
  auto r = Deliver(net.gra, net.hq);
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "may not write scope \"site:BA-BIJ\""),
             Describe(r));
  net.gra.Write("SA2", std::string("shared"));
  r = Deliver(net.gra, net.hq);
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "may not write scope \"shared\""),
             Describe(r));
  {
    const schema::Table& reg = *net.gra.store->catalogue().Find("node_registry");
    auto w = net.gra.store->replica().BeginWrite();
    BOOST_REQUIRE(w.ok());
    std::vector<sync::ColumnValue> cols = {{1, std::string("fake")}};
    BOOST_REQUIRE((*w)->Insert(reg, net.gra.store->NewId(), "site:BA-GRA", cols).ok());
    BOOST_REQUIRE((*w)->Commit().ok());
  }
  r = Deliver(net.gra, net.hq);
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "only HQ writes"), Describe(r));
  auto log = net.hq.policy->Log();
  BOOST_REQUIRE(log.ok());
  BOOST_TEST(log->size() >= 3u);

  // A node HQ has never enrolled: its batches wait (kUnavailable).
  Node stranger(net.clock, net.random, Role::kSite, "Vermicë", "XK-VER");
  stranger.Write("KS1");
  auto batches = stranger.BatchesFor(net.hq);
  r = MergeInto(net.hq, batches);
  BOOST_TEST(RefusedWith(r, Code::kUnavailable, "no certificate"), Describe(r));
}

BOOST_AUTO_TEST_CASE(equivocation_is_detected_and_logged) {
  Network net;
  net.gra.Write("SA123BC");
  auto batches = net.gra.BatchesFor(net.hq);
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  auto r = MergeInto(net.hq, batches);
  BOOST_REQUIRE_EQUAL(r.applied, 1u);
  // The same sequence number, another body, properly signed by the author.
  auto decoded = sync::DecodeBatchBody(batches[0].body);
  BOOST_REQUIRE(decoded.ok());
  decoded->rows[0].columns[0].value = std::string("OTHER");
  sync::SignedBatch twin{sync::EncodeBatchBody(*decoded), {}};
  auto sig = net.gra.keys->signing.Sign(sync::SigningInput(twin.body));
  twin.signature.assign(sig.begin(), sig.end());
  std::vector<sync::SignedBatch> one = {twin};
  r = MergeInto(net.hq, one);
  BOOST_TEST(RefusedWith(r, Code::kConflict, "equivocation"), Describe(r));
  auto log = net.hq.policy->Log();
  BOOST_REQUIRE(log.ok());
  bool logged = false;
  for (const auto& e : *log) logged |= e.message.find("equivocation") != std::string::npos;
  BOOST_TEST(logged);
}

// The same forgery over a real session with a serving HQ: refused at
// HQ's merge, logged there, and HQ's audit log holds none of it.
BOOST_AUTO_TEST_CASE(audit_entry_naming_hq_is_refused_over_a_session) {
  ServiceNetwork net(ServiceNetwork::ServiceClock::kNetwork);
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  {
    auto w = net.gra.store->replica().BeginWrite();
    BOOST_REQUIRE(w.ok());
    AuditEvent ev;
    ev.officer = "BA-GRA-0042";
    ev.record_type = "movement";
    BOOST_REQUIRE(AuditLog(*net.gra.store).Append(**w, ev).ok());
    BOOST_REQUIRE((*w)->Commit().ok());
  }
  Db& db = net.gra.store->db();
  auto st = db.Prepare("SELECT time, officer, action, record_type, detail FROM audit_entry");
  BOOST_REQUIRE(st.ok());
  BOOST_REQUIRE(*(*st)->Step());
  const std::string hash = AuditHash(net.hq.id(), 1, (*st)->Int(0), std::string((*st)->Text(1)),
                                     std::string((*st)->Text(2)), std::string((*st)->Text(3)),
                                     std::string((*st)->Text(4)), std::string(64, '0'));
  st->reset();
  auto up = db.Prepare("UPDATE audit_entry SET node = ?, hash = ?");
  BOOST_REQUIRE(up.ok());
  (*up)->BindBlob(1, net.hq.id()).Bind(2, hash);
  BOOST_REQUIRE((*up)->Run().ok());
  up->reset();

  auto t = gra->SyncWith(Address(*hq));
  BOOST_REQUIRE_MESSAGE(t.ok(), t.status().ToString());
  auto log = ListTrustLog(*net.hq.store);
  BOOST_REQUIRE(log.ok());
  bool refused = false;
  for (const auto& e : *log) {
    if (e.code == "permission denied" &&
        e.message.find("names node " + UuidToString(net.hq.id())) != std::string::npos) {
      refused = true;
    }
  }
  BOOST_TEST(refused);
  BOOST_TEST(*net.hq.store->db().QueryInt("SELECT count(*) FROM audit_entry") == 0);
}

// Issue 16, flaw 9: every refused batch added a trust_log row, for ever. A
// crossing sending altered batches without end now keeps only its newest
// kMaxTrustLogPerOrigin rows, and never evicts another node's.
BOOST_AUTO_TEST_CASE(trust_log_is_bounded_per_origin) {
  Network net;
  // One refusal about Bijača first.
  net.bij.Write("BIJ1", std::string("site:BA-GRA"));
  auto r = Deliver(net.bij, net.hq);
  BOOST_REQUIRE_MESSAGE(RefusedWith(r, Code::kPermissionDenied), Describe(r));
  net.gra.Write("SA123BC");
  auto batches = net.gra.BatchesFor(net.hq);
  BOOST_REQUIRE_EQUAL(batches.size(), 1u);
  auto decoded = sync::DecodeBatchBody(batches[0].body);
  BOOST_REQUIRE(decoded.ok());
  std::vector<sync::SignedBatch> altered;
  const int64_t n = kMaxTrustLogPerOrigin + 200;
  for (int64_t i = 0; i < n; ++i) {
    sync::ChangeBatch changed = *decoded;
    changed.rows[0].columns[0].value = "X" + std::to_string(i);
    altered.push_back({sync::EncodeBatchBody(changed), batches[0].signature});
  }
  r = MergeInto(net.hq, altered);
  BOOST_TEST(r.refused.size() == static_cast<size_t>(n));
  Db& db = net.hq.store->db();
  auto count = [&](const Node& who) {
    auto c =
        db.QueryInt("SELECT count(*) FROM trust_log WHERE origin = X'" + ToHex(who.id()) + "'");
    BOOST_REQUIRE(c.ok());
    return *c;
  };
  BOOST_TEST(count(net.gra) == kMaxTrustLogPerOrigin);
  BOOST_TEST(count(net.bij) == 1);
  // The newest are the ones kept.
  auto log = ListTrustLog(*net.hq.store, 1);
  BOOST_REQUIRE(log.ok() && log->size() == 1u);
  BOOST_TEST(log->back().code == "unauthenticated");
  BOOST_TEST(*db.QueryInt("SELECT count(*) FROM trust_log") == kMaxTrustLogPerOrigin + 1);
}

BOOST_AUTO_TEST_CASE(changes_after_revocation_are_quarantined) {
  Network net;
  Uuid before = net.gra.Write("BEFORE");  // made before the revocation, not yet delivered
  net.clock.Advance(10 * kSecond);
  auto rev = RevokeNode(*net.hq.store, *net.hq.keys, net.gra.id(), "laptop stolen");
  BOOST_REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
  BOOST_TEST(RevokeNode(*net.hq.store, *net.hq.keys, net.gra.id(), "again").status().code() ==
             Code::kAlreadyExists);
  net.clock.Advance(10 * kSecond);
  Uuid after = net.gra.Write("AFTER");

  auto r = Deliver(net.gra, net.hq);
  BOOST_TEST(net.hq.Has(before));
  BOOST_TEST(!net.hq.Has(after));
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "quarantined"), Describe(r));
  auto q = net.hq.policy->Quarantined();
  BOOST_REQUIRE(q.ok());
  BOOST_REQUIRE_EQUAL(q->size(), 1u);
  BOOST_TEST((*q)[0].reason.find("laptop stolen") != std::string::npos);
  // Delivered again: quarantined once.
  Deliver(net.gra, net.hq);
  BOOST_TEST(net.hq.policy->Quarantined()->size() == 1u);

  // The revoked node can no longer connect or read.
  BOOST_TEST(net.hq.policy->AuthorizePeer(net.gra.keys->kx.PublicKey()).status().code() ==
             Code::kPermissionDenied);
  BOOST_TEST(!net.hq.policy->MayRead(net.gra.id(), "shared"));

  // The revocation replicates: Bijača quarantines Gradiška's late batch too.
  r = Deliver(net.hq, net.bij);
  BOOST_TEST(r.refused.empty(), Describe(r));
  auto list = ListRegistry(*net.bij.store);
  BOOST_REQUIRE(list.ok());
  bool revoked = false;
  for (const auto& e : *list) revoked |= e.id == net.gra.id() && e.revoked;
  BOOST_TEST(revoked);
  r = MergeInto(net.bij, net.gra.BatchesFor(net.bij));
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "quarantined"), Describe(r));
  BOOST_TEST(net.bij.policy->Quarantined()->size() == 1u);
}

// A second look at revocation, through the other doors: the node's previous
// key (rotated, still within its grace period) is refused at the handshake
// like its current one, by HQ and by a site that learned the revocation;
// and at merge, what it signs after the revocation with either key is
// quarantined, while what it made before is merged.
BOOST_AUTO_TEST_CASE(a_revoked_node_is_refused_with_its_current_and_previous_key) {
  Network net;
  crypto::NodeSecrets old_keys = CloneNodeSecrets(*net.gra.keys);
  auto statement = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                              crypto::PwhashParams::ForTests());
  BOOST_REQUIRE_MESSAGE(statement.ok(), statement.status().ToString());
  auto issued = Enroll(*net.hq.store, *net.hq.keys, *statement);
  BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
  BOOST_REQUIRE(
      InstallCertificate(*net.gra.store, issued->certificate_file, net.hq.fingerprint()).ok());
  net.gra.Unlock();
  net.gra.MakePolicy();
  // Both keys open sessions before the revocation (grace period).
  BOOST_REQUIRE(net.hq.policy->AuthorizePeer(net.gra.keys->kx.PublicKey()).ok());
  BOOST_REQUIRE(net.hq.policy->AuthorizePeer(old_keys.kx.PublicKey()).ok());
  Uuid before = net.gra.Write("BEFORE-REV");

  net.clock.Advance(kSecond);
  auto rev = RevokeNode(*net.hq.store, *net.hq.keys, net.gra.id(), "key file copied");
  BOOST_REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
  Deliver(net.hq, net.bij);  // Bijača learns the revocation
  for (Node* judge : {&net.hq, &net.bij}) {
    for (const crypto::NodeSecrets* keys : {&*net.gra.keys, &old_keys}) {
      auto id = judge->policy->AuthorizePeer(keys->kx.PublicKey());
      BOOST_TEST(id.status().code() == Code::kPermissionDenied, id.status().ToString());
      BOOST_TEST(id.status().message().find("revoked") != std::string::npos, id.status().message());
      BOOST_TEST(id.status().message().find("key file copied") != std::string::npos,
                 id.status().message());
    }
  }

  // At merge: the batch made before merges; the one made after is
  // quarantined, signed with the current key (at HQ) or the previous one (the
  // same batches signed again, at Bijača).
  net.clock.Advance(kSecond);
  Uuid after = net.gra.Write("AFTER-REV");
  std::vector<sync::SignedBatch> batches = net.gra.BatchesFor(net.hq);
  auto r = MergeInto(net.hq, batches);
  BOOST_TEST(net.hq.Has(before), Describe(r));
  BOOST_TEST(!net.hq.Has(after));
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "quarantined"), Describe(r));
  for (auto& b : batches) {
    auto sig = old_keys.signing.Sign(sync::SigningInput(b.body));
    b.signature.assign(sig.begin(), sig.end());
  }
  r = MergeInto(net.bij, batches);
  BOOST_TEST(net.bij.Has(before), Describe(r));
  BOOST_TEST(!net.bij.Has(after));
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "quarantined"), Describe(r));
  auto q = net.bij.policy->Quarantined();
  BOOST_REQUIRE(q.ok());
  BOOST_REQUIRE_EQUAL(q->size(), 1u);
  BOOST_TEST((*q)[0].reason.find("key file copied") != std::string::npos, (*q)[0].reason);
}

BOOST_AUTO_TEST_CASE(authorize_peer_and_may_read_follow_the_certificates) {
  Network net;
  auto id = net.hq.policy->AuthorizePeer(net.gra.keys->kx.PublicKey());
  BOOST_REQUIRE_MESSAGE(id.ok(), id.status().ToString());
  BOOST_TEST(UuidToString(*id) == UuidToString(net.gra.id()));
  sync::KxPublicKey unknown{};
  unknown.fill(7);
  BOOST_TEST(net.hq.policy->AuthorizePeer(unknown).status().code() == Code::kUnauthenticated);
  auto hq_id = net.gra.policy->AuthorizePeer(net.hq.keys->kx.PublicKey());
  BOOST_REQUIRE(hq_id.ok());
  BOOST_TEST(UuidToString(*hq_id) == UuidToString(net.hq.id()));

  BOOST_TEST(net.hq.policy->MayRead(net.gra.id(), "shared"));
  BOOST_TEST(net.hq.policy->MayRead(net.gra.id(), "site:BA-GRA"));
  BOOST_TEST(!net.hq.policy->MayRead(net.gra.id(), "site:BA-BIJ"));
  BOOST_TEST(!net.hq.policy->MayRead(net.gra.id(), "site:HQ"));
  BOOST_TEST(net.gra.policy->MayRead(net.hq.id(), "site:BA-GRA"));
  BOOST_TEST(net.gra.policy->MayRead(net.hq.id(), "site:XK-VER"));

  // Sign() is verifiable with the node's certified key.
  Bytes msg = {1, 2, 3};
  Bytes sig = net.gra.policy->Sign(msg);
  BOOST_TEST(net.gra.keys->signing.PublicKey().Verify(msg, sig).ok());
}

BOOST_AUTO_TEST_CASE(rotation_keeps_the_node_syncing_and_retires_the_old_key) {
  Network net;
  crypto::NodeSecrets old_keys = CloneNodeSecrets(*net.gra.keys);
  auto statement = RotateKeys(*net.gra.store, *net.gra.keys, kPass, net.random,
                              crypto::PwhashParams::ForTests());
  BOOST_REQUIRE_MESSAGE(statement.ok(), statement.status().ToString());
  // HQ checks the statement against the current key and issues epoch 2.
  auto summary = InspectRequest(*net.hq.store, *statement);
  BOOST_REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
  BOOST_TEST(summary->kind == "rotate");
  BOOST_TEST(summary->epoch == 2u);
  auto issued = Enroll(*net.hq.store, *net.hq.keys, *statement);
  BOOST_REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
  BOOST_TEST(issued->certificate.epoch == 2u);
  // A replayed statement is from an old epoch now.
  BOOST_TEST(Enroll(*net.hq.store, *net.hq.keys, *statement).status().code() == Code::kConflict);

  // Until it installs, the site signs with its old key: still accepted.
  Uuid a = net.gra.Write("OLD-KEY");
  auto r = Deliver(net.gra, net.hq);
  BOOST_TEST(r.refused.empty(), Describe(r));
  BOOST_TEST(net.hq.Has(a));

  auto inst = InstallCertificate(*net.gra.store, issued->certificate_file, net.hq.fingerprint());
  BOOST_REQUIRE_MESSAGE(inst.ok(), inst.status().ToString());
  BOOST_TEST(inst->rotated);
  BOOST_TEST(!std::filesystem::exists(NextKeyFilePath(net.gra.dir.str())));
  net.gra.Unlock();
  BOOST_TEST(!(net.gra.keys->signing.PublicKey() == old_keys.signing.PublicKey()));
  net.gra.MakePolicy();

  // New key: accepted.
  Uuid b = net.gra.Write("NEW-KEY");
  r = Deliver(net.gra, net.hq);
  BOOST_TEST(r.refused.empty(), Describe(r));
  BOOST_TEST(net.hq.Has(b));
  BOOST_TEST(net.hq.policy->AuthorizePeer(net.gra.keys->kx.PublicKey()).ok());
  BOOST_TEST(net.hq.policy->AuthorizePeer(old_keys.kx.PublicKey()).ok());

  // Old key within the grace period: accepted.
  Uuid c = net.gra.Write("OLD-IN-GRACE");
  net.gra.SignWith(old_keys);
  r = Deliver(net.gra, net.hq);
  BOOST_TEST(r.refused.empty(), Describe(r));
  BOOST_TEST(net.hq.Has(c));

  // After the grace period: refused.
  net.clock.Advance(kDefaultRotationGraceMicros + kSecond);
  Uuid d = net.gra.Write("OLD-AFTER-GRACE");
  net.gra.SignWith(old_keys);
  r = Deliver(net.gra, net.hq);
  BOOST_TEST(RefusedWith(r, Code::kUnauthenticated, "previous key"), Describe(r));
  BOOST_TEST(!net.hq.Has(d));
  BOOST_TEST(net.hq.policy->AuthorizePeer(old_keys.kx.PublicKey()).status().code() ==
             Code::kUnauthenticated);
  BOOST_TEST(net.hq.policy->AuthorizePeer(net.gra.keys->kx.PublicKey()).ok());
}

BOOST_AUTO_TEST_CASE(batches_after_the_certificate_expires_are_refused) {
  FakeClock clock(kStart);
  SeededRandom random(10);
  Node hq(clock, random, Role::kHq, "HQ Sarajevo", "HQ");
  Node site(clock, random, Role::kSite, "Gradiška", "BA-GRA");
  auto req = MakeEnrollmentRequest(*site.store, *site.keys);
  EnrollOptions o;
  o.valid_days = 1;
  auto issued = Enroll(*hq.store, *hq.keys, *req, o);
  BOOST_REQUIRE(issued.ok());
  BOOST_REQUIRE(InstallCertificate(*site.store, issued->certificate_file, hq.fingerprint()).ok());
  clock.Advance(2 * kMicrosPerDay);
  site.Write("LATE");
  auto r = Deliver(site, hq);
  BOOST_TEST(RefusedWith(r, Code::kPermissionDenied, "expired"), Describe(r));
  BOOST_TEST(hq.policy->AuthorizePeer(site.keys->kx.PublicKey()).status().code() ==
             Code::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(documents_do_not_verify_as_another_kind) {
  SeededRandom random(11);
  BOOST_REQUIRE(crypto::InitCrypto().ok());
  auto key = crypto::SigningKey::Generate(random);
  Revocation rev;
  rev.node_id.fill(1);
  rev.reason = "test";
  Envelope e = SignRevocation(rev, key);
  BOOST_TEST(OpenRevocation(e, key.PublicKey()).ok());
  e.kind = "cert";
  BOOST_TEST(OpenCertificate(e, key.PublicKey()).status().code() == Code::kUnauthenticated);
  // Truncated and non-canonical bodies are corruption, never a crash.
  Bytes body = e.body;
  body.resize(body.size() - 8);
  BOOST_TEST(DecodeCertificate(body).status().code() == Code::kCorruption);
  BOOST_TEST(DecodeEnvelope(Bytes(3, 0)).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_SUITE_END()
