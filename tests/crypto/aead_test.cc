#include "crypto/aead.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "tests/crypto/test_util.h"

using namespace outpost;
using namespace outpost::crypto;
using outpost::crypto::testing::Msg;

BOOST_AUTO_TEST_SUITE(aead)

BOOST_AUTO_TEST_CASE(sealed_data_opens_with_key_and_ad) {
  SeededRandom rnd(1);
  SecretBytes key = NewAeadKey(rnd);
  auto sealed = AeadSeal(key.span(), Msg("manifest"), Msg("ad"), rnd);
  BOOST_REQUIRE(sealed.ok());
  BOOST_TEST(sealed->size() == 24 + 8 + 16u);
  auto opened = AeadOpen(key.span(), *sealed, Msg("ad"));
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST(std::string(opened->begin(), opened->end()) == "manifest");
}

BOOST_AUTO_TEST_CASE(wrong_key_ad_or_any_flipped_byte_is_refused) {
  SeededRandom rnd(2);
  SecretBytes key = NewAeadKey(rnd), other = NewAeadKey(rnd);
  Bytes sealed = *AeadSeal(key.span(), Msg("payload"), Msg("ad"), rnd);
  BOOST_TEST(AeadOpen(other.span(), sealed, Msg("ad")).status().code() == Code::kUnauthenticated);
  BOOST_TEST(AeadOpen(key.span(), sealed, Msg("AD")).status().code() == Code::kUnauthenticated);
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    BOOST_TEST(AeadOpen(key.span(), bad, Msg("ad")).status().code() == Code::kUnauthenticated,
               "flip at " << i);
  }
}

BOOST_AUTO_TEST_CASE(short_input_and_bad_key_size_are_refused) {
  SeededRandom rnd(3);
  SecretBytes key = NewAeadKey(rnd);
  BOOST_TEST(AeadOpen(key.span(), Bytes(39), {}).status().code() == Code::kCorruption);
  BOOST_TEST(AeadSeal(Bytes(16), Msg("x"), {}, rnd).status().code() == Code::kInvalidArgument);
  BOOST_TEST(AeadOpen(Bytes(31), Bytes(64), {}).status().code() == Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(box_opens_only_for_its_recipient) {
  SeededRandom rnd(4);
  KxKeyPair hq = KxKeyPair::Generate(rnd), other = KxKeyPair::Generate(rnd);
  auto box = SealToRecipient(Msg("bundle"), hq.PublicKey(), rnd);
  BOOST_REQUIRE(box.ok());
  auto opened = OpenFromSender(*box, hq);
  BOOST_REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  BOOST_TEST(std::string(opened->plaintext.begin(), opened->plaintext.end()) == "bundle");
  BOOST_TEST(!opened->sender.has_value());
  BOOST_TEST(OpenFromSender(*box, other).status().code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(each_box_uses_a_fresh_ephemeral_key) {
  SeededRandom rnd(5);
  KxKeyPair hq = KxKeyPair::Generate(rnd);
  Bytes a = *SealToRecipient(Msg("same"), hq.PublicKey(), rnd);
  Bytes b = *SealToRecipient(Msg("same"), hq.PublicKey(), rnd);
  BOOST_TEST(ToHex(std::span(a).subspan(6, 32)) != ToHex(std::span(b).subspan(6, 32)));
  BOOST_TEST(ToHex(a) != ToHex(b));
}

BOOST_AUTO_TEST_CASE(sender_authenticated_box_names_and_checks_its_sender) {
  SeededRandom rnd(6);
  KxKeyPair hq = KxKeyPair::Generate(rnd), node = KxKeyPair::Generate(rnd),
            impostor = KxKeyPair::Generate(rnd);
  Bytes box = *SealToRecipient(Msg("delta"), hq.PublicKey(), rnd, &node, Msg("ctx"));
  auto opened = OpenFromSender(box, hq, &node.PublicKey(), Msg("ctx"));
  BOOST_REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  BOOST_REQUIRE(opened->sender.has_value());
  BOOST_TEST((*opened->sender == node.PublicKey()));

  // Expecting another sender, or a sender on an anonymous box, is refused.
  BOOST_TEST(OpenFromSender(box, hq, &impostor.PublicKey(), Msg("ctx")).status().code() ==
             Code::kUnauthenticated);
  Bytes anon = *SealToRecipient(Msg("delta"), hq.PublicKey(), rnd, nullptr, Msg("ctx"));
  BOOST_TEST(OpenFromSender(anon, hq, &node.PublicKey(), Msg("ctx")).status().code() ==
             Code::kUnauthenticated);
  // Wrong associated data.
  BOOST_TEST(OpenFromSender(box, hq, nullptr, Msg("other")).status().code() ==
             Code::kUnauthenticated);

  // Swapping in the impostor's public key as "sender" breaks the key
  // derivation: the impostor cannot claim the box.
  Bytes forged = box;
  std::copy(impostor.PublicKey().begin(), impostor.PublicKey().end(), forged.begin() + 38);
  BOOST_TEST(OpenFromSender(forged, hq, &impostor.PublicKey(), Msg("ctx")).status().code() ==
             Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(every_flipped_box_byte_is_refused) {
  SeededRandom rnd(7);
  KxKeyPair hq = KxKeyPair::Generate(rnd), node = KxKeyPair::Generate(rnd);
  Bytes box = *SealToRecipient(Msg("abc"), hq.PublicKey(), rnd, &node);
  for (size_t i = 0; i < box.size(); ++i) {
    Bytes bad = box;
    bad[i] ^= 0x01;
    auto r = OpenFromSender(bad, hq);
    BOOST_TEST(!r.ok(), "flip at " << i << " accepted");
  }
}

BOOST_AUTO_TEST_CASE(malformed_box_is_corruption) {
  SeededRandom rnd(8);
  KxKeyPair hq = KxKeyPair::Generate(rnd);
  Bytes box = *SealToRecipient(Msg("abc"), hq.PublicKey(), rnd);
  Bytes magic = box;
  magic[0] = 'Z';
  BOOST_TEST(OpenFromSender(magic, hq).status().code() == Code::kCorruption);
  Bytes version = box;
  version[4] = 7;
  BOOST_TEST(OpenFromSender(version, hq).status().code() == Code::kCorruption);
  Bytes flags = box;
  flags[5] = 0x80;
  BOOST_TEST(OpenFromSender(flags, hq).status().code() == Code::kCorruption);
  BOOST_TEST(OpenFromSender(std::span(box).first(40), hq).status().code() == Code::kCorruption);
  BOOST_TEST(OpenFromSender(Bytes{}, hq).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(low_order_keys_are_refused) {
  SeededRandom rnd(9);
  KxKeyPair hq = KxKeyPair::Generate(rnd);
  PublicKeyBytes zero{};
  BOOST_TEST(SealToRecipient(Msg("x"), zero, rnd).status().code() == Code::kInvalidArgument);
  // A box whose ephemeral key was replaced by a low-order point.
  Bytes box = *SealToRecipient(Msg("x"), hq.PublicKey(), rnd);
  std::fill(box.begin() + 6, box.begin() + 38, 0);
  BOOST_TEST(OpenFromSender(box, hq).status().code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_SUITE_END()
