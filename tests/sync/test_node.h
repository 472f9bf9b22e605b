// An in-memory replica with its own fake clock, for CRDT tests.
#ifndef OUTPOST_TESTS_SYNC_TEST_NODE_H_
#define OUTPOST_TESTS_SYNC_TEST_NODE_H_

#include <boost/test/unit_test.hpp>
#include <functional>
#include <memory>

#include "base/sqlite.h"
#include "sync/replica.h"
#include "tests/sync/test_catalogue.h"

namespace outpost::testing {

constexpr int64_t kStartMicros = 1'790'000'000'000'000;

inline Status AcceptAll(const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); }

// A stand-in signature: these replicas merge with AcceptAll.
inline Bytes TestSign(std::span<const uint8_t>) { return Bytes(64, 0x5a); }

struct TestNode {
  FakeClock clock{kStartMicros};
  std::unique_ptr<Db> db;
  std::unique_ptr<sync::Replica> replica;
  sync::NodeId id{};

  explicit TestNode(uint8_t tag, uint32_t version = 2, std::string path = ":memory:")
      : TestNode(tag, TestCatalogue(version), std::move(path)) {}
  // A node with another catalogue (the domain catalogue as of some version).
  TestNode(uint8_t tag, schema::Catalogue catalogue, std::string path = ":memory:") {
    id.fill(0);
    id[0] = tag;
    id[15] = static_cast<uint8_t>(tag * 37 + 1);
    auto d = Db::Open(path);
    BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    db = std::move(*d);
    auto r = sync::Replica::Open(*db, std::move(catalogue), id, clock);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    replica = std::move(*r);
  }
  const schema::Table& table(const char* name) const { return *replica->catalogue().Find(name); }
};

// An id for a row of the test catalogue's "item" table: `n` in its last byte.
inline Uuid ItemId(uint8_t n) {
  Uuid u{};
  u[0] = 0x01;
  u[15] = n;
  return u;
}

// One committed write that inserts an item: a, b and owner "Marko" (columns
// 1, 2 and 4) in `scope`.
inline void InsertItem(TestNode& n, const Uuid& id, const std::string& a, int64_t b,
                       const std::string& scope = "site:AA-ONE") {
  auto w = std::move(*n.replica->BeginWrite());
  std::vector<sync::ColumnValue> vals{
      {1, schema::Value{a}}, {2, schema::Value{b}}, {4, schema::Value{std::string("Marko")}}};
  BOOST_REQUIRE(w->Insert(n.table("item"), id, scope, vals).ok());
  BOOST_REQUIRE(w->Commit().ok());
}

// One committed write that sets one column of an item.
inline void UpdateItem(TestNode& n, const Uuid& id, uint16_t col, schema::Value v) {
  auto w = std::move(*n.replica->BeginWrite());
  std::vector<sync::ColumnValue> vals{{col, std::move(v)}};
  Status s = w->Update(n.table("item"), id, vals);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  BOOST_REQUIRE(w->Commit().ok());
}

// Seals a node's pending writes, as a session or an export does before it
// reads the log (sync::Replica::Seal).
inline Result<size_t> Seal(TestNode& n) { return n.replica->Seal(TestSign); }

// Seals, then reads the version vector (what a session's Hello carries).
inline Result<sync::VersionVector> SealedVv(TestNode& n) {
  BOOST_REQUIRE(Seal(n).ok());
  return n.replica->GetVersionVector();
}

// Seals, then reads the batches `peer` lacks (what a session sends).
inline Result<std::vector<sync::OutgoingBatch>> SealedBatchesFor(
    TestNode& n, const sync::VersionVector& peer,
    const std::function<bool(const std::string&)>& allowed, size_t max_bytes) {
  BOOST_REQUIRE(Seal(n).ok());
  return n.replica->BatchesFor(peer, allowed, max_bytes);
}

// Sends everything `to` lacks from `from` (sealing both first, as a session
// does); returns the merge report.
inline sync::MergeReport Deliver(TestNode& from, TestNode& to,
                                 const sync::BatchVerifier& verify = AcceptAll) {
  auto vv = SealedVv(to);
  BOOST_REQUIRE(vv.ok());
  auto out = SealedBatchesFor(
      from, *vv, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<sync::SignedBatch> batches;
  for (auto& b : *out) batches.push_back(b.batch);
  auto rep = to.replica->Merge(batches, verify);
  BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  return *rep;
}

inline std::string DigestHex(TestNode& n, std::optional<std::string> scope = std::nullopt) {
  auto d = n.replica->Digest(scope);
  BOOST_REQUIRE(d.ok());
  return ToHex(*d);
}

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_SYNC_TEST_NODE_H_
