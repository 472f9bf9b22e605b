// The change journal (sync/change_journal.h, Replica::ChangedRowsSince):
// which rows each counted commit changed, local or merged, and when it
// cannot say.
#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {

Uuid Id(uint8_t n) {
  Uuid u{};
  u[0] = 0x02;
  u[15] = n;
  return u;
}

void CommitWrite(TestNode& n, const std::function<void(Writer&)>& body) {
  auto w = std::move(*n.replica->BeginWrite());
  body(*w);
  BOOST_REQUIRE(w->Commit().ok());
}

void Insert(Writer& w, TestNode& n, const Uuid& id) {
  std::vector<ColumnValue> vals{{1, Value{std::string("x")}}};
  BOOST_REQUIRE(w.Insert(n.table("item"), id, "site:AA-ONE", vals).ok());
}

int64_t Count(TestNode& n) { return *n.replica->ChangeCount(); }

// The rows named since `count`, as (table, last byte of the id), in order.
std::vector<std::pair<int, int>> Since(TestNode& n, int64_t count) {
  auto r = n.replica->ChangedRowsSince(count);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->has_value());
  std::vector<std::pair<int, int>> out;
  for (const auto& c : **r) out.emplace_back(c.table, c.id[15]);
  return out;
}

bool Reaches(TestNode& n, int64_t count) {
  auto r = n.replica->ChangedRowsSince(count);
  BOOST_REQUIRE(r.ok());
  return r->has_value();
}

using Rows = std::vector<std::pair<int, int>>;

}  // namespace

BOOST_AUTO_TEST_SUITE(change_journal)

BOOST_AUTO_TEST_CASE(every_row_a_counted_commit_changed_is_named_once_per_commit) {
  TestNode a(1), b(2);
  const int64_t start = Count(a);
  CommitWrite(a, [&](Writer& w) {
    Insert(w, a, Id(1));
    Insert(w, a, Id(2));
    std::vector<ColumnValue> v{{2, Value{int64_t{7}}}};
    BOOST_REQUIRE(w.Update(a.table("item"), Id(1), v).ok());  // twice in one commit: once
  });
  BOOST_TEST(Count(a) == start + 1);
  BOOST_TEST((Since(a, start) == Rows{{1, 1}, {1, 2}}));
  CommitWrite(a, [&](Writer& w) { BOOST_REQUIRE(w.Delete(a.table("item"), Id(2), true).ok()); });
  CommitWrite(a, [&](Writer& w) { BOOST_REQUIRE(w.Undelete(a.table("item"), Id(2)).ok()); });
  BOOST_TEST((Since(a, start) == Rows{{1, 1}, {1, 2}, {1, 2}, {1, 2}}));
  // An append-only row alone is no counted commit, and never named.
  const int64_t before_log = Count(a);
  CommitWrite(a, [&](Writer& w) {
    std::vector<ColumnValue> v{{1, Value{std::string("seen")}}};
    BOOST_REQUIRE(w.Insert(a.table("log"), Id(9), "site:AA-ONE", v).ok());
  });
  BOOST_TEST(Count(a) == before_log);
  BOOST_TEST(Since(a, before_log).empty());
  // A merge names the rows it applied.
  CommitWrite(b, [&](Writer& w) { Insert(w, b, Id(3)); });
  CommitWrite(b, [&](Writer& w) {
    std::vector<ColumnValue> v{{1, Value{std::string("y")}}};
    BOOST_REQUIRE(w.Insert(b.table("log"), Id(8), "site:AA-ONE", v).ok());
  });
  const int64_t before_merge = Count(a);
  BOOST_REQUIRE(Deliver(b, a).applied > 0);
  BOOST_TEST(Count(a) == before_merge + 1);
  BOOST_TEST((Since(a, before_merge) == Rows{{1, 3}}));
  // Merging the same again applies nothing and counts nothing.
  BOOST_TEST(Deliver(b, a).applied == 0u);
  BOOST_TEST(Count(a) == before_merge + 1);
  BOOST_TEST(Since(a, Count(a)).empty());
}

BOOST_AUTO_TEST_CASE(a_journal_that_cannot_say_answers_nullopt) {
  TestNode a(1);
  CommitWrite(a, [&](Writer& w) { Insert(w, a, Id(1)); });
  const int64_t now = Count(a);
  BOOST_TEST(Reaches(a, now - 1));
  BOOST_TEST(!Reaches(a, now + 1));  // ahead of the count
  // A binary without the journal counted a commit and named nothing.
  BOOST_REQUIRE(a.db->Exec("UPDATE crdt_meta SET value = value + 1 WHERE key = 'changes'").ok());
  BOOST_TEST(!Reaches(a, now));
  BOOST_TEST(!Reaches(a, now + 1));
  // The next commit trusts the journal again from the count it found.
  CommitWrite(a, [&](Writer& w) { Insert(w, a, Id(2)); });
  BOOST_TEST(!Reaches(a, now));
  BOOST_TEST((Since(a, now + 1) == Rows{{1, 2}}));
}

BOOST_AUTO_TEST_CASE(the_journal_is_bounded_and_its_floor_rises_with_what_it_drops) {
  FakeClock clock{kStartMicros};
  auto db = std::move(*Db::Open(":memory:"));
  ReplicaOptions options;
  options.max_journal_rows = 8;
  auto r = Replica::Open(*db, TestCatalogue(), Uuid{1, 2, 3}, clock, options);
  BOOST_REQUIRE(r.ok());
  Replica& rep = **r;
  auto write = [&](uint8_t first, int n) {
    auto w = std::move(*rep.BeginWrite());
    for (int i = 0; i < n; ++i) {
      std::vector<ColumnValue> vals{{1, Value{std::string("x")}}};
      BOOST_REQUIRE(
          w->Insert(*rep.catalogue().Find("item"), Id(first + i), "site:AA-ONE", vals).ok());
    }
    BOOST_REQUIRE(w->Commit().ok());
    return *rep.ChangeCount();
  };
  auto reaches = [&](int64_t c) { return rep.ChangedRowsSince(c)->has_value(); };
  const int64_t c0 = *rep.ChangeCount();
  const int64_t c1 = write(1, 3);  // 3 entries
  const int64_t c2 = write(4, 3);  // 6
  BOOST_TEST(reaches(c0));
  const int64_t c3 = write(7, 3);  // 9 > 8: commits dropped down to at most 4 entries
  BOOST_TEST(!reaches(c0));
  BOOST_TEST(!reaches(c1));
  BOOST_TEST(reaches(c2));
  BOOST_TEST((*rep.ChangedRowsSince(c2))->size() == 3u);
  // A commit of more than half the bound is not named: the floor passes it.
  const int64_t c4 = write(10, 5);
  BOOST_TEST(!reaches(c3));
  BOOST_TEST(reaches(c4));
  BOOST_TEST((*rep.ChangedRowsSince(c4))->empty());
  const int64_t c5 = write(20, 1);
  BOOST_TEST((*rep.ChangedRowsSince(c4))->size() == 1u);
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_changed") == 1);
  (void)c5;
}

BOOST_AUTO_TEST_SUITE_END()
