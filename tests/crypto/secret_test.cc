#include "crypto/secret.h"

#include <boost/test/unit_test.hpp>
#include <cstring>

using namespace outpost;
using namespace outpost::crypto;

BOOST_AUTO_TEST_SUITE(secret)

BOOST_AUTO_TEST_CASE(init_crypto_is_idempotent) {
  BOOST_TEST(InitCrypto().ok());
  BOOST_TEST(InitCrypto().ok());
  BOOST_TEST(CryptoInitialized());
}

BOOST_AUTO_TEST_CASE(new_secret_is_zeroed_and_sized) {
  SecretBytes s(48);
  BOOST_TEST(s.size() == 48u);
  BOOST_TEST(!s.empty());
  for (uint8_t b : s.span()) BOOST_TEST(b == 0);
  SecretBytes empty(0);
  BOOST_TEST(empty.empty());
  BOOST_TEST(empty.data() == nullptr);
}

BOOST_AUTO_TEST_CASE(move_transfers_ownership_and_empties_source) {
  const uint8_t raw[] = {1, 2, 3, 4};
  SecretBytes a = SecretBytes::CopyOf(raw);
  const uint8_t* where = a.data();
  SecretBytes b = std::move(a);
  BOOST_TEST(a.empty());  // NOLINT(bugprone-use-after-move): checking the contract
  BOOST_TEST(a.data() == nullptr);
  BOOST_TEST(b.data() == where);
  BOOST_TEST(b.Equals(raw));
  SecretBytes c(2);
  c = std::move(b);
  BOOST_TEST(c.Equals(raw));
  BOOST_TEST(b.empty());  // NOLINT(bugprone-use-after-move)
}

BOOST_AUTO_TEST_CASE(clone_is_an_independent_copy) {
  const uint8_t raw[] = {9, 8, 7};
  SecretBytes a = SecretBytes::CopyOf(raw);
  SecretBytes b = a.Clone();
  BOOST_TEST(b.data() != a.data());
  b.data()[0] = 0;
  BOOST_TEST(a.Equals(raw));
  BOOST_TEST(!b.Equals(raw));
}

BOOST_AUTO_TEST_CASE(equals_compares_size_and_content) {
  const uint8_t raw[] = {1, 2, 3};
  const uint8_t other[] = {1, 2, 4};
  SecretBytes a = SecretBytes::CopyOf(raw);
  BOOST_TEST(a.Equals(raw));
  BOOST_TEST(!a.Equals(other));
  BOOST_TEST(!a.Equals(std::span<const uint8_t>(raw, 2)));
}

BOOST_AUTO_TEST_SUITE_END()
