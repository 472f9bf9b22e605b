// web/signing.h: a page's signing act unlocks the node's keys with the key
// passphrase in its body, for that request only.
#include "web/signing.h"

#include <boost/test/unit_test.hpp>

#include "tests/node/keyed_node.h"

namespace outpost::web {
namespace {

using testing::KeyedNode;
using testing::kKeyedNodePass;

struct HqKeys {
  FakeClock clock{1'795'000'000'000'000};
  SeededRandom random{testing::NextSeed()};
  KeyedNode hq{clock, random, node::Role::kHq, "HQ"};
};

BOOST_FIXTURE_TEST_CASE(the_right_passphrase_unlocks_the_keys, HqKeys) {
  HttpResponse refusal;
  auto keys = UnlockForSigning(*hq.store, {{"key_passphrase", kKeyedNodePass}}, &refusal);
  BOOST_REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
  BOOST_TEST(keys->current.signing.PublicKey().bytes() == hq.keys->signing.PublicKey().bytes());
}

BOOST_FIXTURE_TEST_CASE(a_wrong_or_missing_passphrase_is_refused_at_its_field, HqKeys) {
  for (const nlohmann::json& body :
       {nlohmann::json::object(), nlohmann::json{{"key_passphrase", 7}},
        nlohmann::json{{"key_passphrase", ""}}}) {
    HttpResponse refusal;
    BOOST_TEST(!UnlockForSigning(*hq.store, body, &refusal).ok());
    BOOST_TEST(refusal.status == 422);
    BOOST_TEST(refusal.body.find("\"field\":\"key_passphrase\"") != std::string::npos);
  }
  HttpResponse refusal;
  auto keys = UnlockForSigning(*hq.store, {{"key_passphrase", "not it"}}, &refusal);
  BOOST_TEST(keys.status().code() == Code::kUnauthenticated);
  BOOST_TEST(refusal.status == 403);
  BOOST_TEST(refusal.body.find("does not open") != std::string::npos);
  BOOST_TEST(refusal.body.find("not it") == std::string::npos);  // never echoed
}

}  // namespace
}  // namespace outpost::web
