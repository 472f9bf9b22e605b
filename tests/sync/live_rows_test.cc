#include "sync/live_rows.h"

#include <boost/test/unit_test.hpp>

#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {
void InsertIn(TestNode& n, const Uuid& id, const std::string& a, const std::string& scope) {
  auto w = std::move(*n.replica->BeginWrite());
  std::vector<ColumnValue> vals{{1, Value{a}}, {2, Value{int64_t{7}}}};
  BOOST_REQUIRE(w->Insert(n.table("item"), id, scope, vals).ok());
  BOOST_REQUIRE(w->Commit().ok());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(live_rows)

BOOST_AUTO_TEST_CASE(live_view_shows_live_rows_with_their_scope_names) {
  TestNode a(1);
  InsertIn(a, ItemId(1), "kept", "site:AA-ONE");
  InsertIn(a, ItemId(2), "other", "site:BB-TWO");
  InsertIn(a, ItemId(3), "deleted", "site:AA-ONE");
  {
    auto w = std::move(*a.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(a.table("item"), ItemId(3), /*erase_nominal=*/false).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  // The table holds three rows, one of them a tombstone; the view two.
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM item") == 3);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM " + LiveView("item")) == 2);
  BOOST_TEST(*a.db->QueryText(
                 "SELECT group_concat(a, ',') FROM (SELECT a FROM live_item "
                 "JOIN live_scope s USING (scope_idx) WHERE s.name = 'site:AA-ONE')") == "kept");
  // The view carries the catalogue's columns by name, and none of the
  // hidden ones.
  BOOST_TEST(*a.db->QueryInt("SELECT b FROM live_item WHERE a = 'other'") == 7);
  BOOST_TEST(!a.db->Prepare("SELECT _cl FROM live_item").ok());
  // An undelete brings the row back into the view.
  {
    auto w = std::move(*a.replica->BeginWrite());
    BOOST_REQUIRE(w->Undelete(a.table("item"), ItemId(3)).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM live_item") == 3);
}

BOOST_AUTO_TEST_CASE(live_views_never_enter_the_store_file) {
  TestNode a(1);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM main.sqlite_schema WHERE name LIKE 'live_%'") ==
             0);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM temp.sqlite_schema WHERE type = 'view'") ==
             static_cast<int64_t>(a.replica->catalogue().tables().size() + 1));
  // Opening a second replica on the same connection makes them anew, once each.
  FakeClock clock{kStartMicros};
  auto again = Replica::Open(*a.db, a.replica->catalogue(), a.id, clock);
  BOOST_REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM temp.sqlite_schema WHERE type = 'view'") ==
             static_cast<int64_t>(a.replica->catalogue().tables().size() + 1));
}

BOOST_AUTO_TEST_SUITE_END()
