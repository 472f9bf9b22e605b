// A temporary data directory with a real store in it, for node tests.
#ifndef OUTPOST_TESTS_NODE_NODE_FIXTURE_H_
#define OUTPOST_TESTS_NODE_NODE_FIXTURE_H_

#include <boost/test/unit_test.hpp>
#include <memory>

#include "node/records.h"
#include "node/store.h"
#include "tests/support/temp_dir.h"

namespace outpost::testing {

// Distinct per fixture, so that two nodes in one test get different ids.
inline uint64_t NextSeed() {
  static uint64_t seed = 7;
  return seed++;
}

struct SiteFixture {
  TempDir dir;
  FakeClock clock{1'795'000'000'000'000};  // 2026-11
  SeededRandom random{NextSeed()};
  std::unique_ptr<node::Store> store;
  std::unique_ptr<node::Records> records;
  node::Actor officer{"BA-GRA-0042", ""};

  explicit SiteFixture(node::Role role = node::Role::kSite, std::string site = "BA-GRA") {
    node::Identity id;
    id.id = NewUuidV7(clock, random);
    id.role = role;
    id.name = "Gradiška";
    id.site = site;
    auto s = node::Store::Create(dir.str(), id, clock, random);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    store = std::move(*s);
    records = std::make_unique<node::Records>(*store);
  }
};

// A stand-in signature for sealing batches that no peer verifies.
inline Bytes FakeSign(std::span<const uint8_t>) { return Bytes(64, 0x5a); }

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_NODE_NODE_FIXTURE_H_
