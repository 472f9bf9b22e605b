// Risk engine benchmark: 1,000 generated rules, a 1M-entry name watchlist
// (fuzzy, threshold 0.85) and a 100k-entry plate watchlist; prints p50/p99
// latency of Engine::Assess, assessments per second on one core, and the
// watchlists' memory. Goal (docs/rules.md): p99 <= 1 ms, >= 20k/s.
//   risk_bench [movements=20000] [watchlist_entries=1000000]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "node/risk/engine.h"

using outpost::risk::AssessContext;
using outpost::risk::Engine;
using outpost::risk::HistoryProvider;
using json = nlohmann::json;

namespace {

class ConstHistory : public HistoryProvider {
 public:
  int64_t CountCrossings(std::string_view plate, int64_t) override {
    return static_cast<int64_t>(plate[2] % 7);
  }
};

const char* kCountries[] = {"TR", "AL", "RS", "BA", "HR", "XK", "MK", "ME", "BG", "GR", "DE", "IT"};
const char kConsonants[] = "bcdfghjklmnprstvzš";
const char kVowels[] = "aeiou";

std::string Word(std::mt19937_64& rng, int min_syl, int max_syl) {
  std::string s;
  int n = min_syl + static_cast<int>(rng() % (max_syl - min_syl + 1));
  for (int i = 0; i < n; ++i) {
    s += kConsonants[rng() % 17];
    s += kVowels[rng() % 5];
  }
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}
std::string Name(std::mt19937_64& rng) { return Word(rng, 2, 3) + "vić " + Word(rng, 1, 2); }
std::string Plate(std::mt19937_64& rng) {
  std::string p = std::string(1, 'A' + rng() % 26) + std::string(1, 'A' + rng() % 26);
  for (int i = 0; i < 4; ++i) p += static_cast<char>('0' + rng() % 10);
  return p + std::string(1, 'A' + rng() % 26) + std::string(1, 'A' + rng() % 26);
}
std::string Digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

std::string Rules(std::mt19937_64& rng, int n) {
  std::string t = R"(ruleset "bench" version 1
thresholds yellow 40 red 70
random_rate 0.02
list "countries" country { "TR", "AL", "XK" }
watchlist "wanted" name from file
watchlist "plates" plate from file
rule W-1 when watchlist "wanted" matches persons.name fuzzy 0.85 lane red end
rule W-2 when watchlist "plates" matches vehicle.plate or watchlist "plates" matches trailer.plate score 50 end
)";
  for (int i = 0; i < n - 2; ++i) {
    std::string c = kCountries[rng() % std::size(kCountries)];
    std::string cond;
    switch (i % 10) {
      case 0:
        cond = "goods.hs_code startswith \"" + Digits(rng, 4) + "\"";
        break;
      case 1:
        cond =
            "consignments.origin_country in list \"countries\" and goods.value > " + Digits(rng, 4);
        break;
      case 2:
        cond = "vehicle.plate_country = \"" + c + "\" and vehicle.plate startswith \"" +
               std::string(1, 'A' + rng() % 26) + "\"";
        break;
      case 3:
        cond = "any goods: goods.gross_kg between 100 and " + Digits(rng, 4) +
               " and consignments.shipper.country = \"" + c + "\"";
        break;
      case 4:
        cond = "local_hour(time) = " + std::to_string(rng() % 6) +
               " and trailer.plate startswith \"" + std::string(1, 'A' + rng() % 26) + "\"";
        break;
      case 5:
        cond = "count goods where goods.value > " + std::to_string(90000 + rng() % 9000) + " >= 2";
        break;
      case 6:
        cond = "not valid_iso6346(equipment.number) and route.country = \"" + c +
               "\" and goods.hs_code startswith \"" + Digits(rng, 2) + "\"";
        break;
      case 7:
        cond = "any persons: persons.nationality = \"" + c +
               "\" and age(persons.date_of_birth) = " + std::to_string(27 + rng() % 50);
        break;
      case 8:
        cond = "equipment.loaded and count equipment.seals = 0 and goods.hs_code startswith \"" +
               Digits(rng, 2) + "\"";
        break;
      case 9:
        cond = "history.crossings(vehicle.plate, 30d) >= " + std::to_string(5 + rng() % 2) +
               " and consignments.origin_country = \"" + c + "\"";
        break;
    }
    t += "rule G-" + std::to_string(i) + (i % 50 == 0 ? " status shadow" : "") + " when " + cond +
         " score " + std::to_string(1 + rng() % 30) + " end\n";
  }
  return t;
}

json Movement(std::mt19937_64& rng, const std::vector<std::string>& wanted) {
  json goods = json::array();
  for (int g = 0, n = 1 + static_cast<int>(rng() % 5); g < n; ++g) {
    goods.push_back({{"hs_code", Digits(rng, 6)},
                     {"gross_kg", 10 + rng() % 5000},
                     {"value", rng() % 100000},
                     {"currency", "EUR"}});
  }
  json persons = json::array();
  for (int p = 0, n = 1 + static_cast<int>(rng() % 3); p < n; ++p) {
    // One in fifty carries a watchlisted name with a typo.
    std::string name = rng() % 50 == 0 ? wanted[rng() % wanted.size()] : Name(rng);
    if (rng() % 2 && name.size() > 4) name[2] = 'x';
    persons.push_back(
        {{"role", p == 0 ? "driver" : "passenger"},
         {"name", name},
         {"date_of_birth", "19" + std::to_string(50 + rng() % 50) + "-0" +
                               std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 9)},
         {"nationality", kCountries[rng() % std::size(kCountries)]}});
  }
  return {
      {"direction", rng() % 2 ? "in" : "out"},
      {"mode", "road"},
      {"crossing", "BA-GRA"},
      {"time", "2026-11-28T0" + std::to_string(rng() % 10) + ":15:00Z"},
      {"route", std::string(kCountries[rng() % 12]) + "," + kCountries[rng() % 12]},
      {"vehicle", {{"plate", Plate(rng)}, {"plate_country", kCountries[rng() % 12]}}},
      {"trailer", {{"plate", Plate(rng)}}},
      {"equipment",
       json::array({{{"number", "CSQU305438" + Digits(rng, 1)},
                     {"loaded", rng() % 2 == 0},
                     {"seals", rng() % 3 ? json::array({{{"number", "S1"}}}) : json::array()}}})},
      {"consignments", json::array({{{"origin_country", kCountries[rng() % 12]},
                                     {"shipper", {{"country", kCountries[rng() % 12]}}},
                                     {"goods", goods}}})},
      {"persons", persons}};
}

}  // namespace

int main(int argc, char** argv) {
  const int movements = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int entries = argc > 2 ? std::atoi(argv[2]) : 1000000;
  std::mt19937_64 rng(42);

  auto compiled = Engine::Compile(Rules(rng, 1000));
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", compiled.status().ToString().c_str());
    return 1;
  }
  Engine engine = std::move(compiled).value();

  std::vector<std::string> wanted, plates;
  for (int i = 0; i < entries; ++i) wanted.push_back(Name(rng));
  for (int i = 0; i < entries / 10; ++i) plates.push_back(Plate(rng));
  auto t0 = std::chrono::steady_clock::now();
  if (!engine.AddWatchlist("wanted", wanted).ok() || !engine.AddWatchlist("plates", plates).ok())
    return 1;
  double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<json> docs;
  for (int i = 0; i < 1000; ++i) docs.push_back(Movement(rng, wanted));
  ConstHistory history;
  AssessContext ctx;
  ctx.history = &history;
  const int64_t now = 1'795'860'000'000'000LL;  // 2026-11-28

  std::vector<double> us;
  us.reserve(movements);
  size_t hits = 0, red = 0, watch_hits = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < movements; ++i) {
    auto a0 = std::chrono::steady_clock::now();
    auto a = engine.Assess(docs[i % docs.size()], "m-" + std::to_string(i), now, ctx);
    auto a1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(a1 - a0).count());
    hits += a.hits.size();
    red += a.lane == outpost::risk::Lane::kRed;
    for (const auto& h : a.hits) watch_hits += h.rule_id == "W-1";
  }
  double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(us.begin(), us.end());
  std::printf("rules %zu, watchlist entries %d names + %d plates (build %.2f s)\n",
              engine.rule_count(), entries, entries / 10, build_s);
  std::printf("watchlist memory %.1f MiB (%.1f bytes/entry)\n",
              engine.WatchlistMemoryBytes() / 1048576.0,
              static_cast<double>(engine.WatchlistMemoryBytes()) / (entries + entries / 10));
  std::printf("assess p50 %.1f us, p99 %.1f us, max %.1f us; %.0f assessments/s (one core)\n",
              us[us.size() / 2], us[us.size() * 99 / 100], us.back(), movements / total_s);
  std::printf("hits/movement %.2f, red %.1f%%, fuzzy watchlist hits %zu\n",
              static_cast<double>(hits) / movements, 100.0 * red / movements, watch_hits);
  return 0;
}
