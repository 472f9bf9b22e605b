// sync_net_test: the sync protocol (session, transport, fault proxy, bundles).
#define BOOST_TEST_MODULE sync_net
#include <boost/test/unit_test.hpp>

#include "tests/sync/net_fixture.h"

using outpost::testing::CryptoInit;
BOOST_TEST_GLOBAL_FIXTURE(CryptoInit);
