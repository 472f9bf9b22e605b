// node/search.h's index refreshes incrementally (docs/search.md, "The
// index"): a property over random histories. Two nodes (HQ and a crossing)
// add movements, edit their rows (names, plates, times, documents,
// consignees), delete and erase rows, undelete movements, and merge each
// other's batches in both directions, in a random order; after every search
// the index a node holds must equal the one a rebuild from scratch would
// make now. Prints its seed; replay one history with OUTPOST_SEED=<seed>
// (OUTPOST_SEARCH_STEPS sets its length, 300 by default).
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "node/search.h"
#include "node/search_internal.h"
#include "tests/node/node_fixture.h"

namespace outpost::node {
namespace {

using nlohmann::json;
using testing::FakeSign;
using testing::SiteFixture;

const std::vector<std::string> kFamilies = {"Nikolić", "Николић", "Petrović", "Kovačević",
                                            "Marić",   "Ilić",    "Đurić"};
const std::vector<std::string> kGiven = {"Ana", "Marko", "Đorđe", "Miloš", "Јована"};
const std::vector<std::string> kParties = {"Bosna Trade d.o.o.", "Sava Logistik", "Una Export"};

struct History {
  std::mt19937_64 rng;
  explicit History(uint64_t seed) : rng(seed) {}
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
  const std::string& Of(const std::vector<std::string>& v) { return v[Pick(v.size())]; }
  std::string Plate() { return "SA" + std::to_string(100 + Pick(40)) + "AB"; }
  std::string Time() {
    char t[32];
    std::snprintf(t, sizeof t, "2026-11-28T%02zu:%02zu:00Z", 8 + Pick(10), Pick(60));
    return t;
  }

  json Movement() {
    json doc{{"direction", "in"},
             {"mode", "road"},
             {"time", Time()},
             {"vehicle", {{"plate", Plate()}, {"plate_country", "RS"}, {"kind", "truck"}}}};
    if (Pick(2))
      doc["trailer"] = {{"plate", Plate()}, {"plate_country", "RS"}, {"kind", "trailer"}};
    if (Pick(2)) {
      doc["equipment"] = json::array({{{"number", "CSQU3054383"}, {"size_type", "42G1"}}});
    }
    if (Pick(2)) {
      doc["consignments"] =
          json::array({{{"transport_doc_type", "CMR"},
                        {"transport_doc_number", "CMR-" + std::to_string(Pick(50))},
                        {"consignee", {{"name", Of(kParties)}, {"country", "BA"}}}}});
    }
    json persons = json::array();
    for (size_t i = 0, n = Pick(3); i < n; ++i) {
      persons.push_back({{"role", i == 0 ? "driver" : "passenger"},
                         {"family_name", Of(kFamilies)},
                         {"given_names", Of(kGiven)},
                         {"document_type", "passport"},
                         {"document_number", std::to_string(100000 + Pick(30))},
                         {"review_date", "2030-01-01"}});
    }
    doc["persons"] = persons;
    return doc;
  }

  // A patch for a row of `table` that changes what search reads.
  std::optional<json> Patch(const std::string& table) {
    if (table == "movement") return json{{"time", Time()}};
    if (table == "vehicle") return json{{"plate", Plate()}};
    if (table == "person") return json{{"family_name", Of(kFamilies)}, {"given_names", Of(kGiven)}};
    if (table == "consignment") {
      return json{{"transport_doc_number", "CMR-" + std::to_string(Pick(50))}};
    }
    if (table == "party") return json{{"name", Of(kParties)}};
    return std::nullopt;
  }

  std::string Query() {
    switch (Pick(4)) {
      case 0:
        return Of(kFamilies);
      case 1:
        return Of(kGiven) + " " + Of(kFamilies);
      case 2:
        return Plate();
      default:
        return "CMR-" + std::to_string(Pick(50));
    }
  }
};

const std::vector<std::string> kTables = {"movement",    "vehicle", "person",   "movement_person",
                                          "consignment", "party",   "equipment"};

// Live rows of `table`, as id texts, in id order.
std::vector<std::string> LiveIds(SiteFixture& f, const std::string& table) {
  auto st = f.store->db().Prepare("SELECT id FROM live_" + table + " ORDER BY id");
  BOOST_REQUIRE(st.ok());
  std::vector<std::string> out;
  while (*(*st)->Step()) {
    Uuid u;
    auto b = (*st)->Blob(0);
    std::copy(b.begin(), b.end(), u.begin());
    out.push_back(UuidToString(u));
  }
  return out;
}

// Every batch `from` holds that `to` lacks, merged into `to`.
void Deliver(SiteFixture& from, SiteFixture& to) {
  BOOST_REQUIRE(from.store->replica().Seal(FakeSign).ok());
  auto vv = to.store->replica().GetVersionVector();
  BOOST_REQUIRE(vv.ok());
  auto out = from.store->replica().BatchesFor(
      *vv, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<sync::SignedBatch> batches;
  for (auto& b : *out) batches.push_back(b.batch);
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  auto rep = to.store->replica().Merge(batches, accept);
  BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  BOOST_REQUIRE(rep->refused.empty());
}

std::string Describe(const internal::IndexEntry& e) {
  Uuid u;
  std::copy(std::get<2>(e).begin(), std::get<2>(e).end(), u.begin());
  return std::get<0>(e) + " @" + std::to_string(std::get<1>(e)) + " " + UuidToString(u);
}

// The node's index, refreshed by a search, against a rebuild's.
void CheckAgainstRebuild(SiteFixture& f, const std::string& query, int step) {
  auto r = Search(*f.store, SearchQuery{query, 5, 1, std::nullopt}, f.officer);
  BOOST_REQUIRE_MESSAGE(r.ok(), query + ": " + r.status().ToString());
  auto stored = internal::StoredIndex(*f.store);
  auto scratch = internal::ScratchIndex(*f.store);
  BOOST_REQUIRE(stored.ok() && scratch.ok());
  if (*stored == *scratch) return;
  std::string diff;
  int shown = 0;
  for (const auto& e : *stored) {
    if (!scratch->count(e) && shown++ < 5) diff += "\n  stale: " + Describe(e);
  }
  for (const auto& e : *scratch) {
    if (!stored->count(e) && shown++ < 10) diff += "\n  missing: " + Describe(e);
  }
  BOOST_ERROR("step " << step << " (search \"" << query
                      << "\"): the index differs from a rebuild:" << diff);
}

BOOST_AUTO_TEST_SUITE(search_incremental)

BOOST_AUTO_TEST_CASE(the_refreshed_index_equals_a_rebuild_after_any_history) {
  const char* seed_env = std::getenv("OUTPOST_SEED");
  const char* steps_env = std::getenv("OUTPOST_SEARCH_STEPS");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  const int steps = steps_env ? std::atoi(steps_env) : 300;
  std::printf("search_incremental: seed %llu (replay: OUTPOST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  BOOST_TEST_CONTEXT("seed " << seed << " (replay: OUTPOST_SEED=" << seed << ")") {
    History h(seed);
    SiteFixture hq(Role::kHq, "HQ");
    SiteFixture site;
    SiteFixture* nodes[2] = {&hq, &site};
    std::vector<std::string> deleted[2];  // movements each node deleted
    int64_t incremental = 0;
    for (int step = 0; step < steps; ++step) {
      const size_t n = h.Pick(2);
      SiteFixture& f = *nodes[n];
      Actor why{f.officer.officer, "entered in error"};
      const size_t op = h.Pick(10);
      if (op < 3) {  // a local write
        auto r = f.records->Add("movement", h.Movement(), f.officer);
        BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      } else if (op < 5) {  // an edit
        const std::string& table = h.Of(kTables);
        auto ids = LiveIds(f, table);
        auto patch = h.Patch(table);
        if (!ids.empty() && patch) {
          auto r = f.records->Update(ids[h.Pick(ids.size())], *patch, f.officer);
          BOOST_REQUIRE_MESSAGE(r.ok(), table + ": " + r.status().ToString());
        }
      } else if (op < 6) {  // a deletion or erasure, of any row search reads
        const std::string& table = h.Of(kTables);
        auto ids = LiveIds(f, table);
        if (!ids.empty()) {
          const std::string id = ids[h.Pick(ids.size())];
          BOOST_REQUIRE(f.records->Delete(id, why).ok());
          if (table == "movement") deleted[n].push_back(id);
        }
      } else if (op < 7) {  // an undelete, of a movement this node deleted
        if (!deleted[n].empty()) {
          const std::string id = deleted[n][h.Pick(deleted[n].size())];
          auto u = ParseUuid(id);
          auto w = f.store->replica().BeginWrite();
          BOOST_REQUIRE(u.ok() && w.ok());
          // kNotFound when it is live again already (the other node's undelete)
          if ((*w)->Undelete(*f.store->catalogue().Find("movement"), *u).ok()) {
            BOOST_REQUIRE((*w)->Commit().ok());
          }
        }
      } else if (op < 9) {  // a merged batch from the other node
        Deliver(*nodes[1 - n], f);
      }
      if (h.Pick(3) == 0 || op == 9) {
        auto before = RefreshSearchIndex(*f.store);
        BOOST_REQUIRE(before.ok());
        incremental += before->refreshed && !before->full;
        CheckAgainstRebuild(f, h.Query(), step);
      }
    }
    for (SiteFixture* f : nodes) CheckAgainstRebuild(*f, "nikolic", steps);
    // The property is about the incremental path: most refreshes took it.
    BOOST_TEST(incremental > steps / 10);
  }
}

BOOST_AUTO_TEST_CASE(a_journal_that_does_not_reach_back_means_a_rebuild) {
  SiteFixture f;
  auto first = RefreshSearchIndex(*f.store);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(first->full);  // the first build
  History h(7);
  BOOST_REQUIRE(f.records->Add("movement", h.Movement(), f.officer).ok());
  auto next = RefreshSearchIndex(*f.store);
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(next->refreshed);
  BOOST_TEST(!next->full);
  BOOST_TEST(next->movements == 1);
  auto again = RefreshSearchIndex(*f.store);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(!again->refreshed);
  // A binary without the journal counted a commit it did not name.
  BOOST_REQUIRE(f.store->replica()
                    .db()
                    .Exec("UPDATE crdt_meta SET value = value + 1 WHERE key = 'changes'")
                    .ok());
  auto after = RefreshSearchIndex(*f.store);
  BOOST_REQUIRE(after.ok());
  BOOST_TEST(after->full);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::node
