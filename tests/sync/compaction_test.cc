// Tombstone compaction (invariants 7-8, docs/crdt.md, "Compaction"): a
// compacted tombstone keeps id, scope and causal length and drops its hidden
// values; nothing that arrives later (an old update, a duplicate of the
// original insert, a delete of an older incarnation) brings the row back;
// only a later undelete does, and every replica then shows the same row.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <functional>

#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {

const std::string kScope = "site:AA-ONE";

HlcTime Write(TestNode& n, const std::function<Status(Writer&)>& f) {
  auto w = std::move(*n.replica->BeginWrite());
  Status s = f(*w);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  BOOST_REQUIRE(w->Commit().ok());
  return w->hlc();
}

void Delete(TestNode& n, const Uuid& id) {
  Write(n, [&](Writer& w) { return w.Delete(n.table("item"), id, /*erase_nominal=*/true); });
}

void Undelete(TestNode& n, const Uuid& id) {
  Write(n, [&](Writer& w) { return w.Undelete(n.table("item"), id); });
}

// Every batch `from` holds, applied or waiting (not only what BatchesFor
// would send), in chain order.
std::vector<SignedBatch> AllBatches(TestNode& from) {
  auto out = SealedBatchesFor(
      from, VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<SignedBatch> v;
  for (auto& b : *out) v.push_back(b.batch);
  return v;
}

void MergeInto(TestNode& to, const std::vector<SignedBatch>& batches) {
  auto rep = to.replica->Merge(batches, AcceptAll);
  BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  BOOST_REQUIRE(rep->refused.empty());
}

VersionVector Vv(TestNode& n) { return *SealedVv(n); }

// What `peers` have all acknowledged, as a caller computes it from the ledger.
VersionVector Acked(std::initializer_list<TestNode*> peers) {
  std::vector<VersionVector> vvs;
  for (TestNode* p : peers) vvs.push_back(Vv(*p));
  return CommonVersions(vvs);
}

int64_t Compact(TestNode& n, const VersionVector& acked) {
  auto k = n.replica->CompactTombstones(acked);
  BOOST_REQUIRE_MESSAGE(k.ok(), k.status().ToString());
  return *k;
}

bool IsDeleted(TestNode& n, const Uuid& id) {
  bool deleted = false;
  auto row = n.replica->ReadRow(n.table("item"), id, &deleted);
  BOOST_REQUIRE(row.ok());
  return deleted;
}

Value Col(TestNode& n, const Uuid& id, uint16_t col) {
  auto row = n.replica->ReadRow(n.table("item"), id, nullptr);
  BOOST_REQUIRE(row.ok());
  return (*row)[col - 1];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compaction)

BOOST_AUTO_TEST_CASE(common_versions_is_the_minimum_every_peer_holds) {
  NodeId x{}, y{};
  x[0] = 1;
  y[0] = 2;
  VersionVector p, q;
  p.Set(x, "s", 5);
  p.Set(y, "s", 2);
  q.Set(x, "s", 3);
  std::vector<VersionVector> both{p, q};
  VersionVector c = CommonVersions(both);
  BOOST_TEST(c.Get(x, "s") == 3u);
  BOOST_TEST(c.Get(y, "s") == 0u);  // q holds none of y's
  BOOST_TEST(c.seqs.size() == 1u);
  BOOST_TEST(CommonVersions({}).seqs.empty());
}

BOOST_AUTO_TEST_CASE(compaction_waits_until_every_peer_acknowledged_the_delete) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  Delete(a, ItemId(1));
  // b has not got the delete: nothing is due.
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 0);
  BOOST_TEST((Col(a, ItemId(1), 1) == Value{std::string("x")}));  // hidden copy kept
  Deliver(a, b);
  std::string before = DigestHex(a);
  int64_t size_before = *a.db->QueryInt("SELECT length(_v) + length(a) FROM item");
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 1);
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 0);  // once
  BOOST_TEST(IsDeleted(a, ItemId(1)));
  BOOST_TEST(schema::IsNull(Col(a, ItemId(1), 1)));
  BOOST_TEST(*a.db->QueryInt("SELECT length(_v) FROM item") == 1);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_tomb") == 0);
  BOOST_TEST(size_before > 1);
  // The digest does not cover a tombstone's hidden values: compacted (a) and
  // uncompacted (b) agree.
  BOOST_TEST(DigestHex(a) == before);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(a_late_update_of_the_old_incarnation_does_not_resurrect) {
  TestNode a(1), b(2), c(3);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  // b updates while partitioned; the update is of incarnation 1.
  b.clock.Advance(60'000'000);
  UpdateItem(b, ItemId(1), 1, Value{std::string("late")});
  Delete(a, ItemId(1));
  Deliver(a, c);
  // a and c both hold the delete; a compacts with the only peer it knows.
  BOOST_TEST(Compact(a, Acked({&a, &c})) == 1);
  // b's update arrives long after, with a later stamp than the delete.
  Deliver(b, a);
  Deliver(b, c);
  Deliver(a, b);
  for (TestNode* n : {&a, &b, &c}) {
    BOOST_TEST(IsDeleted(*n, ItemId(1)));
    BOOST_TEST(*n->replica->CountLive(n->table("item")) == 0);
  }
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  BOOST_TEST(DigestHex(a) == DigestHex(c));
}

BOOST_AUTO_TEST_CASE(a_duplicate_of_the_original_insert_does_not_resurrect) {
  TestNode a(1), b(2), c(3);
  InsertItem(a, ItemId(1), "x", 1);
  auto insert_batches = AllBatches(a);
  Deliver(a, b);
  Delete(b, ItemId(1));
  // c hears of the delete before the insert, and compacts at once (even with
  // a careless acknowledgement: safety does not depend on it).
  std::vector<SignedBatch> from_b;
  for (auto& x : AllBatches(b)) from_b.push_back(x);
  MergeInto(c, from_b);
  BOOST_TEST(IsDeleted(c, ItemId(1)));
  BOOST_TEST(Compact(c, Vv(c)) == 1);
  MergeInto(c, insert_batches);  // the original insert, now arriving
  MergeInto(c, insert_batches);  // and again, duplicated
  Deliver(b, a);
  BOOST_TEST(Compact(a, Vv(a)) == 1);
  MergeInto(a, insert_batches);  // a duplicate at the author itself
  for (TestNode* n : {&a, &b, &c}) BOOST_TEST(IsDeleted(*n, ItemId(1)));
  BOOST_TEST(DigestHex(a) == DigestHex(c));
  BOOST_TEST(DigestHex(b) == DigestHex(c));
}

BOOST_AUTO_TEST_CASE(a_later_undelete_brings_the_same_row_back_everywhere) {
  TestNode a(1), b(2), c(3);
  InsertItem(a, ItemId(1), "x", 7);
  Deliver(a, b);
  Deliver(a, c);
  Delete(a, ItemId(1));
  Deliver(a, b);
  Deliver(a, c);
  // a and c compact; b keeps its hidden copy and undeletes.
  BOOST_TEST(Compact(a, Acked({&a, &b, &c})) == 1);
  BOOST_TEST(Compact(c, Acked({&a, &b, &c})) == 1);
  b.clock.Advance(1000);
  Undelete(b, ItemId(1));
  Deliver(b, a);
  Deliver(b, c);
  for (TestNode* n : {&a, &b, &c}) {
    BOOST_TEST(!IsDeleted(*n, ItemId(1)));
    BOOST_TEST((Col(*n, ItemId(1), 1) == Value{std::string("x")}));  // carried by the undelete
    BOOST_TEST((Col(*n, ItemId(1), 2) == Value{int64_t{7}}));
    BOOST_TEST(schema::IsNull(Col(*n, ItemId(1), 4)));  // erased by the delete, stays erased
  }
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  BOOST_TEST(DigestHex(a) == DigestHex(c));
}

BOOST_AUTO_TEST_CASE(an_undelete_of_a_compacted_row_brings_it_back_empty_everywhere) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 7);
  Deliver(a, b);
  Delete(a, ItemId(1));
  Deliver(a, b);
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 1);
  // b still holds "x" hidden; a's undelete overrides it with a's (empty)
  // copy, so both show the same row.
  BOOST_TEST((Col(b, ItemId(1), 1) == Value{std::string("x")}));
  a.clock.Advance(1000);
  Undelete(a, ItemId(1));
  Deliver(a, b);
  for (TestNode* n : {&a, &b}) {
    BOOST_TEST(!IsDeleted(*n, ItemId(1)));
    BOOST_TEST(schema::IsNull(Col(*n, ItemId(1), 1)));
    BOOST_TEST(schema::IsNull(Col(*n, ItemId(1), 2)));
  }
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  // The row is an ordinary live row again.
  UpdateItem(b, ItemId(1), 1, Value{std::string("again")});
  Deliver(b, a);
  BOOST_TEST((Col(a, ItemId(1), 1) == Value{std::string("again")}));
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(undelete_and_later_updates_in_any_order_with_compaction) {
  // Writers: a inserts, deletes; b undeletes and updates. Observers receive
  // the same batches in different orders, some compacting in between.
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  b.clock.Advance(5'000'000);
  UpdateItem(b, ItemId(1), 2, Value{int64_t{99}});  // old incarnation, later stamp
  Delete(a, ItemId(1));
  Deliver(a, b);
  b.clock.Advance(1000);
  Undelete(b, ItemId(1));
  UpdateItem(b, ItemId(1), 1, Value{std::string("after")});
  std::vector<SignedBatch> all = AllBatches(a);
  for (auto& x : AllBatches(b)) all.push_back(x);

  std::string want;
  for (int order = 0; order < 6; ++order) {
    TestNode o(static_cast<uint8_t>(10 + order));
    std::vector<SignedBatch> v = all;
    std::rotate(v.begin(), v.begin() + order % static_cast<int>(v.size()), v.end());
    if (order % 2) std::reverse(v.begin(), v.end());
    for (size_t i = 0; i < v.size(); ++i) {
      MergeInto(o, {v[i]});
      if (order >= 3) Compact(o, Vv(o));  // compaction at every step
    }
    BOOST_TEST(!IsDeleted(o, ItemId(1)));
    BOOST_TEST((Col(o, ItemId(1), 1) == Value{std::string("after")}));
    BOOST_TEST((Col(o, ItemId(1), 2) == Value{int64_t{99}}));  // b held it when undeleting
    if (want.empty()) want = DigestHex(o);
    BOOST_TEST(DigestHex(o) == want, "order " << order);
  }
  BOOST_TEST(DigestHex(b) == want);
}

BOOST_AUTO_TEST_CASE(a_row_deleted_again_after_an_undelete_compacts_again) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Delete(a, ItemId(1));
  Deliver(a, b);
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 1);
  Undelete(a, ItemId(1));
  UpdateItem(a, ItemId(1), 1, Value{std::string("y")});
  Delete(a, ItemId(1));
  BOOST_TEST(*a.db->QueryInt("SELECT _cl FROM item") == 4);
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 0);  // b lacks the second delete
  Deliver(a, b);
  BOOST_TEST(Compact(a, Acked({&a, &b})) == 1);
  BOOST_TEST(Compact(b, Acked({&a, &b})) == 1);
  BOOST_TEST(IsDeleted(b, ItemId(1)));
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_SUITE_END()
