// Bundles: sync by file only.
#include "sync/bundle.h"

#include <boost/test/unit_test.hpp>

#include "tests/sync/net_fixture.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;

namespace {
BundleEnv Env(NetNode& n) {
  return BundleEnv{n.node.replica.get(), &n.policy, n.ledger.get(), &n.kx,
                   &n.node.clock,        &n.random};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bundle)

BOOST_AUTO_TEST_CASE(round_trip_a_to_b_to_a_converges_and_carries_the_ack) {
  Directory dir;
  NetNode hq(dir, 1), site(dir, 2);
  hq.Write(30, "shared");
  auto f1 = ExportBundle(Env(hq), site.id(), site.kx.PublicKey());
  BOOST_REQUIRE_MESSAGE(f1.ok(), f1.status().ToString());
  auto i1 = ImportBundle(Env(site), *f1);
  BOOST_REQUIRE_MESSAGE(i1.ok(), i1.status().ToString());
  BOOST_TEST(i1->merge.applied == 30u);
  // Importing again changes nothing.
  auto again = ImportBundle(Env(site), *f1);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->merge.applied == 0u);
  BOOST_TEST(again->merge.duplicates == 30u);

  site.Write(10, "site:AA-ONE");
  auto f2 = ExportBundle(Env(site), hq.id(), hq.kx.PublicKey());
  BOOST_REQUIRE(f2.ok());
  BundleInfo info;
  auto i2 = ImportBundle(Env(hq), *f2);
  BOOST_REQUIRE_MESSAGE(i2.ok(), i2.status().ToString());
  BOOST_TEST(i2->batches == 10u);  // the site knew (from hq's bundle) what hq holds
  BOOST_TEST(hq.Digest() == site.Digest());
  // The acknowledgement came back: hq now exports nothing to the site.
  auto f3 = ExportBundle(Env(hq), site.id(), site.kx.PublicKey(), &info);
  BOOST_REQUIRE(f3.ok());
  BOOST_TEST(info.batches == 0u);
  BOOST_TEST_MESSAGE("bundle of 30 batches: " << f1->size() << " bytes; empty bundle " << f3->size()
                                              << " bytes");
}

BOOST_AUTO_TEST_CASE(a_compressed_bundle_is_smaller_and_a_version_1_bundle_still_imports) {
  Directory dir;
  NetNode hq(dir, 1), site(dir, 2), other(dir, 3);
  hq.Write(300, "shared");
  auto packed = ExportBundle(Env(hq), site.id(), site.kx.PublicKey());
  BundleEnv old_env = Env(hq);
  old_env.compress = false;
  auto plain = ExportBundle(old_env, other.id(), other.kx.PublicKey());
  BOOST_REQUIRE(packed.ok());
  BOOST_REQUIRE(plain.ok());
  BOOST_TEST((*packed)[4] == 2);
  BOOST_TEST((*plain)[4] == 1);
  BOOST_TEST_MESSAGE("300 batches: bundle version 2 " << packed->size() << " bytes, version 1 "
                                                      << plain->size());
  // Signatures, hashes and ids (~128 random bytes a batch) do not compress.
  BOOST_TEST(packed->size() * 3 < plain->size() * 2);
  auto a = ImportBundle(Env(site), *packed);
  BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
  auto b = ImportBundle(Env(other), *plain);
  BOOST_REQUIRE_MESSAGE(b.ok(), b.status().ToString());
  BOOST_TEST(a->merge.applied == 300u);
  BOOST_TEST(b->merge.applied == 300u);
  BOOST_TEST(site.Digest() == hq.Digest());
  BOOST_TEST(other.Digest() == hq.Digest());
}

BOOST_AUTO_TEST_CASE(tampered_misaddressed_or_foreign_bundles_are_refused) {
  Directory dir;
  NetNode hq(dir, 1), site(dir, 2), other(dir, 3), stranger(dir, 4, /*enrol=*/false);
  hq.Write(5, "shared");
  auto f = *ExportBundle(Env(hq), site.id(), site.kx.PublicKey());
  for (size_t k :
       {size_t{0}, size_t{4}, size_t{10}, size_t{40}, size_t{60}, f.size() / 2, f.size() - 70}) {
    Bytes bad = f;
    bad[k] ^= 0x01;
    auto r = ImportBundle(Env(site), bad);
    BOOST_TEST_CONTEXT("flip at " << k) { BOOST_TEST(!r.ok()); }
  }
  BOOST_TEST(
      ImportBundle(Env(site), std::span<const uint8_t>(f).first(f.size() - 1)).status().code() ==
      Code::kCorruption);
  BOOST_TEST(ImportBundle(Env(other), f).status().code() == Code::kInvalidArgument);
  BOOST_TEST(*site.node.db->QueryInt("SELECT count(*) FROM item") == 0);
  // From a node that is not enrolled.
  stranger.Write(2, "shared");
  auto sf = *ExportBundle(Env(stranger), site.id(), site.kx.PublicKey());
  BOOST_TEST(ImportBundle(Env(site), sf).status().code() == Code::kUnauthenticated);
}

// Issue 16, flaw 7: the signature that closes a bundle file was written and
// never checked. A flipped signature byte, or the file re-signed by another
// enrolled node, must be refused before anything is merged.
BOOST_AUTO_TEST_CASE(a_bundle_whose_file_signature_fails_is_refused) {
  Directory dir;
  NetNode hq(dir, 1), site(dir, 2), other(dir, 3);
  hq.Write(5, "shared");
  const Bytes f = *ExportBundle(Env(hq), site.id(), site.kx.PublicKey());
  for (size_t k : {f.size() - 64, f.size() - 30, f.size() - 1}) {
    Bytes bad = f;
    bad[k] ^= 0x01;
    auto r = ImportBundle(Env(site), bad);
    BOOST_TEST_CONTEXT("flip at " << k) {
      BOOST_TEST(r.status().code() == Code::kUnauthenticated, r.status().ToString());
      BOOST_TEST(r.status().message().find("bundle.signature") != std::string::npos);
    }
  }
  Bytes resigned(f.begin(), f.end() - 64);
  auto sig = other.signing.Sign(resigned);
  resigned.insert(resigned.end(), sig.begin(), sig.end());
  auto r = ImportBundle(Env(site), resigned);
  BOOST_TEST(r.status().code() == Code::kUnauthenticated, r.status().ToString());
  BOOST_TEST(*site.node.db->QueryInt("SELECT count(*) FROM item") == 0);
  // The file as signed is taken in.
  auto ok = ImportBundle(Env(site), f);
  BOOST_REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  BOOST_TEST(ok->merge.applied == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
