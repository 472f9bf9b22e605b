// A temporary data directory with a real store in it, for node tests.
#ifndef OUTPOST_TESTS_NODE_NODE_FIXTURE_H_
#define OUTPOST_TESTS_NODE_NODE_FIXTURE_H_

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <memory>

#include "node/records.h"
#include "node/store.h"

namespace outpost::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("outpost-node-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string str() const { return path.string(); }
};

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

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_NODE_NODE_FIXTURE_H_
