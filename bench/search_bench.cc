// Search index refresh benchmark (issue 19, docs/search.md): a node holding
// MOVEMENTS simulated movements; after 1, 10 and 100 new movements --
// written here, or written at a second node and merged -- the incremental
// refresh (node/search.h) and the search that follows, beside the full
// rebuild every change used to cost (the baseline, same run, same store).
// Then the search latency an officer sees when every search follows a new
// movement (alternately local and merged), and on an unchanged index, as
// p50/p95.
// Usage: search_bench [MOVEMENTS] [REPEATS]   (default 100000, 5)
#include <cinttypes>
#include <fstream>
#include <random>

#include "bench/bench_util.h"
#include "node/records.h"
#include "node/search.h"
#include "node/search_internal.h"
#include "node/simulate.h"

using namespace outpost;
using namespace outpost::bench;
using nlohmann::json;

namespace {

Bytes FakeSign(std::span<const uint8_t>) { return Bytes(64, 0x5a); }

struct Node {
  std::unique_ptr<node::Store> store;
  std::unique_ptr<node::Records> records;
};

Node MakeNode(const std::string& dir, Clock& clock, Random& random) {
  node::Identity id;
  id.id = NewUuidV7(clock, random);
  id.name = "Gradiška";
  id.site = "BA-GRA";
  auto store = node::Store::Create(dir, id, clock, random);
  Check(store.ok(), store.status().ToString());
  Node n{std::move(*store), nullptr};
  n.records = std::make_unique<node::Records>(*n.store);
  return n;
}

// Movements not yet stored, for the changes.
struct Fresh {
  std::vector<json> docs;
  size_t next = 0;
  const json& Take() {
    Check(next < docs.size(), "enough fresh movements");
    return docs[next++];
  }
};

void AddLocal(Node& n, Fresh& fresh, int k) {
  for (int i = 0; i < k; ++i) {
    auto r = n.records->Add("movement", fresh.Take(), node::Actor{"bench", ""});
    Check(r.ok(), r.status().ToString());
  }
}

// k movements written at `other` (one commit each), merged into `n`.
void AddMerged(Node& n, Node& other, Fresh& fresh, int k) {
  AddLocal(other, fresh, k);
  Check(other.store->replica().Seal(FakeSign).ok(), "seal");
  auto vv = n.store->replica().GetVersionVector();
  Check(vv.ok(), "version vector");
  auto out = other.store->replica().BatchesFor(
      *vv, [](const std::string&) { return true; }, SIZE_MAX);
  Check(out.ok(), "batches");
  std::vector<sync::SignedBatch> batches;
  for (auto& b : *out) batches.push_back(b.batch);
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  auto rep = n.store->replica().Merge(batches, accept);
  Check(rep.ok() && rep->refused.empty() && rep->applied > 0, "merge");
}

double SearchOnce(Node& n, const std::string& q) {
  return Seconds([&] {
    node::SearchQuery query;
    query.text = q;
    auto r = node::Search(*n.store, query, node::Actor{"bench", ""});
    Check(r.ok(), r.status().ToString());
  });
}

std::string Ms(const std::vector<double>& v) {
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  char b[96];
  std::snprintf(b, sizeof b, "%9.2f  (%.2f-%.2f)", Median(v) * 1e3, *lo * 1e3, *hi * 1e3);
  return b;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 100000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  const int kRounds = 100;  // searches for the latency percentiles
  Scratch scratch;
  std::string jsonl = scratch.dir.string() + "/day.jsonl";
  std::vector<std::string> queries;
  {
    std::ofstream out(jsonl);
    node::SimulationOptions o;
    o.movements = n;
    o.seed = 2026;
    std::mt19937 rng(1);
    node::SimulateTraffic(o, [&](const json& m) {
      out << m.dump() << "\n";
      if (rng() % 997 == 0 && queries.size() < 200) {
        if (m.contains("persons") && !m["persons"].empty()) {
          queries.push_back(m["persons"][0].value("family_name", "ab"));
        }
        queries.push_back(m["vehicle"].value("plate", "ab"));
      }
    });
  }
  if (queries.empty()) queries.push_back("ab");
  Fresh fresh;
  {
    node::SimulationOptions o;
    o.movements = 2 * repeats * 111 + 4 * kRounds + 10;
    o.seed = 2027;
    node::SimulateTraffic(o, [&](const json& m) { fresh.docs.push_back(m); });
  }
  SystemClock clock;
  SystemRandom random;
  Node here = MakeNode(scratch.dir.string() + "/here", clock, random);
  Node there = MakeNode(scratch.dir.string() + "/there", clock, random);
  {
    std::ifstream in(jsonl);
    auto r = here.records->Import(in, jsonl, node::Actor{"bench", ""}, 1000);
    Check(r.ok() && r->loaded == n, "import");
  }
  std::printf("outpost search_bench: %" PRId64
              " simulated movements (nested goods and persons) at one node, "
              "%d repetitions; ms, median (range)\n\n",
              n, repeats);

  std::vector<double> rebuild;
  for (int r = 0; r < repeats; ++r) {
    rebuild.push_back(Seconds([&] {
      auto t = node::internal::RebuildSearchIndex(*here.store);
      Check(t.ok(), t.status().ToString());
    }));
  }
  std::printf("  full rebuild (fallback; before: every change) %s\n\n", Ms(rebuild).c_str());
  std::printf("  after k new movements       refresh               then search\n");
  size_t qi = 0;
  for (bool merged : {false, true}) {
    for (int k : {1, 10, 100}) {
      std::vector<double> refresh, search;
      for (int r = 0; r < repeats; ++r) {
        merged ? AddMerged(here, there, fresh, k) : AddLocal(here, fresh, k);
        node::SearchRefresh done;
        refresh.push_back(Seconds([&] {
          auto s = node::RefreshSearchIndex(*here.store);
          Check(s.ok(), s.status().ToString());
          done = *s;
        }));
        Check(done.refreshed && !done.full, "an incremental refresh");
        search.push_back(SearchOnce(here, queries[qi++ % queries.size()]));
      }
      std::printf("  %3d %-8s           %s   %s\n", k, merged ? "merged" : "local",
                  Ms(refresh).c_str(), Ms(search).c_str());
    }
  }

  // What an officer sees: each search right after a new movement.
  std::vector<double> after_change, unchanged;
  for (int i = 0; i < kRounds; ++i) {
    i % 2 ? AddMerged(here, there, fresh, 1) : AddLocal(here, fresh, 1);
    after_change.push_back(SearchOnce(here, queries[qi++ % queries.size()]));
  }
  for (int i = 0; i < kRounds; ++i) {
    unchanged.push_back(SearchOnce(here, queries[qi++ % queries.size()]));
  }
  std::printf("\n  search latency (%d searches each)      p50        p95     (goal p95 <= 100)\n",
              kRounds);
  std::printf("  each after a new movement        %9.2f  %9.2f\n",
              Percentile(after_change, 0.5) * 1e3, Percentile(after_change, 0.95) * 1e3);
  std::printf("  on an unchanged index            %9.2f  %9.2f\n", Percentile(unchanged, 0.5) * 1e3,
              Percentile(unchanged, 0.95) * 1e3);
  return 0;
}
