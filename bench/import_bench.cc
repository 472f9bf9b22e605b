// Record import benchmark (issue 3): `record import` of simulated movements
// (nested vehicles, containers, consignments, goods, persons) through the
// record API — JSON parsing, validation, change tracking, audit — against
// the same pipeline writing the same rows into the same tables with plain
// SQLite inserts and no change tracking. Same durability (synchronous=FULL,
// WAL), same batches (1000 documents per transaction), same indexes.
// Usage: import_bench [MOVEMENTS] [REPEATS]   (default 100000, 3)
#include <cinttypes>
#include <fstream>
#include <sstream>

#include "base/sqlite.h"
#include "bench/bench_util.h"
#include "node/records.h"
#include "node/records_internal.h"
#include "node/simulate.h"
#include "sync/row_sql.h"

using namespace outpost;
using namespace outpost::bench;
using nlohmann::json;

namespace {

constexpr size_t kBatch = 1000;

using sync::internal::BindValue;  // the replica's own binding, so the baseline binds alike

// The plain baseline: the same tables without hidden columns, same indexes.
void CreatePlainSchema(Db& db, const schema::Catalogue& cat, Db& tracked) {
  for (const auto& t : cat.tables()) {
    std::string sql = "CREATE TABLE \"" + t.name + "\"(id BLOB PRIMARY KEY NOT NULL";
    for (const auto& c : t.columns) sql += ", \"" + c.name + "\"";
    sql += ") WITHOUT ROWID";
    Check(db.Exec(sql).ok(), sql);
  }
  auto st = std::move(
      *tracked.Prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%'"));
  while (*st->Step()) Check(db.Exec(std::string(st->Text(0))).ok(), "index");
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 100000;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  Scratch scratch;
  std::string jsonl = scratch.dir.string() + "/day.jsonl";
  int64_t rows_per_import = 0;
  {
    std::ofstream out(jsonl);
    node::SimulationOptions o;
    o.site = "BA-GRA";
    o.movements = n;
    o.seed = 2026;
    node::SimulateTraffic(o, [&](const json& m) { out << m.dump() << "\n"; });
  }
  std::printf("outpost import_bench: %" PRId64
              " simulated movements at BA-GRA (nested goods and "
              "persons), batches of %zu, synchronous=FULL, median of %d runs\n\n",
              n, kBatch, repeats);
  SystemClock clock;
  SystemRandom random;
  std::vector<double> ours, plain;
  for (int r = 0; r < repeats; ++r) {
    std::string dir = scratch.dir.string() + "/node" + std::to_string(r);
    node::Identity id;
    id.id = NewUuidV7(clock, random);
    id.name = "Gradiška";
    id.site = "BA-GRA";
    auto store = node::Store::Create(dir, id, clock, random);
    Check(store.ok(), store.status().ToString());
    node::Records records(**store);
    node::ImportReport rep;
    ours.push_back(Seconds([&] {
      std::ifstream in(jsonl);
      auto res = records.Import(in, jsonl, node::Actor{"bench", ""}, kBatch);
      Check(res.ok(), res.status().ToString());
      rep = *res;
    }));
    Check(rep.errors.empty() && rep.loaded == n, "every simulated movement loads");
    rows_per_import = rep.rows;

    // Plain: the same parse + validation + id minting, plain inserts.
    auto pdb = std::move(*Db::Open(scratch.File("plain" + std::to_string(r) + ".db")));
    CreatePlainSchema(*pdb, (*store)->catalogue(), (*store)->db());
    std::map<uint16_t, std::unique_ptr<Stmt>> inserts;
    for (const auto& t : (*store)->catalogue().tables()) {
      std::string sql = "INSERT INTO \"" + t.name + "\"(id";
      for (const auto& c : t.columns) sql += ", \"" + c.name + "\"";
      sql += ") VALUES(?";
      for (size_t i = 0; i < t.columns.size(); ++i) sql += ", ?";
      inserts[t.id] = std::move(*pdb->Prepare(sql + ")"));
    }
    int64_t plain_rows = 0;
    plain.push_back(Seconds([&] {
      std::ifstream in(jsonl);
      std::string line;
      size_t docs = 0;
      Check(pdb->Exec("BEGIN IMMEDIATE").ok(), "begin");
      while (std::getline(in, line)) {
        json doc = json::parse(line, nullptr, false);
        auto planned = node::internal::PlanDocument(**store, doc["type"].get<std::string>(), doc);
        Check(planned.ok(), planned.status().ToString());
        for (const auto& p : *planned) {
          Stmt& st = *inserts[p.table->id];
          st.Reset();
          st.BindBlob(1, p.id);
          for (size_t i = 0; i < p.table->columns.size(); ++i) st.BindNull(static_cast<int>(i) + 2);
          for (const auto& [col, v] : p.row.values) {
            BindValue(st, static_cast<int>(col - p.table->columns.data()) + 2, v);
          }
          Check(st.Run().ok(), "plain insert");
          ++plain_rows;
        }
        if (++docs % kBatch == 0) {
          Check(pdb->Exec("COMMIT").ok(), "commit");
          Check(pdb->Exec("BEGIN IMMEDIATE").ok(), "begin");
        }
      }
      Check(pdb->Exec("COMMIT").ok(), "commit");
    }));
    Check(plain_rows + 0 <= rows_per_import, "same rows");
  }
  double o = Median(ours), p = Median(plain);
  std::printf("                               movements/s     rows/s      vs plain\n");
  std::printf("  plain SQLite inserts        %10.0f   %10.0f       1.00x\n", n / p,
              rows_per_import / p);
  std::printf("  outpost record import       %10.0f   %10.0f       %.2fx   (goal <= 1.3x)\n", n / o,
              rows_per_import / o, o / p);
  std::printf(
      "  (%" PRId64
      " rows per import: movements with their vehicles, containers, seals,\n"
      "   consignments, parties, goods and persons; outpost adds one audit entry per batch)\n",
      rows_per_import);
  return 0;
}
