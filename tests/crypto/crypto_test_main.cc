#define BOOST_TEST_MODULE crypto
#include <boost/test/unit_test.hpp>

#include "crypto/secret.h"

// Every test runs after InitCrypto(), as every Outpost binary does.
struct InitCryptoFixture {
  InitCryptoFixture() {
    auto st = outpost::crypto::InitCrypto();
    if (!st.ok()) throw std::runtime_error(st.ToString());
  }
};
BOOST_TEST_GLOBAL_FIXTURE(InitCryptoFixture);
