#include "crypto/keystore.h"

#include <sodium.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "crypto/keystore_internal.h"
#include "tests/crypto/test_util.h"

using namespace outpost;
using namespace outpost::crypto;

namespace {

constexpr char kPass[] = "correct horse battery staple";

Bytes SecretFixture(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(0xa0 + i);
  return b;
}

Bytes SealOrDie(std::span<const uint8_t> secret) {
  auto r = SealWithPassphrase(secret, kPass, PwhashParams::ForTests());
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return *r;
}

// One INTERACTIVE seal shared by the tests that only read it: each
// derivation costs ~0.1 s and 64 MiB.
const Bytes& SharedSealed() {
  static const Bytes kSealed = SealOrDie(SecretFixture(8));
  return kSealed;
}

void PutU64(Bytes& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

NodeSecrets MakeSecrets(uint64_t seed) {
  SeededRandom rnd(seed);
  SigningKey s = SigningKey::Generate(rnd);
  KxKeyPair k = KxKeyPair::Generate(rnd);
  return NodeSecrets{std::move(s), std::move(k)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keystore)

BOOST_AUTO_TEST_CASE(sealed_secret_opens_with_the_passphrase) {
  Bytes secret = SecretFixture(32);
  Bytes sealed = SealOrDie(secret);
  BOOST_TEST(sealed.size() == kKeyFileHeaderSize + secret.size() + 16);
  BOOST_TEST(std::string(sealed.begin(), sealed.begin() + 4) == "OPKS");
  auto opened = OpenWithPassphrase(sealed, kPass);
  BOOST_REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  BOOST_TEST(opened->Equals(secret));
}

BOOST_AUTO_TEST_CASE(two_seals_differ_by_salt_and_nonce) {
  Bytes secret = SecretFixture(8);
  const Bytes& a = SharedSealed();
  Bytes b = SealOrDie(secret);
  BOOST_TEST(ToHex(a) != ToHex(b));
  BOOST_TEST(ToHex(std::span(a).subspan(21, 16)) != ToHex(std::span(b).subspan(21, 16)));
}

BOOST_AUTO_TEST_CASE(wrong_passphrase_is_refused) {
  Bytes sealed = SealOrDie(SecretFixture(32));
  auto r = OpenWithPassphrase(sealed, "correct horse battery stapler");
  BOOST_TEST(r.status().code() == Code::kUnauthenticated);
  BOOST_TEST(r.status().message() == "wrong passphrase or damaged key file");
  BOOST_TEST(OpenWithPassphrase(sealed, "").status().code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(moderate_is_the_default_recorded_in_the_header) {
  // The one test that pays for a MODERATE derivation (~0.5 s).
  auto sealed = SealWithPassphrase(SecretFixture(4), kPass);
  BOOST_REQUIRE(sealed.ok());
  auto params = ReadKeyFileParams(*sealed);
  BOOST_REQUIRE(params.ok());
  BOOST_TEST(params->opslimit == PwhashParams::Moderate().opslimit);
  BOOST_TEST(params->memlimit == PwhashParams::Moderate().memlimit);
  BOOST_TEST(PwhashParams::Moderate().opslimit >= 3u);
  BOOST_TEST(PwhashParams::Moderate().memlimit >= 256u * 1024 * 1024);
}

BOOST_AUTO_TEST_CASE(bad_magic_is_corruption) {
  Bytes sealed = SharedSealed();
  sealed[0] = 'X';
  BOOST_TEST(OpenWithPassphrase(sealed, kPass).status().code() == Code::kCorruption);
  BOOST_TEST(OpenWithPassphrase(Bytes{}, kPass).status().code() == Code::kCorruption);
  Bytes text = {'h', 'e', 'l', 'l', 'o'};
  BOOST_TEST(OpenWithPassphrase(text, kPass).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(truncated_file_is_corruption) {
  Bytes sealed = SharedSealed();
  for (size_t len : {size_t{4}, size_t{30}, kKeyFileHeaderSize, kKeyFileHeaderSize + 15}) {
    auto r = OpenWithPassphrase(std::span(sealed).first(len), kPass);
    BOOST_TEST(r.status().code() == Code::kCorruption, "length " << len);
  }
  // Cutting only ciphertext bytes keeps a well-formed header: the tag fails.
  auto r = OpenWithPassphrase(std::span(sealed).first(sealed.size() - 1), kPass);
  BOOST_TEST(r.status().code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(unknown_version_is_corruption) {
  Bytes sealed = SharedSealed();
  sealed[4] = 2;
  auto r = OpenWithPassphrase(sealed, kPass);
  BOOST_TEST(r.status().code() == Code::kCorruption);
  BOOST_TEST(r.status().message().find("version 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(downgraded_work_factors_are_refused_before_derivation) {
  Bytes sealed = SharedSealed();
  // kCorruption (not kUnauthenticated) shows Open refused before running
  // Argon2id with the attacker's cheap parameters.
  Bytes ops = sealed;
  PutU64(ops, 5, 1);
  BOOST_TEST(OpenWithPassphrase(ops, kPass).status().code() == Code::kCorruption);
  Bytes mem = sealed;
  PutU64(mem, 13, 8192);
  auto r = OpenWithPassphrase(mem, kPass);
  BOOST_TEST(r.status().code() == Code::kCorruption);
  BOOST_TEST(r.status().message().find("below the minimum") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(absurd_work_factors_are_refused) {
  Bytes sealed = SharedSealed();
  Bytes mem = sealed;
  PutU64(mem, 13, uint64_t{1} << 40);
  auto r = OpenWithPassphrase(mem, kPass);
  BOOST_TEST(r.status().code() == Code::kCorruption);
  BOOST_TEST(r.status().message().find("above the maximum") != std::string::npos);
  Bytes ops = sealed;
  PutU64(ops, 5, 1000);
  BOOST_TEST(OpenWithPassphrase(ops, kPass).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(every_flipped_byte_is_refused) {
  // Through the floor seam at libsodium's minimum work factors, so that the
  // ~70 derivations take milliseconds; the parsing and checks are the
  // production code.
  const PwhashParams kMin{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  auto sealed = detail::SealWithPassphraseFloor(SecretFixture(8), kPass, kMin, kMin);
  BOOST_REQUIRE(sealed.ok());
  BOOST_REQUIRE(detail::OpenWithPassphraseFloor(*sealed, kPass, kMin).ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      Bytes bad = *sealed;
      bad[i] ^= flip;
      auto r = detail::OpenWithPassphraseFloor(bad, kPass, kMin);
      BOOST_TEST(!r.ok(), "flip " << int{flip} << " at byte " << i << " was accepted");
      BOOST_TEST(
          (r.status().code() == Code::kCorruption || r.status().code() == Code::kUnauthenticated),
          "byte " << i << ": " << r.status().ToString());
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_secret_round_trips) {
  const PwhashParams kMin{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  auto sealed = detail::SealWithPassphraseFloor({}, kPass, kMin, kMin);
  BOOST_REQUIRE(sealed.ok());
  BOOST_TEST(sealed->size() == kKeyFileHeaderSize + 16);
  auto opened = detail::OpenWithPassphraseFloor(*sealed, kPass, kMin);
  BOOST_REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  BOOST_TEST(opened->empty());
  // The production floor refuses this file's work factors.
  BOOST_TEST(OpenWithPassphrase(*sealed, kPass).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(flipped_salt_nonce_or_ciphertext_is_refused_at_interactive) {
  // A sample of the positions above through the public function.
  const Bytes& sealed = SharedSealed();
  for (size_t i : {size_t{21}, size_t{40}, kKeyFileHeaderSize, sealed.size() - 1}) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    BOOST_TEST(OpenWithPassphrase(bad, kPass).status().code() == Code::kUnauthenticated,
               "byte " << i);
  }
}

BOOST_AUTO_TEST_CASE(seal_refuses_weak_parameters_and_empty_passphrase) {
  Bytes secret = SecretFixture(8);
  PwhashParams weak{1, 8192};
  BOOST_TEST(SealWithPassphrase(secret, kPass, weak).status().code() == Code::kInvalidArgument);
  PwhashParams huge{1000, PwhashParams::Interactive().memlimit};
  BOOST_TEST(SealWithPassphrase(secret, kPass, huge).status().code() == Code::kInvalidArgument);
  BOOST_TEST(SealWithPassphrase(secret, "", PwhashParams::ForTests()).status().code() ==
             Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(node_secrets_round_trip) {
  NodeSecrets a = MakeSecrets(11);
  SecretBytes blob = SerializeNodeSecrets(a);
  BOOST_TEST(blob.size() == 69u);
  auto b = ParseNodeSecrets(blob.span());
  BOOST_REQUIRE(b.ok());
  BOOST_TEST((b->signing.PublicKey() == a.signing.PublicKey()));
  BOOST_TEST((b->kx.PublicKey() == a.kx.PublicKey()));

  auto sealed = SealNodeSecrets(a, kPass, PwhashParams::ForTests());
  BOOST_REQUIRE(sealed.ok());
  auto c = OpenNodeSecrets(*sealed, kPass);
  BOOST_REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  BOOST_TEST((c->signing.PublicKey() == a.signing.PublicKey()));
  BOOST_TEST((c->kx.PublicKey() == a.kx.PublicKey()));
  BOOST_TEST(OpenNodeSecrets(*sealed, "nope").status().code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(malformed_node_secrets_are_corruption) {
  NodeSecrets a = MakeSecrets(12);
  SecretBytes blob = SerializeNodeSecrets(a);
  Bytes raw(blob.data(), blob.data() + blob.size());
  BOOST_TEST(ParseNodeSecrets(std::span(raw).first(68)).status().code() == Code::kCorruption);
  Bytes magic = raw;
  magic[1] = 'X';
  BOOST_TEST(ParseNodeSecrets(magic).status().code() == Code::kCorruption);
  Bytes version = raw;
  version[4] = 9;
  BOOST_TEST(ParseNodeSecrets(version).status().code() == Code::kCorruption);
  // A sealed blob that is not node secrets opens but does not parse.
  auto sealed = SealWithPassphrase(std::span(raw).first(10), kPass, PwhashParams::ForTests());
  BOOST_REQUIRE(sealed.ok());
  BOOST_TEST(OpenNodeSecrets(*sealed, kPass).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_SUITE_END()
