// CRDT benchmarks (issue 4), every figure beside a baseline from the same run:
//   1. local writes with change tracking vs plain SQLite inserts (same rows,
//      same table, batches of 1000, WAL + synchronous=NORMAL on both sides,
//      both through base/sqlite's Stmt with the same binding of values);
//      besides the ratio of medians, the median of the per-repetition ratios
//      (each repetition runs both sides back to back, order alternating),
//      which a loaded machine disturbs less;
//   2. merge of ~1M column-changes (143,000 rows x 7 = 1,001,000) into an
//      empty replica, and re-merge;
//      beside SQLite's session extension applying the same rows' changeset;
//   3. database size with tracking vs without.
// Usage: crdt_bench [ROWS] [REPEATS]   (default 143000 rows x 7 columns, 5)
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>

#include <cinttypes>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>

#include "base/sqlite.h"
#include "bench/bench_util.h"
#include "sync/replica.h"

using namespace outpost;
using namespace outpost::bench;
using schema::Value;

namespace {

constexpr int kBatch = 1000;

schema::Catalogue BenchCatalogue() {
  schema::Table t;
  t.id = 1;
  t.name = "item7";
  const char* names[] = {"c1", "c2", "c3", "c4", "c5", "c6", "c7"};
  schema::ColumnType types[] = {schema::ColumnType::kText,    schema::ColumnType::kText,
                                schema::ColumnType::kInteger, schema::ColumnType::kReal,
                                schema::ColumnType::kText,    schema::ColumnType::kInteger,
                                schema::ColumnType::kText};
  for (int i = 0; i < 7; ++i) {
    schema::Column c;
    c.id = static_cast<uint16_t>(i + 1);
    c.name = names[i];
    c.type = types[i];
    t.columns.push_back(c);
  }
  return schema::Catalogue(1, {t});
}

struct Row {
  Uuid id;
  std::vector<Value> v;
};

std::vector<Row> MakeRows(int n) {
  std::mt19937_64 rng(42);
  FakeClock clock(1'790'000'000'000'000);
  SeededRandom random(1);
  auto text = [&](int len) {
    std::string s;
    for (int i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 26));
    return s;
  };
  std::vector<Row> rows(n);
  for (auto& r : rows) {
    clock.Advance(100);
    r.id = NewUuidV7(clock, random);
    r.v = {Value{text(12)},
           Value{text(8)},
           Value{static_cast<int64_t>(rng() % 100000)},
           Value{static_cast<double>(rng() % 1000000) / 100.0},
           Value{text(20)},
           Value{static_cast<int64_t>(rng() % 1000)},
           Value{text(3)}};
  }
  return rows;
}

const char* kPlainSchema =
    "CREATE TABLE item7(id BLOB PRIMARY KEY NOT NULL, c1 TEXT, c2 TEXT, c3 INTEGER, c4 REAL, "
    "c5 TEXT, c6 INTEGER, c7 TEXT) WITHOUT ROWID";

void BindRow(Stmt& st, const Row& r) {
  st.BindBlob(1, r.id);
  st.Bind(2, std::string_view(std::get<std::string>(r.v[0])));
  st.Bind(3, std::string_view(std::get<std::string>(r.v[1])));
  st.Bind(4, std::get<int64_t>(r.v[2]));
  st.Bind(5, std::get<double>(r.v[3]));
  st.Bind(6, std::string_view(std::get<std::string>(r.v[4])));
  st.Bind(7, std::get<int64_t>(r.v[5]));
  st.Bind(8, std::string_view(std::get<std::string>(r.v[6])));
}

std::unique_ptr<Db> OpenBenchDb(const std::string& path) {
  DbOptions o;
  o.durability = Durability::kNormal;
  auto db = Db::Open(path, o);
  Check(db.ok(), db.status().ToString());
  return std::move(*db);
}

// Wall seconds of f(); `cpu` receives the process's CPU seconds (user +
// system) over the same span. On a machine shared with other work, CPU time
// is less disturbed by waiting for a core; both sides here are CPU-bound
// (synchronous=NORMAL: no fsync per commit; the same ratio on tmpfs).
double Timed(const std::function<void()>& f, double* cpu) {
  timespec a{}, b{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  double wall = Seconds(f);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  *cpu =
      static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9;
  return wall;
}

// Plain inserts, optionally recorded by a session (returns the changeset).
double PlainInsert(const std::string& path, const std::vector<Row>& rows, std::string* changeset,
                   double* cpu) {
  auto db = OpenBenchDb(path);
  Check(db->Exec(kPlainSchema).ok(), "plain schema");
  sqlite3_session* session = nullptr;
  if (changeset) {
    Check(sqlite3session_create(db->raw(), "main", &session) == SQLITE_OK, "session");
    Check(sqlite3session_attach(session, "item7") == SQLITE_OK, "attach");
  }
  auto st = std::move(*db->Prepare(
      "INSERT INTO item7(id, c1, c2, c3, c4, c5, c6, c7) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  double t = Timed(
      [&] {
        for (size_t i = 0; i < rows.size(); i += kBatch) {
          Check(db->Exec("BEGIN").ok(), "begin");
          for (size_t k = i; k < std::min(rows.size(), i + kBatch); ++k) {
            st->Reset();
            BindRow(*st, rows[k]);
            Check(st->Run().ok(), "insert");
          }
          Check(db->Exec("COMMIT").ok(), "commit");
        }
      },
      cpu);
  if (session) {
    int n = 0;
    void* p = nullptr;
    Check(sqlite3session_changeset(session, &n, &p) == SQLITE_OK, "changeset");
    changeset->assign(static_cast<char*>(p), n);
    sqlite3_free(p);
    sqlite3session_delete(session);
  }
  return t;
}

// Times the tracked writes (returned, CPU in *cpu), then the seal that turns
// them into batches when a sync or export starts (*seal_secs, *seal_cpu).
// With `pending_bytes`, the store's size before sealing is measured between
// the two (a checkpoint, outside both timings).
double TrackedInsert(const std::string& path, const std::vector<Row>& rows,
                     std::unique_ptr<Db>* keep_db, std::unique_ptr<sync::Replica>* keep,
                     const schema::Catalogue& cat, Clock& clock, double* cpu, double* seal_secs,
                     double* seal_cpu, int64_t* pending_bytes) {
  auto db = OpenBenchDb(path);
  sync::NodeId self{};
  self[0] = 1;
  auto r = sync::Replica::Open(*db, cat, self, clock);
  Check(r.ok(), r.status().ToString());
  auto replica = std::move(*r);
  const schema::Table& t = *cat.Find("item7");
  // The rows in the form Writer::Insert takes, built before the clock starts,
  // as the plain side binds straight from `rows`: both sides time only the
  // database work.
  std::vector<std::vector<sync::ColumnValue>> vals(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    for (int c = 0; c < 7; ++c) vals[k].push_back({static_cast<uint16_t>(c + 1), rows[k].v[c]});
  }
  double secs = Timed(
      [&] {
        for (size_t i = 0; i < rows.size(); i += kBatch) {
          auto w = std::move(*replica->BeginWrite());
          for (size_t k = i; k < std::min(rows.size(), i + kBatch); ++k) {
            Check(w->Insert(t, rows[k].id, "site:BA-GRA", vals[k]).ok(), "tracked insert");
          }
          Check(w->Commit().ok(), "commit");
        }
      },
      cpu);
  if (pending_bytes != nullptr) {
    (void)db->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    *pending_bytes = *db->QueryInt("PRAGMA page_count") * *db->QueryInt("PRAGMA page_size");
  }
  *seal_secs = Timed(
      [&] {
        // A stand-in signer: the figure is the seal's, as before signing
        // moved into it (an Ed25519 signature is ~25 us a batch, ~1% here).
        auto made = replica->Seal([](std::span<const uint8_t>) { return Bytes(64, 0x5a); });
        Check(made.ok() && *made > 0, "seal");
      },
      seal_cpu);
  *keep = std::move(replica);
  *keep_db = std::move(db);
  return secs;
}

int64_t FileBytes(Db& db) {
  (void)db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return *db.QueryInt("PRAGMA page_count") * *db.QueryInt("PRAGMA page_size");
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 143000;  // 143k rows x 7 = ~1M column values
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  Scratch scratch;
  schema::Catalogue cat = BenchCatalogue();
  FakeClock clock(1'790'000'000'000'000);
  auto rows = MakeRows(n);
  const int64_t col_changes = static_cast<int64_t>(n) * 7;
  std::printf("outpost crdt_bench: %d rows x 7 columns (%" PRId64
              " column values), batches of %d, "
              "WAL + synchronous=NORMAL, median of %d runs\n\n",
              n, col_changes, kBatch, repeats);

  // 1. Local write overhead.
  std::vector<double> plain, session_rec, tracked;
  std::string changeset;
  std::unique_ptr<Db> src_db;
  std::unique_ptr<sync::Replica> src;
  std::vector<double> ratio;  // tracked / plain within each repetition
  std::vector<double> plain_cpu, tracked_cpu, cpu_ratio;
  std::vector<double> seal, seal_cpu, total_ratio;  // seal; (write + seal) / plain
  int64_t pending_bytes = 0;
  double cpu = 0;
  for (int r = 0; r < repeats; ++r) {
    // Alternate which side goes first, so neither always finds the machine
    // in the state the other left it in.
    auto tracked_run = [&] {
      src.reset();
      src_db.reset();
      double ss = 0, sc = 0;
      tracked.push_back(TrackedInsert(scratch.File("tracked.db"), rows, &src_db, &src, cat, clock,
                                      &cpu, &ss, &sc, r == repeats - 1 ? &pending_bytes : nullptr));
      tracked_cpu.push_back(cpu);
      seal.push_back(ss);
      seal_cpu.push_back(sc);
    };
    if (r % 2) tracked_run();
    plain.push_back(PlainInsert(scratch.File("plain.db"), rows, nullptr, &cpu));
    plain_cpu.push_back(cpu);
    session_rec.push_back(PlainInsert(scratch.File("session.db"), rows, &changeset, &cpu));
    if (r % 2 == 0) tracked_run();
    ratio.push_back(tracked.back() / plain.back());
    total_ratio.push_back((tracked.back() + seal.back()) / plain.back());
    cpu_ratio.push_back(tracked_cpu.back() / plain_cpu.back());
  }
  double p = Median(plain), s = Median(session_rec), t = Median(tracked);
  std::printf("local writes                 rows/s      column values/s   vs plain\n");
  std::printf("  plain SQLite inserts     %9.0f   %12.0f        1.00x\n", n / p, col_changes / p);
  std::printf("  SQLite session recording %9.0f   %12.0f        %.2fx\n", n / s, col_changes / s,
              s / p);
  std::printf("  outpost tracked writes   %9.0f   %12.0f        %.2fx   (goal <= 1.3x)\n", n / t,
              col_changes / t, t / p);
  std::printf("  tracked / plain, median of the per-run ratios          %.2fx\n", Median(ratio));
  std::printf(
      "  CPU seconds: plain %.3f, tracked %.3f (medians)         %.2fx   (per-run %.2fx)\n\n",
      Median(plain_cpu), Median(tracked_cpu), Median(tracked_cpu) / Median(plain_cpu),
      Median(cpu_ratio));
  // Not part of the officer's write: sealing runs when a sync or an export
  // starts. Printed so the cost it moves there is seen.
  double sl = Median(seal);
  std::printf("  sealing the writes into batches (at sync), %.2f us a row, CPU %.3f s\n",
              1e6 * sl / n, Median(seal_cpu));
  std::printf("  tracked writes + sealing / plain, median of the per-run ratios  %.2fx\n\n",
              Median(total_ratio));

  // 2. Merge into an empty replica, then re-merge.
  auto out = src->BatchesFor(
      sync::VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  Check(out.ok(), "extract");
  std::vector<sync::SignedBatch> batches;
  for (auto& b : *out) batches.push_back(std::move(b.batch));
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  std::vector<double> merge, remerge, apply;
  int64_t merged_changes = 0;
  for (int r = 0; r < repeats; ++r) {
    auto db = OpenBenchDb(scratch.File("merge.db"));
    sync::NodeId other{};
    other[0] = 2;
    auto dst = std::move(*sync::Replica::Open(*db, cat, other, clock));
    constexpr size_t kGroup = 64;  // batches per transaction (a session's chunks)
    merged_changes = 0;
    merge.push_back(Seconds([&] {
      for (size_t i = 0; i < batches.size(); i += kGroup) {
        std::span<const sync::SignedBatch> g(batches.data() + i,
                                             std::min(kGroup, batches.size() - i));
        auto rep = dst->Merge(g, accept);
        Check(rep.ok() && rep->refused.empty(), "merge");
        merged_changes += static_cast<int64_t>(rep->column_changes);
      }
    }));
    remerge.push_back(Seconds([&] {
      for (size_t i = 0; i < batches.size(); i += kGroup) {
        std::span<const sync::SignedBatch> g(batches.data() + i,
                                             std::min(kGroup, batches.size() - i));
        auto rep = dst->Merge(g, accept);
        Check(rep.ok() && rep->duplicates == g.size(), "re-merge");
      }
    }));
    Check(ToHex(*dst->Digest(std::nullopt)) == ToHex(*src->Digest(std::nullopt)), "digests equal");
    // Session extension baseline: apply the changeset of the same rows.
    auto sdb = OpenBenchDb(scratch.File("apply.db"));
    Check(sdb->Exec(kPlainSchema).ok(), "apply schema");
    apply.push_back(Seconds([&] {
      Check(sdb->Exec("BEGIN").ok(), "begin");
      int rc = sqlite3changeset_apply(
          sdb->raw(), static_cast<int>(changeset.size()), changeset.data(), nullptr,
          [](void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }, nullptr);
      Check(rc == SQLITE_OK, "changeset apply");
      Check(sdb->Exec("COMMIT").ok(), "commit");
    }));
  }
  Check(merged_changes == col_changes, "every column change merged");
  double m = Median(merge), rm = Median(remerge), ap = Median(apply);
  std::printf("merge (%zu batches)          column-changes/s   vs session apply\n", batches.size());
  std::printf("  SQLite session apply       %12.0f        1.00x\n", col_changes / ap);
  std::printf("  outpost merge, empty       %12.0f        %.2fx time   (goal >= 250k/s)\n",
              col_changes / m, m / ap);
  std::printf("  outpost re-merge (dups)    %12.0f        %.2fx time   (goal >= 1M/s)\n\n",
              col_changes / rm, rm / ap);

  // 3. Size.
  auto plain_db = OpenBenchDb(scratch.dir.string() + "/plain.db");
  int64_t plain_bytes = FileBytes(*plain_db);
  int64_t tracked_bytes = FileBytes(*src_db);
  int64_t log_bytes =
      *src_db->QueryInt("SELECT sum(length(body) + length(sig) + 60) FROM crdt_batch");
  Check(src_db
            ->Exec("DELETE FROM crdt_batch WHERE rowid NOT IN "
                   "(SELECT max(rowid) FROM crdt_batch GROUP BY origin, scope)")
            .ok(),
        "prune");
  Check(src_db->Exec("VACUUM").ok(), "vacuum");
  int64_t pruned_bytes = FileBytes(*src_db);
  std::printf("size                              bytes        vs plain\n");
  std::printf("  plain SQLite                %12" PRId64 "        1.00x\n", plain_bytes);
  std::printf("  outpost, writes not sealed  %12" PRId64 "        %.2fx\n", pending_bytes,
              static_cast<double>(pending_bytes) / plain_bytes);
  std::printf("  outpost, change log kept    %12" PRId64 "        %.2fx   (log %.0f%%)\n",
              tracked_bytes, static_cast<double>(tracked_bytes) / plain_bytes,
              100.0 * log_bytes / tracked_bytes);
  std::printf("  outpost, acked log pruned   %12" PRId64 "        %.2fx   (goal <= 1.5x)\n",
              pruned_bytes, static_cast<double>(pruned_bytes) / plain_bytes);
  return 0;
}
