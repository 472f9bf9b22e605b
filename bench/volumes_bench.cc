// HQ's volume counters (node/volumes.h, issue 20): the answer time of a
// volumes read with N movements merged at HQ from 50 crossings, beside a
// full recount scan of the same rows in the same run.
//
//   volumes_bench [movements=1000000] [iterations=20] [runs=3] [crossings=50]
//                 [compare_merge=1] [recounts=iterations]
//
// A generator node writes the movements through the replica (scopes
// site:XX-C01 .. site:XX-C50, 90 days, all modes and directions, a lane on
// most; 3% inspected, 2% of those with a seizure), seals them, and HQ merges
// the batches (signatures are not checked here: the merge's cost with
// signatures is sync_bench's and compress_bench's). With compare_merge, two
// HQ stores merge the same batches: one that counts (its counters exist
// before the merge) and one that never counted, to show that counting
// costs a merge nothing (the counters read sync's change journal, which
// every merge writes anyway). The first refresh after the whole merge
// counts afresh (the journal keeps 200k rows; the merge wrote more).
//
// Then, per iteration, a crossing's next batch of 100 movements merges at
// HQ (untimed) and three answers are timed, each with the counters (GET
// /api/volumes through web::App, an analyst's session: the refresh of the
// new rows, the read, the JSON; no sockets, no TLS) and with the recount
// (RecountVolumes, a grouped scan of the live rows, and the same JSON), and
// checked equal (in the first `recounts` iterations of a run: at 10M a
// recount takes seconds): all crossings by day over 30 days, one crossing by hour
// over 7 days, all crossings by day over 90 days. The first answer of an
// iteration pays the refresh of the 100 new rows. Per run: p50 and p95 of
// each; over runs: the median and the range of the p95s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "bench/bench_util.h"
#include "node/store.h"
#include "node/volumes.h"
#include "web/app.h"

using namespace outpost;
using outpost::bench::Check;
using outpost::bench::Median;
using outpost::bench::Seconds;

namespace {

constexpr int64_t kSpanDays = 90;
constexpr int64_t kFirstDay = 1'788'220'800'000'000 / node::kDayMicros;  // 2026-09-01

struct Generator {
  std::unique_ptr<node::Store> store;
  std::mt19937_64 rng{20};
  int crossings = 50;
  std::vector<Uuid> inspections;

  std::string Scope(int c) {
    char code[16];
    std::snprintf(code, sizeof code, "XX-C%02d", c + 1);
    return std::string("site:") + code;
  }
  int64_t Pick(int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); }
  // Writes `n` movements (crossing `only`, or any when -1) in transactions of 10,000.
  void Write(int64_t n, int only);
};

void Generator::Write(int64_t n, int only) {
  const auto& cat = store->catalogue();
  const schema::Table& mt = *cat.Find("movement");
  const schema::Table& it = *cat.Find("inspection");
  const schema::Table& zt = *cat.Find("seizure");
  static const char* kModes[] = {"road", "road", "road", "rail", "air", "sea"};
  static const char* kLanes[] = {"green", "green", "green", "yellow", "red", "blue"};
  for (int64_t done = 0; done < n;) {
    auto w = store->replica().BeginWrite();
    Check(w.ok(), "begin");
    for (int64_t k = 0; k < 10000 && done < n; ++k, ++done) {
      std::string scope = Scope(only >= 0 ? only : static_cast<int>(Pick(crossings)));
      Uuid id = store->NewId();
      std::vector<sync::ColumnValue> cols = {
          {1, std::string(Pick(2) ? "in" : "out")},
          {2, std::string(kModes[Pick(6)])},
          {4, (kFirstDay + Pick(kSpanDays)) * node::kDayMicros + Pick(node::kDayMicros)}};
      if (Pick(10)) cols.push_back({5, std::string(kLanes[Pick(6)])});
      Check((*w)->Insert(mt, id, scope, cols).ok(), "insert movement");
      if (Pick(100) >= 3) continue;
      Uuid ins = store->NewId();
      Check((*w)->Insert(it, ins, scope,
                         std::vector<sync::ColumnValue>{{1, Bytes(id.begin(), id.end())},
                                                        {2, std::string("rule")},
                                                        {7, std::string("nil")}})
                .ok(),
            "insert inspection");
      if (Pick(50)) continue;
      Check((*w)->Insert(
                    zt, store->NewId(), scope,
                    std::vector<sync::ColumnValue>{{1, Bytes(ins.begin(), ins.end())},
                                                   {2, std::string(Pick(2) ? "drugs" : "tobacco")},
                                                   {4, 1.0},
                                                   {5, std::string("KGM")}})
                .ok(),
            "insert seizure");
    }
    Check((*w)->Commit().ok(), "commit");
  }
  auto sealed = store->replica().Seal([](std::span<const uint8_t>) { return Bytes(64, 0); });
  Check(sealed.ok(), "seal");
}

std::unique_ptr<node::Store> MakeStore(const std::string& dir, node::Role role,
                                       const std::string& site, Clock& clock, Random& random) {
  node::Identity id;
  id.id = NewUuidV7(clock, random);
  id.role = role;
  id.name = site;
  id.site = site;
  auto s = node::Store::Create(dir, id, clock, random);
  Check(s.ok(), s.status().ToString());
  return std::move(*s);
}

// Merges into `hq` what it lacks of `from`'s log; returns the seconds.
double MergeAll(node::Store& from, node::Store& hq) {
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  double secs = 0;
  for (;;) {
    auto vv = hq.replica().GetVersionVector();
    Check(vv.ok(), "vv");
    auto out = from.replica().BatchesFor(
        *vv, [](const std::string&) { return true; }, 32 << 20);
    Check(out.ok(), "batches");
    if (out->empty()) return secs;
    std::vector<sync::SignedBatch> batches;
    for (auto& b : *out) batches.push_back(std::move(b.batch));
    secs += Seconds([&] {
      auto r = hq.replica().Merge(batches, accept);
      Check(r.ok() && r->refused.empty(), "merge");
    });
  }
}

// HQ's web application over the counting store, an analyst signed in: the
// answer time of GET /api/volumes is App::Handle's (no sockets, no TLS).
struct Web {
  std::optional<web::Accounts> accounts;
  std::unique_ptr<web::Sessions> sessions;
  std::unique_ptr<web::LoginRateLimiter> limiter;
  std::unique_ptr<web::App> app;
  std::string cookie;

  Web(node::Store& hq, Clock& clock, Random& random) {
    auto a = web::Accounts::Open(hq.db(), web::PasswordCost::Cheapest());
    Check(a.ok(), "accounts");
    accounts.emplace(std::move(*a));
    sessions = std::make_unique<web::Sessions>(clock, random, web::SessionLimits{});
    limiter = std::make_unique<web::LoginRateLimiter>(clock, web::RateLimits{});
    app = std::make_unique<web::App>(hq, *accounts, *sessions, *limiter);
    const char* pass = "correct horse battery staple";
    Check(accounts->Add("iva", web::Role::kAnalyst, pass, clock.NowMicros()).ok(), "account");
    web::HttpResponse r =
        Call("POST", "/api/login", std::string(R"({"name":"iva","password":")") + pass + "\"}");
    Check(r.status == 200, "sign in: " + r.body);
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
    }
  }
  web::HttpResponse Call(const std::string& method, const std::string& target,
                         const std::string& body = "") {
    web::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.cookie = cookie;
    r.peer = "10.0.0.1";
    r.secure = true;
    if (!body.empty()) r.content_type = "application/json";
    return app->Handle(r);
  }
};

std::string Target(const node::VolumeQuery& q) {
  return "/api/volumes?crossing=" + q.crossing + "&from=" + FormatUtcMicros(q.from) +
         "&to=" + FormatUtcMicros(q.to) +
         "&by=" + (q.by == node::VolumeBucket::kHour ? "hour" : "day");
}

struct Series {
  const char* name;
  node::VolumeQuery query;
  std::vector<double> counted, recounted;                                      // ms, this run
  std::vector<double> p95_counted, p95_recounted, p50_counted, p50_recounted;  // per run
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1,
                    static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

double Ms(const std::function<void()>& f) { return 1000 * Seconds(f); }

// The answer with the counters (GET /api/volumes through web::App), then
// the same JSON from a recount; both must hold the same rows and totals.
void TimeReads(node::Store& hq, Web& web, Series& s, bool recount) {
  web::HttpResponse a;
  std::string b;
  s.counted.push_back(Ms([&] { a = web.Call("GET", Target(s.query)); }));
  Check(a.status == 200, "GET /api/volumes: " + a.body.substr(0, 300));
  if (!recount) return;
  s.recounted.push_back(Ms([&] {
    auto v = node::RecountVolumes(hq, s.query);
    Check(v.ok(), "recount");
    b = node::ToJson(*v, s.query).dump();
  }));
  auto ja = nlohmann::json::parse(a.body), jb = nlohmann::json::parse(b);
  Check(ja["rows"] == jb["rows"] && ja["totals"] == jb["totals"],
        std::string(s.name) + ": counters != recount");
}

void PrintRange(const char* what, const std::vector<double>& v) {
  std::printf("  %-34s median %8.2f ms  (range %.2f .. %.2f)\n", what, Median(v),
              *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t movements = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 20;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  SystemClock clock;
  SeededRandom random{42};
  bench::Scratch scratch;
  Generator gen;
  gen.crossings = argc > 4 ? std::atoi(argv[4]) : 50;
  gen.store = MakeStore((scratch.dir / "gen").string(), node::Role::kSite, "XX-GEN", clock, random);
  const bool compare_merge = argc > 5 ? std::atoi(argv[5]) != 0 : true;
  const int recounts = std::max(1, argc > 6 ? std::atoi(argv[6]) : iterations);
  auto counting = MakeStore((scratch.dir / "hq1").string(), node::Role::kHq, "HQ", clock, random);
  Check(node::RefreshVolumes(*counting).ok(), "start counting");

  std::printf("volumes_bench: %lld movements from %d crossings over %lld days\n",
              static_cast<long long>(movements), gen.crossings, static_cast<long long>(kSpanDays));
  double gen_s = Seconds([&] { gen.Write(movements, -1); });
  std::printf("  generated and sealed in %.1f s\n", gen_s);
  double merge_counting = MergeAll(*gen.store, *counting);
  if (compare_merge) {
    auto plain = MakeStore((scratch.dir / "hq2").string(), node::Role::kHq, "HQ", clock, random);
    double merge_plain = MergeAll(*gen.store, *plain);
    std::printf("  HQ merge: counting %.1f s, never counted %.1f s (%.2fx)\n", merge_counting,
                merge_plain, merge_counting / merge_plain);
  } else {
    std::printf("  HQ merge: %.1f s\n", merge_counting);
  }
  auto first = Seconds([&] { Check(node::RefreshVolumes(*counting).ok(), "refresh"); });
  std::printf("  first refresh after the merge (counted afresh): %.1f s\n", first);

  const int64_t end = (kFirstDay + kSpanDays) * node::kDayMicros;
  std::vector<Series> series = {
      {"all crossings, by day, 30 days",
       {"", end - 30 * node::kDayMicros, end, node::VolumeBucket::kDay}},
      {"one crossing, by hour, 7 days",
       {"XX-C07", end - 7 * node::kDayMicros, end, node::VolumeBucket::kHour}},
      {"all crossings, by day, 90 days",
       {"", end - 90 * node::kDayMicros, end, node::VolumeBucket::kDay}},
  };
  Web web(*counting, clock, random);
  for (int run = 0; run < runs; ++run) {
    for (auto& s : series) s.counted.clear(), s.recounted.clear();
    for (int i = 0; i < iterations; ++i) {
      gen.Write(100, static_cast<int>(gen.Pick(gen.crossings)));
      MergeAll(*gen.store, *counting);
      for (auto& s : series) TimeReads(*counting, web, s, i < recounts);
    }
    std::printf("run %d (%d iterations, each after 100 movements merged):\n", run + 1, iterations);
    for (auto& s : series) {
      s.p50_counted.push_back(Percentile(s.counted, 0.5));
      s.p95_counted.push_back(Percentile(s.counted, 0.95));
      s.p50_recounted.push_back(Percentile(s.recounted, 0.5));
      s.p95_recounted.push_back(Percentile(s.recounted, 0.95));
      std::printf("  %-32s counters p50 %7.2f p95 %7.2f ms | recount p50 %8.1f p95 %8.1f ms\n",
                  s.name, s.p50_counted.back(), s.p95_counted.back(), s.p50_recounted.back(),
                  s.p95_recounted.back());
    }
  }
  std::printf("over %d runs (p95 of each run):\n", runs);
  for (auto& s : series) {
    std::printf(" %s\n", s.name);
    PrintRange("counters p95", s.p95_counted);
    PrintRange("recount p95 (baseline)", s.p95_recounted);
  }
  return 0;
}
