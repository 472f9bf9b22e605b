#include "crypto/keys.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "tests/crypto/test_util.h"

using namespace outpost;
using namespace outpost::crypto;
using outpost::crypto::testing::Hex;
using outpost::crypto::testing::Msg;

namespace {
// RFC 8032 section 7.1, TEST 1 (empty message).
const char kRfcSeed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char kRfcPublic[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char kRfcSignature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e397"
    "01cf9b46bd25bf5f0595bbe24655141438e7a100b";

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(ed25519_matches_rfc8032_test_1) {
  auto key = SigningKey::FromSeed(Hex(kRfcSeed));
  BOOST_REQUIRE(key.ok());
  BOOST_TEST(ToHex(key->PublicKey().bytes()) == kRfcPublic);
  Signature sig = key->Sign({});
  BOOST_TEST(ToHex(sig) == kRfcSignature);
  BOOST_TEST(key->PublicKey().Verify({}, sig).ok());
}

BOOST_AUTO_TEST_CASE(signature_over_other_message_is_refused) {
  SeededRandom rnd(7);
  SigningKey key = SigningKey::Generate(rnd);
  Signature sig = key.Sign(Msg("batch 42"));
  BOOST_TEST(key.PublicKey().Verify(Msg("batch 42"), sig).ok());
  Status st = key.PublicKey().Verify(Msg("batch 43"), sig);
  BOOST_TEST(st.code() == Code::kUnauthenticated);
  sig[10] ^= 0x01;
  BOOST_TEST(key.PublicKey().Verify(Msg("batch 42"), sig).code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(signature_by_other_key_is_refused) {
  SeededRandom rnd(8);
  SigningKey a = SigningKey::Generate(rnd);
  SigningKey b = SigningKey::Generate(rnd);
  BOOST_TEST((!(a.PublicKey() == b.PublicKey())));
  Signature sig = a.Sign(Msg("x"));
  BOOST_TEST(b.PublicKey().Verify(Msg("x"), sig).code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(wrong_sizes_are_invalid_arguments) {
  BOOST_TEST(SigningKey::FromSeed(Bytes(31)).status().code() == Code::kInvalidArgument);
  BOOST_TEST(VerifyKey::FromBytes(Bytes(33)).status().code() == Code::kInvalidArgument);
  BOOST_TEST(KxKeyPair::FromSecret(Bytes(16)).status().code() == Code::kInvalidArgument);
  auto vk = VerifyKey::FromBytes(Hex(kRfcPublic));
  BOOST_REQUIRE(vk.ok());
  BOOST_TEST(vk->Verify({}, Bytes(63)).code() == Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(seed_round_trips) {
  SeededRandom rnd(9);
  SigningKey a = SigningKey::Generate(rnd);
  auto b = SigningKey::FromSeed(a.Seed());
  BOOST_REQUIRE(b.ok());
  BOOST_TEST((a.PublicKey() == b->PublicKey()));
  BOOST_TEST(ToHex(a.Sign(Msg("m"))) == ToHex(b->Sign(Msg("m"))));
}

BOOST_AUTO_TEST_CASE(x25519_public_matches_rfc7748) {
  // RFC 7748 section 6.1, Alice.
  auto kx = KxKeyPair::FromSecret(
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  BOOST_REQUIRE(kx.ok());
  BOOST_TEST(ToHex(kx->PublicKey()) ==
             "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  KxKeyPair copy = kx->Clone();
  BOOST_TEST((copy.PublicKey() == kx->PublicKey()));
  BOOST_TEST(copy.Secret().Equals(kx->Secret().span()));
}

// The tag both ends of one X25519 pair compute, and no third key can
// (node/keys.h RotationKxProof builds on it).
BOOST_AUTO_TEST_CASE(kx_possession_tag_matches_at_both_ends_only) {
  auto alice = KxKeyPair::FromSecret(
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = KxKeyPair::FromSecret(
      Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  auto eve = KxKeyPair::FromSecret(
      Hex("0101010101010101010101010101010101010101010101010101010101010101"));
  BOOST_REQUIRE(alice.ok() && bob.ok() && eve.ok());
  const Bytes ctx = Msg("context");
  auto ab = KxPossessionTag(*alice, bob->PublicKey(), ctx);
  auto ba = KxPossessionTag(*bob, alice->PublicKey(), ctx);
  auto eb = KxPossessionTag(*eve, bob->PublicKey(), ctx);
  auto other = KxPossessionTag(*alice, bob->PublicKey(), Msg("other"));
  BOOST_REQUIRE(ab.ok() && ba.ok() && eb.ok() && other.ok());
  BOOST_TEST(ToHex(*ab) == ToHex(*ba));
  BOOST_TEST(ToHex(*ab) != ToHex(*eb));
  BOOST_TEST(ToHex(*ab) != ToHex(*other));
  // A low-order point (here 0) has no shared secret.
  PublicKeyBytes zero{};
  auto low = KxPossessionTag(*alice, zero, ctx);
  BOOST_TEST(low.status().code() == Code::kUnauthenticated, low.status().ToString());
}

BOOST_AUTO_TEST_CASE(hash256_is_blake2b_256) {
  // Values from Python's hashlib.blake2b(digest_size=32), an independent
  // implementation.
  BOOST_TEST(ToHex(Hash256({})) ==
             "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  BOOST_TEST(ToHex(Hash256(Msg("abc"))) ==
             "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

BOOST_AUTO_TEST_CASE(hasher_matches_one_shot_for_any_split) {
  Bytes data = Msg("the quick brown fox jumps over the lazy dog, twice over");
  Hash whole = Hash256(data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Hasher h;
    h.Update(std::span<const uint8_t>(data).first(cut));
    h.Update(std::span<const uint8_t>(data).subspan(cut));
    BOOST_TEST(ToHex(h.Finish()) == ToHex(whole), "cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(fingerprint_is_grouped_blake2b_prefix) {
  // First 16 bytes of BLAKE2b-256 of the RFC 8032 key (from Python's hashlib).
  BOOST_TEST(Fingerprint(Hex(kRfcPublic)) == "7849-ac30-4968-0be1-ef76-2efe-0d36-e017");
}

BOOST_AUTO_TEST_CASE(fingerprint_parses_and_matches) {
  Bytes key = Hex(kRfcPublic);
  std::string fp = Fingerprint(key);
  auto parsed = ParseFingerprint(fp);
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(ToHex(*parsed) == "7849ac3049680be1ef762efe0d36e017");
  BOOST_TEST(MatchesFingerprint(key, fp));
  BOOST_TEST(MatchesFingerprint(key, "7849-AC30-4968-0BE1-EF76-2EFE-0D36-E017"));
  key[0] ^= 1;
  BOOST_TEST(!MatchesFingerprint(key, fp));
  BOOST_TEST(!MatchesFingerprint(key, "garbage"));
}

BOOST_AUTO_TEST_CASE(malformed_fingerprint_is_refused) {
  const char* bad[] = {
      "",                                          // empty
      "7849-ac30-4968-0be1-ef76-2efe-0d36-e01",    // short
      "7849-ac30-4968-0be1-ef76-2efe-0d36-e0177",  // long
      "7849ac30-4968-0be1-ef76-2efe-0d36-e017-",   // dash misplaced
      "7849-ac30-4968-0be1-ef76-2efe-0d36-e01g",   // not hex
      "7849:ac30-4968-0be1-ef76-2efe-0d36-e017",   // wrong separator
  };
  for (const char* text : bad) {
    auto r = ParseFingerprint(text);
    BOOST_TEST(r.status().code() == Code::kInvalidArgument, "input \"" << text << "\"");
  }
}

BOOST_AUTO_TEST_SUITE_END()
