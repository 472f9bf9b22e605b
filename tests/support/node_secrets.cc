#include "tests/support/node_secrets.h"

#include <boost/test/unit_test.hpp>
#include <utility>

namespace outpost::testing {

crypto::NodeSecrets CloneNodeSecrets(const crypto::NodeSecrets& secrets) {
  auto signing = crypto::SigningKey::FromSeed(secrets.signing.Seed());
  BOOST_REQUIRE_MESSAGE(signing.ok(), signing.status().ToString());
  return crypto::NodeSecrets{std::move(*signing), secrets.kx.Clone()};
}

}  // namespace outpost::testing
