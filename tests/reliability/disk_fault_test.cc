// A disk that fills up or fails under the real store (FaultyVfs): the write
// fails with kIoError naming the database and "disk full", nothing is half
// written (the record's rows, its change-log batch and its audit entry are
// all there or all absent), integrity_check stays "ok", and writes succeed
// again once space returns, in the same process and after a restart.
#define BOOST_TEST_MODULE reliability_disk
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "base/clock.h"
#include "faulty_vfs.h"
#include "node/audit.h"
#include "node/records.h"
#include "node/store.h"
#include "reliability_util.h"
#include "tests/support/temp_dir.h"

using namespace outpost;
using outpost::reliability::FaultyVfs;
using outpost::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// What one record leaves behind, counted three ways.
struct Counts {
  int64_t movements = 0, batches = 0, audit = 0;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& o, const Counts& c) {
  return o << "{movements " << c.movements << ", batches " << c.batches << ", audit " << c.audit
           << "}";
}

Counts Count(node::Store& store) {
  Counts c;
  c.movements = *store.replica().CountLive(*store.catalogue().Find("movement"));
  // Transactions in the change log: sealed batches, and pending ones (the
  // rows one transaction names share its stamp).
  c.batches = *store.db().QueryInt(
      "SELECT (SELECT count(*) FROM crdt_batch) + "
      "(SELECT count(DISTINCT hlc) FROM crdt_pending)");
  c.audit = *store.db().QueryInt("SELECT count(*) FROM audit_entry");
  return c;
}

Counts Plus(Counts c, int64_t n) {
  c.movements += n;
  c.batches += n;
  c.audit += n;
  return c;
}

std::string Integrity(Db& db) {
  auto r = db.QueryText("PRAGMA integrity_check");
  return r.ok() ? *r : r.status().ToString();
}

// A site store in a temporary directory, opened through whatever VFS is the
// default when it is created (the test installs FaultyVfs as default first).
struct Site {
  TempDir dir;
  FakeClock clock{1'795'000'000'000'000};
  SeededRandom random{42};
  std::unique_ptr<node::Store> store;
  int64_t next_doc = 0;

  Site() {
    node::Identity id;
    id.id = NewUuidV7(clock, random);
    id.role = node::Role::kSite;
    id.name = "Gradiška";
    id.site = "BA-GRA";
    auto s = node::Store::Create(dir.str(), id, clock, random);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    store = std::move(*s);
  }
  Result<nlohmann::json> Add() {
    clock.Advance(1000);
    node::Records records(*store);
    return records.Add("movement", reliability::TruckDoc(next_doc++), {"BA-GRA-0042", ""});
  }
  void Reopen() {
    store.reset();
    auto s = node::Store::Open(dir.str(), clock, random);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    store = std::move(*s);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(disk_faults)

BOOST_AUTO_TEST_CASE(db_opens_through_a_named_vfs) {
  FaultyVfs vfs("outpost-faulty-named", /*make_default=*/false);
  TempDir dir;
  fs::create_directories(dir.path);
  std::string path = (dir.path / "t.db").string();
  DbOptions options;
  options.vfs = vfs.name();
  auto db = Db::Open(path, options);
  BOOST_REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  BOOST_REQUIRE((*db)->Exec("CREATE TABLE t(x BLOB)").ok());
  BOOST_TEST(vfs.bytes_written() > 0);
  vfs.FillAfter(0);
  Status s = (*db)->Exec("INSERT INTO t VALUES(zeroblob(100000))");
  BOOST_TEST(s.code() == Code::kIoError);
  BOOST_TEST(s.message().find("disk full") != std::string::npos, s.message());
  BOOST_TEST(s.message().find(path) != std::string::npos, s.message());
  BOOST_TEST(Integrity(**db) == "ok");
  BOOST_TEST(*(*db)->QueryInt("SELECT count(*) FROM t") == 0);
  vfs.Heal();
  BOOST_TEST((*db)->Exec("INSERT INTO t VALUES(zeroblob(100000))").ok());
  BOOST_TEST(*(*db)->QueryInt("SELECT count(*) FROM t") == 1);

  options.vfs = "no-such-vfs";
  auto missing = Db::Open(path, options);
  BOOST_TEST(!missing.ok());
}

BOOST_AUTO_TEST_CASE(full_disk_refuses_a_record_whole_and_recovers) {
  FaultyVfs vfs("outpost-faulty-default", /*make_default=*/true);
  Site site;
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(site.Add().ok());
  Counts before = Count(*site.store);
  BOOST_TEST(before == Plus(Counts{}, 3));

  vfs.FillAfter(0);
  auto r = site.Add();
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().code() == Code::kIoError);
  const std::string& msg = r.status().message();
  BOOST_TEST(msg.find("disk full") != std::string::npos, msg);
  BOOST_TEST(msg.find(node::Store::DbPath(site.dir.str())) != std::string::npos, msg);
  BOOST_TEST_MESSAGE("a record on a full disk: " << r.status().ToString());
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == before);  // no row, no batch, no audit entry

  // Still full: a second try fails the same way and changes nothing.
  BOOST_TEST(site.Add().status().code() == Code::kIoError);
  BOOST_TEST(Count(*site.store) == before);

  vfs.Heal();  // space returns
  auto ok = site.Add();
  BOOST_REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  BOOST_TEST(Count(*site.store) == Plus(before, 1));

  site.Reopen();
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == Plus(before, 1));
  auto chain = node::AuditLog(*site.store).Verify();
  BOOST_TEST(chain->ok, chain->first_broken);
  BOOST_TEST(site.Add().ok());
}

// A stand-in signature for sealing (nothing here verifies it).
Bytes FakeSign(std::span<const uint8_t>) { return Bytes(64, 0x5a); }

// Sealing the pending writes into batches (at the start of a sync) on a
// full disk: refused whole, the pending names kept, sealed once space returns.
BOOST_AUTO_TEST_CASE(full_disk_refuses_a_seal_whole_and_recovers) {
  FaultyVfs vfs("outpost-faulty-seal", /*make_default=*/true);
  Site site;
  for (int i = 0; i < 20; ++i) BOOST_REQUIRE(site.Add().ok());
  Db& db = site.store->db();
  const int64_t pending = *db.QueryInt("SELECT count(*) FROM crdt_pending");
  BOOST_TEST(pending == 20);
  BOOST_TEST(*db.QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  vfs.FillAfter(0);
  auto sealed = site.store->replica().Seal(FakeSign);
  BOOST_REQUIRE(!sealed.ok());
  BOOST_TEST(sealed.status().code() == Code::kIoError);
  BOOST_TEST(sealed.status().message().find("disk full") != std::string::npos,
             sealed.status().ToString());
  BOOST_TEST(Integrity(db) == "ok");
  BOOST_TEST(*db.QueryInt("SELECT count(*) FROM crdt_pending") == pending);
  BOOST_TEST(*db.QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  vfs.Heal();
  sealed = site.store->replica().Seal(FakeSign);
  BOOST_REQUIRE_MESSAGE(sealed.ok(), sealed.status().ToString());
  BOOST_TEST(*sealed == 20u);  // one batch per record's transaction
  BOOST_TEST(*db.QueryInt("SELECT count(*) FROM crdt_pending") == 0);
  site.Reopen();
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == Plus(Counts{}, 20));
}

BOOST_AUTO_TEST_CASE(failing_fsync_refuses_a_record_and_recovers) {
  FaultyVfs vfs("outpost-faulty-default", /*make_default=*/true);
  Site site;
  BOOST_REQUIRE(site.Add().ok());
  Counts before = Count(*site.store);
  vfs.FailSyncs(true);
  auto r = site.Add();
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.status().code() == Code::kIoError);
  BOOST_TEST(r.status().message().find(node::Store::DbPath(site.dir.str())) != std::string::npos,
             r.status().message());
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == before);
  vfs.Heal();
  BOOST_TEST(site.Add().ok());
  site.Reopen();
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  // The failed commit's WAL frames were written but never synced nor
  // published, yet a fresh connection's WAL recovery can find them; either
  // way the record is whole, never half there (see docs/reliability.md).
  Counts after = Count(*site.store);
  BOOST_TEST((after == Plus(before, 1) || after == Plus(before, 2)), after);
  BOOST_TEST(after.movements == after.batches - before.batches + before.movements);
}

// The SQLite-style I/O-error loop: fail the k-th byte of a record's write for
// every k in steps over the bytes one record takes, for a full disk and for
// a failing one; after each fault, check the store, heal, write again, and
// every few faults restart (WAL recovery) and check again.
BOOST_AUTO_TEST_CASE(a_fault_at_any_byte_leaves_the_store_whole) {
  FaultyVfs vfs("outpost-faulty-default", /*make_default=*/true);
  Site site;
  BOOST_REQUIRE(site.Add().ok());
  int64_t w0 = vfs.bytes_written();
  BOOST_REQUIRE(site.Add().ok());
  int64_t per_record = vfs.bytes_written() - w0;
  BOOST_TEST_MESSAGE("one record writes " << per_record << " bytes");
  int faults = 0, failed = 0, survived_unacked = 0;
  for (int mode = 0; mode < 2; ++mode) {
    for (int64_t k = 0; k < per_record + 4096; k += 1024) {
      Counts before = Count(*site.store);
      if (mode == 0) {
        vfs.FillAfter(k);
      } else {
        vfs.FailWritesAfter(k);
      }
      int64_t f0 = vfs.faults();
      auto r = site.Add();
      faults += vfs.faults() > f0;
      vfs.Heal();
      BOOST_TEST_CONTEXT((mode == 0 ? "disk full" : "write error") << " after " << k << " bytes") {
        Counts now = Count(*site.store);
        if (r.ok()) {
          BOOST_TEST(now == Plus(before, 1));
        } else {
          ++failed;
          BOOST_TEST(r.status().code() == Code::kIoError, r.status().ToString());
          BOOST_TEST(now == before);
        }
        BOOST_TEST(Integrity(site.store->db()) == "ok");
        if (k % 4096 == 0) {
          site.Reopen();
          BOOST_TEST(Integrity(site.store->db()) == "ok");
          Counts reopened = Count(*site.store);
          survived_unacked += !r.ok() && reopened == Plus(before, 1);
          BOOST_TEST((reopened == now || (!r.ok() && reopened == Plus(before, 1))), reopened);
        }
        auto again = site.Add();
        BOOST_TEST(again.ok(), again.status().ToString());
      }
    }
  }
  auto chain = node::AuditLog(*site.store).Verify();
  BOOST_TEST(chain->ok, chain->first_broken);
  BOOST_TEST_MESSAGE("a_fault_at_any_byte: " << faults << " faults injected, " << failed
                                             << " writes refused, " << survived_unacked
                                             << " refused but durable after restart, "
                                             << vfs.bytes_written() << " bytes written");
  BOOST_TEST(faults > 10);
}

BOOST_AUTO_TEST_CASE(checkpoint_on_a_full_disk_loses_nothing) {
  FaultyVfs vfs("outpost-faulty-default", /*make_default=*/true);
  Site site;
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE(site.Add().ok());
  Counts before = Count(*site.store);
  vfs.FillAfter(0);
  // The checkpoint copies WAL pages into outpost.db; the disk refuses them.
  Status s = site.store->db().Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  BOOST_TEST_MESSAGE("checkpoint on a full disk: " << s.ToString());
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == before);
  vfs.Heal();
  site.Reopen();
  BOOST_TEST(Integrity(site.store->db()) == "ok");
  BOOST_TEST(Count(*site.store) == before);
  BOOST_TEST(site.Add().ok());
}

BOOST_AUTO_TEST_SUITE_END()
