// Helpers for tests of the layers that hold a node's keys
// (outpost_test_support_crypto, which depends on outpost_crypto only):
// CloneNodeSecrets, a second copy of a node's secrets, for a test that hands
// one copy to the code under test (TrustPolicy::Create, a rotation) and keeps
// the other. crypto::NodeSecrets is move-only on purpose; only tests copy it.
//
// A secret that cannot be copied ends the test case (BOOST_REQUIRE).
// Thread-safe. Requires crypto::InitCrypto().
#ifndef OUTPOST_TESTS_SUPPORT_NODE_SECRETS_H_
#define OUTPOST_TESTS_SUPPORT_NODE_SECRETS_H_

#include "crypto/keystore.h"

namespace outpost::testing {

// The same Ed25519 identity (rebuilt from its seed) and the same X25519 key.
crypto::NodeSecrets CloneNodeSecrets(const crypto::NodeSecrets& secrets);

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_SUPPORT_NODE_SECRETS_H_
