#include "base/sqlite.h"

#include <sqlite3.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "tests/support/temp_dir.h"

using namespace outpost;
namespace fs = std::filesystem;

using outpost::testing::TempDir;

BOOST_AUTO_TEST_SUITE(sqlite_wrapper)

BOOST_AUTO_TEST_CASE(opens_in_wal_mode) {
  TempDir dir;
  auto db = Db::Open((dir.path / "a.db").string());
  BOOST_REQUIRE(db.ok());
  auto mode = (*db)->QueryText("PRAGMA journal_mode");
  BOOST_REQUIRE(mode.ok());
  BOOST_TEST(*mode == "wal");
  BOOST_TEST(*(*db)->QueryInt("PRAGMA synchronous") == 2);  // FULL
}

BOOST_AUTO_TEST_CASE(failed_transaction_leaves_nothing_behind) {
  TempDir dir;
  auto db = std::move(*Db::Open((dir.path / "a.db").string()));
  BOOST_REQUIRE(db->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)").ok());
  {
    auto txn = Transaction::Begin(*db);
    BOOST_REQUIRE(txn.ok());
    BOOST_REQUIRE(db->Exec("INSERT INTO t VALUES (1, 'a')").ok());
    Status s = db->Exec("INSERT INTO t VALUES (2, NULL)");  // violates NOT NULL
    BOOST_TEST(s.code() == Code::kConflict);
    // No Commit(): the guard rolls back the first insert too.
  }
  BOOST_TEST(!db->InTransaction());
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM t") == 0);
  {
    auto txn = std::move(*Transaction::Begin(*db));
    BOOST_REQUIRE(db->Exec("INSERT INTO t VALUES (1, 'a')").ok());
    BOOST_REQUIRE(txn->Commit().ok());
  }
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM t") == 1);
}

BOOST_AUTO_TEST_CASE(busy_database_waits_then_errors_clearly) {
  TempDir dir;
  std::string path = (dir.path / "a.db").string();
  auto a = std::move(*Db::Open(path));
  BOOST_REQUIRE(a->Exec("CREATE TABLE t(x)").ok());
  DbOptions opts;
  opts.busy_timeout_ms = 200;
  auto b = std::move(*Db::Open(path, opts));
  auto hold = std::move(*Transaction::Begin(*a));  // a holds the write lock
  auto start = std::chrono::steady_clock::now();
  auto txn = Transaction::Begin(*b);
  auto waited = std::chrono::steady_clock::now() - start;
  BOOST_REQUIRE(!txn.ok());
  BOOST_TEST(txn.status().code() == Code::kBusy);
  BOOST_TEST(txn.status().message().find("another process") != std::string::npos);
  // It waited for the busy timeout instead of failing at once.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() >= 150);
  BOOST_REQUIRE(hold->Commit().ok());
  auto retry = Transaction::Begin(*b);
  BOOST_TEST(retry.ok());
}

BOOST_AUTO_TEST_CASE(cached_statements_bind_and_reset) {
  auto db = std::move(*Db::Open(":memory:"));
  BOOST_REQUIRE(db->Exec("CREATE TABLE t(k TEXT, v BLOB, n INTEGER, d REAL)").ok());
  for (int i = 0; i < 3; ++i) {
    auto st = db->Cached("INSERT INTO t VALUES (?, ?, ?, ?)");
    BOOST_REQUIRE(st.ok());
    uint8_t blob[] = {1, 2, 3};
    (*st)
        ->Bind(1, std::string_view("k" + std::to_string(i)))
        .BindBlob(2, blob)
        .Bind(3, int64_t{i})
        .Bind(4, 1.5);
    BOOST_REQUIRE((*st)->Run().ok());
  }
  auto st = std::move(*db->Prepare("SELECT k, v, n, d FROM t ORDER BY n DESC"));
  BOOST_REQUIRE(*st->Step());
  BOOST_TEST(st->Text(0) == "k2");
  BOOST_TEST(st->Blob(1).size() == 3u);
  BOOST_TEST(st->Int(2) == 2);
  BOOST_TEST(st->Double(3) == 1.5);
}

BOOST_AUTO_TEST_CASE(errors_are_translated) {
  auto db = std::move(*Db::Open(":memory:"));
  auto bad = db->Prepare("SELEC nonsense");
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.status().code() == Code::kInternal);
  BOOST_TEST(SqliteStatus(SQLITE_CORRUPT, nullptr, "x").code() == Code::kCorruption);
  BOOST_TEST(SqliteStatus(SQLITE_FULL, nullptr, "x").code() == Code::kIoError);
  BOOST_TEST(SqliteStatus(SQLITE_BUSY, nullptr, "x").code() == Code::kBusy);
  auto missing = Db::Open("/nonexistent-dir/x.db");
  BOOST_TEST(!missing.ok());
  BOOST_TEST(missing.status().code() == Code::kIoError);
  // Binding past the last parameter is reported at Step, not ignored.
  auto st = std::move(*db->Prepare("SELECT ?"));
  st->Bind(5, int64_t{1});
  BOOST_TEST(!st->Step().ok());
}

BOOST_AUTO_TEST_SUITE_END()
