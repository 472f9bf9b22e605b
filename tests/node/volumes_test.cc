// The volume counters (node/volumes.h) against a full recount of the live
// rows: random writes, edits, deletions and undeletions of movements,
// inspections and seizures on HQ and two enrolled crossings, the crossings'
// batches merged at HQ by its trust policy, refreshes at random moments.
// A property test: the seed is printed, OUTPOST_SEED=N replays it.
#define BOOST_TEST_MODULE volumes
#include "node/volumes.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/node/keyed_node.h"

using namespace outpost;
using namespace outpost::node;

namespace {

constexpr int64_t kStart = 1'795'000'000'000'000;  // 2026-11-18 11:06 UTC
constexpr int64_t kWindowFrom = kStart / kDayMicros * kDayMicros - 2 * kDayMicros;
constexpr int64_t kWindowTo = kWindowFrom + 6 * kDayMicros;

using Node = testing::KeyedNode;

const schema::Table& T(Node& n, const char* name) { return *n.store->catalogue().Find(name); }

Bytes IdBytes(const Uuid& u) { return Bytes(u.begin(), u.end()); }

// One node's own rows, by table, for the random edits.
struct Own {
  std::vector<Uuid> movements, inspections, seizures;
};

struct World {
  uint64_t seed;
  std::mt19937_64 rng;
  FakeClock clock{kStart};
  SeededRandom random{20};
  Node hq{clock, random, Role::kHq, "HQ"};
  Node gra{clock, random, Role::kSite, "BA-GRA"};
  Node ver{clock, random, Role::kSite, "XK-VER"};
  std::map<Node*, Own> own;

  explicit World(uint64_t s) : seed(s), rng(s) {
    testing::EnrollSite(hq, gra);
    testing::EnrollSite(hq, ver);
  }
  int64_t Pick(int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); }
  template <typename V>
  const typename V::value_type* Any(const V& v) {
    return v.empty() ? nullptr : &v[Pick(static_cast<int64_t>(v.size()))];
  }
  schema::Value Maybe(std::vector<const char*> values) {
    int64_t i = Pick(static_cast<int64_t>(values.size()) + 1);
    if (i == static_cast<int64_t>(values.size())) return std::monostate{};
    return std::string(values[i]);
  }
  int64_t Time() { return kWindowFrom + Pick(6 * kDayMicros); }

  std::vector<sync::ColumnValue> MovementColumns() {
    return {{1, std::string(Pick(2) ? "in" : "out")},
            {2, std::string(std::vector<const char*>{"road", "rail", "air", "sea"}[Pick(4)])},
            {4, Time()},
            {5, Maybe({"red", "yellow", "green", "blue"})}};
  }
  // One random write on `n`; false if it did not apply (e.g. nothing to edit).
  bool Write(Node& n);
  bool Insert(Node& n, const char* table, std::vector<sync::ColumnValue> cols,
              std::vector<Uuid>& into);
  bool Edit(Node& n, const char* table, const Uuid* id, std::vector<sync::ColumnValue> cols);
  bool Toggle(Node& n, const char* table, const Uuid* id);
  void Check(const std::string& when);
  void CheckCounters(const std::string& when);
};

bool World::Insert(Node& n, const char* table, std::vector<sync::ColumnValue> cols,
                   std::vector<Uuid>& into) {
  auto w = n.store->replica().BeginWrite();
  BOOST_REQUIRE(w.ok());
  Uuid id = n.store->NewId();
  const auto& t = T(n, table);
  Status s = (*w)->Insert(t, id, n.store->ScopeFor(t), cols);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  BOOST_REQUIRE((*w)->Commit().ok());
  into.push_back(id);
  return true;
}

bool World::Edit(Node& n, const char* table, const Uuid* id, std::vector<sync::ColumnValue> cols) {
  if (!id) return false;
  auto w = n.store->replica().BeginWrite();
  BOOST_REQUIRE(w.ok());
  if (!(*w)->Update(T(n, table), *id, cols).ok()) return false;  // deleted: not applied
  BOOST_REQUIRE((*w)->Commit().ok());
  return true;
}

// Deletes a live row, brings a deleted one back.
bool World::Toggle(Node& n, const char* table, const Uuid* id) {
  if (!id) return false;
  auto w = n.store->replica().BeginWrite();
  BOOST_REQUIRE(w.ok());
  if (!(*w)->Delete(T(n, table), *id, false).ok()) {
    BOOST_REQUIRE((*w)->Undelete(T(n, table), *id).ok());
  }
  BOOST_REQUIRE((*w)->Commit().ok());
  return true;
}

bool World::Write(Node& n) {
  Own& o = own[&n];
  const Uuid* m = Any(o.movements);
  const Uuid* i = Any(o.inspections);
  switch (Pick(9)) {
    case 0:
      return Insert(n, "movement", MovementColumns(), o.movements);
    case 1: {
      auto cols = MovementColumns();
      cols.erase(cols.begin() + Pick(4));  // an edit of some columns
      return Edit(n, "movement", m, cols);
    }
    case 2:
      return Toggle(n, "movement", m);
    case 3:
      if (!m) return false;
      return Insert(n, "inspection",
                    {{1, IdBytes(*m)}, {2, std::string("rule")}, {7, std::string("nil")}},
                    o.inspections);
    case 4:
      return m && Edit(n, "inspection", i, {{1, IdBytes(*m)}});
    case 5:
      return Toggle(n, "inspection", i);
    case 6:
      if (!i) return false;
      return Insert(n, "seizure",
                    {{1, IdBytes(*i)},
                     {2, Maybe({"drugs", "tobacco", "cash"})},
                     {4, 1.5},
                     {5, std::string("KGM")}},
                    o.seizures);
    case 7:
      return Edit(n, "seizure", Any(o.seizures), {{2, Maybe({"drugs", "weapons"})}});
    default:
      return Toggle(n, "seizure", Any(o.seizures));
  }
}

std::string Dump(const Volumes& v) { return ToJson(v, {"", kWindowFrom, kWindowTo}).dump(); }

// The counters equal a recount: first as kept incrementally, then counted
// afresh (the store forgets its state, as after the journal's floor rose),
// so the next steps go on from what a fresh count saw.
void World::Check(const std::string& when) {
  CheckCounters(when + ", incremental");
  for (Node* n : {&hq, &gra, &ver})
    BOOST_REQUIRE(n->store->db().Exec("DELETE FROM volume_state").ok());
  CheckCounters(when + ", counted afresh");
}

void World::CheckCounters(const std::string& when) {
  for (Node* n : {&hq, &gra, &ver}) {
    for (auto by : {VolumeBucket::kHour, VolumeBucket::kDay}) {
      VolumeQuery q{"", kWindowFrom, kWindowFrom + 6 * kDayMicros, by};
      auto counted = ReadVolumes(*n->store, q);
      auto recounted = RecountVolumes(*n->store, q);
      BOOST_REQUIRE_MESSAGE(counted.ok(), counted.status().ToString());
      BOOST_REQUIRE_MESSAGE(recounted.ok(), recounted.status().ToString());
      BOOST_REQUIRE_MESSAGE(
          counted->rows == recounted->rows && counted->totals == recounted->totals,
          "seed " << seed << ", " << when << ", node " << n->store->identity().site << ": counters "
                  << Dump(*counted) << " != recount " << Dump(*recounted));
    }
  }
}

uint64_t SeedFromEnv() {
  if (const char* s = std::getenv("OUTPOST_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(volumes)

BOOST_AUTO_TEST_CASE(counters_equal_a_recount_after_random_writes_and_merges) {
  const uint64_t seed = SeedFromEnv();
  BOOST_TEST_MESSAGE("volumes property test: seed " << seed << " (OUTPOST_SEED=" << seed
                                                    << " replays it)");
  World w(seed);
  std::vector<Node*> writers = {&w.hq, &w.gra, &w.gra, &w.ver};
  int applied = 0;
  for (int step = 0; step < 600; ++step) {
    w.clock.Advance(1'000'000);
    int64_t r = w.Pick(20);
    if (r == 0) {
      testing::Deliver(w.gra, w.hq);
    } else if (r == 1) {
      testing::Deliver(w.ver, w.hq);
    } else if (r == 2) {
      Node* n = writers[w.Pick(4)];
      BOOST_REQUIRE(RefreshVolumes(*n->store).ok());
    } else {
      applied += w.Write(*writers[w.Pick(4)]);
    }
    if (step % 100 == 99) w.Check("step " + std::to_string(step));
  }
  testing::Deliver(w.gra, w.hq);
  testing::Deliver(w.ver, w.hq);
  w.Check("the end");
  BOOST_TEST_MESSAGE("seed " << seed << ": " << applied << " writes applied");
  // The crossings' rows reached HQ and were counted there.
  auto at_hq = ReadVolumes(*w.hq.store, {"BA-GRA", kWindowFrom, kWindowTo, VolumeBucket::kDay});
  BOOST_REQUIRE(at_hq.ok());
  BOOST_TEST(at_hq->totals["movements"] > 0);
}

BOOST_AUTO_TEST_CASE(a_refresh_recounts_only_what_changed_and_what_hangs_from_it) {
  World w(7);
  for (int k = 0; k < 50; ++k)
    w.Insert(w.gra, "movement", w.MovementColumns(), w.own[&w.gra].movements);
  Own& o = w.own[&w.gra];
  Uuid m = o.movements[0];
  w.Insert(w.gra, "inspection",
           {{1, IdBytes(m)}, {2, std::string("rule")}, {7, std::string("seizure")}}, o.inspections);
  w.Insert(w.gra, "seizure",
           {{1, IdBytes(o.inspections[0])},
            {2, std::string("drugs")},
            {4, 2.0},
            {5, std::string("KGM")}},
           o.seizures);
  auto first = RefreshVolumes(*w.gra.store);
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(*first == 52);  // everything, once
  auto again = RefreshVolumes(*w.gra.store);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(*again == 0);  // nothing changed: nothing read
  // The movement moves a day later: its inspection and seizure move with it.
  BOOST_REQUIRE(w.Edit(w.gra, "movement", &m, {{4, kWindowFrom + 5 * kDayMicros + 7}}));
  auto moved = RefreshVolumes(*w.gra.store);
  BOOST_REQUIRE(moved.ok());
  BOOST_TEST(*moved == 3);
  VolumeQuery last_day{"BA-GRA", kWindowFrom + 5 * kDayMicros, kWindowTo, VolumeBucket::kDay};
  auto v = ReadVolumes(*w.gra.store, last_day);
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->totals["inspections"] == 1);
  BOOST_TEST(v->totals["seizures_drugs"] == 1);
  w.Check("after the move");
  // Deleting the inspection takes its seizure out of the counts too.
  BOOST_REQUIRE(w.Toggle(w.gra, "inspection", &o.inspections[0]));
  v = ReadVolumes(*w.gra.store, last_day);
  BOOST_REQUIRE(v.ok());
  BOOST_TEST(v->totals["inspections"] == 0);
  BOOST_TEST(v->totals["seizures"] == 0);
  w.Check("after the delete");
}

BOOST_AUTO_TEST_CASE(a_store_counted_by_triggers_is_counted_afresh_without_them) {
  World w(5);
  for (int k = 0; k < 3; ++k)
    w.Insert(w.gra, "movement", w.MovementColumns(), w.own[&w.gra].movements);
  // What format 1 left: its log, a trigger feeding it, its state.
  Db& db = w.gra.store->db();
  BOOST_REQUIRE(RefreshVolumes(*w.gra.store).ok());
  BOOST_REQUIRE(db.Exec("CREATE TABLE volume_changed(seq INTEGER PRIMARY KEY, tbl TEXT, id BLOB);"
                        "CREATE TRIGGER volume_changed_movement_ins AFTER INSERT ON movement "
                        "BEGIN INSERT INTO volume_changed(tbl, id) VALUES('movement', NEW.id); "
                        "END;"
                        "UPDATE volume_state SET value = 1 WHERE key = 'format'")
                    .ok());
  auto counted = RefreshVolumes(*w.gra.store);
  BOOST_REQUIRE_MESSAGE(counted.ok(), counted.status().ToString());
  BOOST_TEST(*counted == 3);
  auto left = db.QueryInt("SELECT count(*) FROM sqlite_master WHERE name LIKE 'volume_changed%'");
  BOOST_REQUIRE(left.ok());
  BOOST_TEST(*left == 0);
  w.CheckCounters("after the format 1 store was counted afresh");
}

BOOST_AUTO_TEST_CASE(a_bad_query_names_the_field_the_value_and_the_rule) {
  World w(3);
  auto check = [&](VolumeQuery q, const std::string& field) {
    auto r = ReadVolumes(*w.hq.store, q);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.status().code() == Code::kInvalidArgument);
    BOOST_TEST(r.status().message().rfind(field + ":", 0) == 0, r.status().message());
  };
  check({"", kWindowFrom + 5, kWindowTo, VolumeBucket::kDay}, "from");
  check({"", kWindowFrom, kWindowFrom + kHourMicros, VolumeBucket::kDay}, "to");
  check({"", kWindowTo, kWindowFrom, VolumeBucket::kDay}, "to");
  check({"", kWindowFrom, kWindowFrom + 32 * kDayMicros, VolumeBucket::kHour}, "to");
  check({"gradiska", kWindowFrom, kWindowTo, VolumeBucket::kDay}, "crossing");
  check({"BA-BIJ", kWindowFrom, kWindowTo, VolumeBucket::kDay}, "crossing");  // none here
}

BOOST_AUTO_TEST_CASE(the_csv_has_a_header_and_one_line_per_row) {
  Volumes v;
  v.rows.push_back({kWindowFrom, "BA-GRA", {{"movements", 2}, {"road_in", 2}}});
  v.rows.push_back({kWindowFrom + kDayMicros, "XK-VER", {{"movements", 1}, {"air_out", 1}}});
  std::string csv = ToCsv(v);
  BOOST_TEST(csv.rfind("period_start,crossing,movements,road_in,road_out,", 0) == 0);
  size_t lines = 0;
  for (size_t p = csv.find("\r\n"); p != std::string::npos; p = csv.find("\r\n", p + 2)) ++lines;
  BOOST_TEST(lines == 3u);
  BOOST_TEST(csv.find("\r\n2026-11-16T00:00:00Z,BA-GRA,2,2,0,") != std::string::npos, csv);
}

BOOST_AUTO_TEST_SUITE_END()
