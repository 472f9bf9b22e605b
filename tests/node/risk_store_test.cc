// Ruleset distribution, assessments, decisions, the feedback report and
// recording a movement with its assessment (node/risk/distribution.h,
// node/risk/assessments.h, node/record_movement.h): real stores and keys,
// HQ -> site through sync::Replica::Merge with the trust policy.
#define BOOST_TEST_MODULE risk_store
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "crypto/secret.h"
#include "node/record_movement.h"
#include "node/registry.h"
#include "node/risk/assessments.h"
#include "node/risk/distribution.h"
#include "node/trust.h"
#include "tests/node/keyed_node.h"
#include "tests/node/node_fixture.h"
#include "tests/support/node_secrets.h"

using namespace outpost;
using namespace outpost::node;
using nlohmann::json;
using outpost::testing::TempDir;

namespace {

constexpr int64_t kStart = 1'795'000'000'000'000;  // 2026-11

using Node = testing::KeyedNode;
using testing::Deliver;
using testing::EnrollSite;

std::string Rules(int version, const std::string& extra = "") {
  return "ruleset \"national\" version " + std::to_string(version) +
         "\n"
         "thresholds yellow 40 red 70\n"
         "list \"plates_of_interest\" plate from file\n"
         "watchlist \"persons\" name from file\n"
         "rule R-1 score 50 instructions \"Check the cab.\"\n"
         "  when vehicle.plate in list \"plates_of_interest\"\n"
         "end\n"
         "rule R-2 score 30\n"
         "  when watchlist \"persons\" matches persons.name fuzzy 0.9\n"
         "end\n"
         "rule R-3 score 25\n"
         "  when history.crossings(vehicle.plate, 30d) >= 2\n"
         "end\n"
         "rule S-1 status shadow score 90\n"
         "  when mode = \"road\"\n"
         "end\n" +
         extra;
}

RulesetSource Source(int version) {
  RulesetSource s;
  s.text = Rules(version);
  s.lists = {{"plates_of_interest", {"SA-123 BC", "ZG 1111 AA"}}};
  s.watchlists = {{"persons", {"Petrović Marko", "Jovanović Ana", "Hoxha Arben"}}};
  return s;
}

Result<RulesetInfo> Load(Node& hq, int version) {
  return LoadRuleset(*hq.store, *hq.keys, Source(version), "HQ-0001");
}

// Flips one byte of a BLOB column in every row of `table` (as someone with
// the database file, or bit rot, would), behind the replica's back.
void FlipByte(Store& store, const std::string& table, const std::string& column) {
  auto sel = store.db().Prepare("SELECT id, " + column + " FROM " + table);
  BOOST_REQUIRE(sel.ok());
  std::vector<std::pair<Bytes, Bytes>> rows;
  for (;;) {
    auto more = (*sel)->Step();
    BOOST_REQUIRE(more.ok());
    if (!*more) break;
    auto id = (*sel)->Blob(0);
    auto v = (*sel)->Blob(1);
    rows.emplace_back(Bytes(id.begin(), id.end()), Bytes(v.begin(), v.end()));
  }
  BOOST_REQUIRE(!rows.empty());
  for (auto& [id, v] : rows) {
    BOOST_REQUIRE(!v.empty());
    v[std::min<size_t>(10, v.size() - 1)] ^= 0x01;
    auto up = store.db().Prepare("UPDATE " + table + " SET " + column + " = ? WHERE id = ?");
    BOOST_REQUIRE(up.ok());
    (*up)->BindBlob(1, v).BindBlob(2, id);
    BOOST_REQUIRE((*up)->Run().ok());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(risk_distribution)

BOOST_AUTO_TEST_CASE(hq_load_is_signed_and_the_newest_valid_ruleset_is_activated) {
  FakeClock clock(kStart);
  SeededRandom random(11);
  Node hq(clock, random, Role::kHq, "HQ");
  auto none = ActivateNewest(*hq.store);
  BOOST_REQUIRE(none.ok());
  BOOST_TEST(!none->active.has_value());

  auto v1 = Load(hq, 1);
  BOOST_REQUIRE_MESSAGE(v1.ok(), v1.status().ToString());
  BOOST_TEST(v1->rule_count == 4u);
  BOOST_TEST(v1->shadow_rules == 1u);
  BOOST_TEST(v1->signer == hq.fingerprint());
  clock.Advance(1'000'000);
  auto v2 = Load(hq, 2);
  BOOST_REQUIRE_MESSAGE(v2.ok(), v2.status().ToString());

  auto act = ActivateNewest(*hq.store);
  BOOST_REQUIRE_MESSAGE(act.ok(), act.status().ToString());
  BOOST_REQUIRE(act->active.has_value());
  BOOST_TEST(act->active->info.version == 2);
  BOOST_TEST(act->refused.empty());
  bool saw_list = false, saw_watchlist = false;
  for (const auto& l : act->active->info.lists) {
    if (l.name == "plates_of_interest") saw_list = !l.watchlist && l.entries == 2;
    if (l.name == "persons") saw_watchlist = l.watchlist && l.entries == 3;
  }
  BOOST_TEST(saw_list);
  BOOST_TEST(saw_watchlist);

  // The same or an older version again is refused.
  BOOST_TEST(Load(hq, 2).status().code() == Code::kAlreadyExists);
  BOOST_TEST(Load(hq, 1).status().code() == Code::kAlreadyExists);
  // A list the ruleset does not declare, and an entry that is two lines.
  RulesetSource bad = Source(3);
  bad.lists.push_back({"nope", {"x"}});
  auto r = LoadRuleset(*hq.store, *hq.keys, bad, "HQ-0001");
  BOOST_TEST(r.status().code() == Code::kNotFound);
  BOOST_TEST(r.status().message().find("nope") != std::string::npos, r.status().message());
  bad = Source(3);
  bad.watchlists[0].entries.push_back("two\nlines");
  r = LoadRuleset(*hq.store, *hq.keys, bad, "HQ-0001");
  BOOST_TEST(r.status().code() == Code::kInvalidArgument);
  BOOST_TEST(r.status().message().find("entry 4") != std::string::npos, r.status().message());
  // A compile error keeps its line:col.
  bad = Source(3);
  bad.text += "rule X when goods.hs_cod = \"1\" score 1 end\n";
  r = LoadRuleset(*hq.store, *hq.keys, bad, "HQ-0001");
  BOOST_TEST(r.status().code() == Code::kInvalidArgument);
  BOOST_TEST(r.status().message().find("goods.hs_cod") != std::string::npos, r.status().message());
}

BOOST_AUTO_TEST_CASE(tampered_manifest_or_chunk_is_refused_and_the_older_one_stays_active) {
  FakeClock clock(kStart);
  SeededRandom random(12);
  Node hq(clock, random, Role::kHq, "HQ");
  BOOST_REQUIRE(Load(hq, 1).ok());

  // One ruleset, manifest altered: nothing active, the reason says why.
  FlipByte(*hq.store, "risk_ruleset", "manifest");
  auto act = ActivateNewest(*hq.store);
  BOOST_REQUIRE(act.ok());
  BOOST_TEST(!act->active.has_value());
  BOOST_REQUIRE(act->refused.size() == 1u);
  BOOST_TEST(act->refused[0].reason.code() == Code::kUnauthenticated);
  BOOST_TEST(
      act->refused[0].reason.message().find("signature does not verify") != std::string::npos,
      act->refused[0].reason.message());
}

BOOST_AUTO_TEST_CASE(tampered_chunk_or_missing_signature_falls_back_to_the_older_ruleset) {
  FakeClock clock(kStart);
  SeededRandom random(13);
  Node hq(clock, random, Role::kHq, "HQ");
  auto v1 = Load(hq, 1);
  BOOST_REQUIRE(v1.ok());
  clock.Advance(1'000'000);
  auto v2 = Load(hq, 2);
  BOOST_REQUIRE(v2.ok());

  // Alter v2's chunk (v1's stays intact).
  auto sel = hq.store->db().Prepare("SELECT id, data FROM risk_ruleset_chunk WHERE ruleset = ?");
  BOOST_REQUIRE(sel.ok());
  (*sel)->BindBlob(1, v2->row_id);
  auto found = (*sel)->Step();
  BOOST_REQUIRE(found.ok() && *found);
  auto cid = (*sel)->Blob(0);
  auto cdata = (*sel)->Blob(1);
  Bytes chunk_id(cid.begin(), cid.end()), data(cdata.begin(), cdata.end());
  sel->reset();
  data[data.size() / 2] ^= 0x80;
  auto up = hq.store->db().Prepare("UPDATE risk_ruleset_chunk SET data = ? WHERE id = ?");
  BOOST_REQUIRE(up.ok());
  (*up)->BindBlob(1, data).BindBlob(2, chunk_id);
  BOOST_REQUIRE((*up)->Run().ok());
  auto act = ActivateNewest(*hq.store);
  BOOST_REQUIRE(act.ok());
  BOOST_REQUIRE(act->active.has_value());
  BOOST_TEST(act->active->info.version == 1);
  BOOST_REQUIRE(act->refused.size() == 1u);
  BOOST_TEST(act->refused[0].version == 2);
  BOOST_TEST(act->refused[0].reason.code() == Code::kCorruption);
  BOOST_TEST(act->refused[0].reason.message().find("signed payload hash") != std::string::npos,
             act->refused[0].reason.message());

  // Unsigned (signature emptied): refused too; v1 is then the newest valid.
  BOOST_REQUIRE(hq.store->db().Exec("UPDATE risk_ruleset SET signature = x''").ok());
  act = ActivateNewest(*hq.store);
  BOOST_REQUIRE(act.ok());
  BOOST_TEST(!act->active.has_value());
  BOOST_TEST(act->refused.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_site_cannot_author_and_activates_what_hq_signed) {
  FakeClock clock(kStart);
  SeededRandom random(14);
  Node hq(clock, random, Role::kHq, "HQ");
  Node site(clock, random, Role::kSite, "BA-GRA");
  EnrollSite(hq, site);

  auto own = LoadRuleset(*site.store, *site.keys, Source(1), "BA-GRA-0042");
  BOOST_TEST(own.status().code() == Code::kPermissionDenied);
  BOOST_TEST(own.status().message().find("only HQ") != std::string::npos, own.status().message());

  BOOST_REQUIRE(Load(hq, 1).ok());
  Deliver(hq, site);
  auto act = ActivateNewest(*site.store);
  BOOST_REQUIRE(act.ok());
  BOOST_REQUIRE_MESSAGE(act->active.has_value(),
                        (act->refused.empty() ? "" : act->refused[0].reason.ToString()));
  BOOST_TEST(act->active->info.ruleset_id == "national");
  BOOST_TEST(act->active->info.signer == hq.fingerprint());

  // A site that writes a ruleset row into "shared" by hand: HQ's trust
  // policy refuses the batch, and the site's own activation refuses the
  // unsigned row.
  const schema::Table& rt = *site.store->catalogue().Find("risk_ruleset");
  auto w = site.store->replica().BeginWrite();
  BOOST_REQUIRE(w.ok());
  std::string manifest = "{}";
  std::vector<sync::ColumnValue> cols = {{1, std::string("national")},
                                         {2, int64_t{9}},
                                         {3, kStart + 99'000'000},
                                         {5, Bytes(manifest.begin(), manifest.end())},
                                         {6, Bytes(64, 0)}};
  BOOST_REQUIRE((*w)->Insert(rt, site.store->NewId(), "shared", cols).ok());
  BOOST_REQUIRE((*w)->Commit().ok());
  act = ActivateNewest(*site.store);
  BOOST_REQUIRE(act.ok());
  BOOST_REQUIRE(act->active.has_value());
  BOOST_TEST(act->active->info.version == 1);
  BOOST_REQUIRE(act->refused.size() == 1u);
  BOOST_TEST(act->refused[0].reason.code() == Code::kUnauthenticated);
  auto rep = Deliver(site, hq);
  BOOST_TEST(rep.refused.size() >= 1u);
  auto hq_act = ActivateNewest(*hq.store);
  BOOST_REQUIRE(hq_act.ok());
  BOOST_TEST(hq_act->refused.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(risk_assessments)

BOOST_AUTO_TEST_CASE(assessment_is_stored_with_the_movement_and_counts_history) {
  FakeClock clock(kStart);
  SeededRandom random(15);
  Node hq(clock, random, Role::kHq, "HQ");
  Node site(clock, random, Role::kSite, "BA-GRA");
  EnrollSite(hq, site);
  BOOST_REQUIRE(Load(hq, 1).ok());
  Deliver(hq, site);
  auto act = ActivateNewest(*site.store);
  BOOST_REQUIRE(act.ok() && act->active.has_value());

  Records records(*site.store);
  Actor officer{"BA-GRA-0042", ""};
  json doc = {
      {"mode", "road"},
      {"direction", "in"},
      {"vehicle", {{"plate", "SA123BC"}, {"plate_country", "BA"}}},
      {"persons",
       json::array({{{"role", "driver"}, {"family_name", "Petrovic"}, {"given_names", "Marko"}}})}};
  // Three crossings an hour apart, each assessed as it is recorded.
  std::vector<Uuid> ids;
  std::vector<StoredAssessment> assessed;
  for (int i = 0; i < 3; ++i) {
    clock.Advance(3600LL * 1'000'000);
    auto added = records.Add("movement", doc, officer);
    BOOST_REQUIRE_MESSAGE(added.ok(), added.status().ToString());
    auto id = ParseUuid((*added)["id"].get<std::string>());
    BOOST_REQUIRE(id.ok());
    ids.push_back(*id);
    auto a = AssessMovement(*site.store, *act->active, *id, doc);
    BOOST_REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    assessed.push_back(std::move(*a));
  }
  // The first has no earlier crossing: R-3 does not hit.
  BOOST_TEST(assessed[0].assessment.score == 80);
  StoredAssessment* stored = &assessed[2];
  const risk::Assessment& a = stored->assessment;
  // R-1 (plate list, normalised) 50 + R-2 (watchlist) 30 + R-3 (2 earlier crossings) 25.
  BOOST_TEST(a.score == 105);
  BOOST_TEST(a.lane == risk::Lane::kRed);
  BOOST_REQUIRE(a.hits.size() == 3u);
  BOOST_TEST(a.hits[0].instructions == "Check the cab.");
  BOOST_REQUIRE(a.shadow_hits.size() == 1u);  // S-1: never counted
  BOOST_TEST(a.shadow_hits[0].rule_id == "S-1");

  // The stored row: linked to the movement and the ruleset, in the site's scope.
  auto st = site.store->db().Prepare(
      "SELECT a.movement, a.ruleset_id, a.ruleset_version, a.lane, a.score, a.rules_hit, s.name "
      "FROM risk_assessment a JOIN crdt_scope s ON s.idx = a._scope WHERE a.id = ?");
  BOOST_REQUIRE(st.ok());
  (*st)->BindBlob(1, stored->id);
  auto row = (*st)->Step();
  BOOST_REQUIRE(row.ok() && *row);
  auto mv = (*st)->Blob(0);
  BOOST_TEST((Uuid(ids[2]) == [&] {
    Uuid u{};
    std::copy(mv.begin(), mv.end(), u.begin());
    return u;
  }()));
  BOOST_TEST((*st)->Text(1) == "national");
  BOOST_TEST((*st)->Int(2) == 1);
  BOOST_TEST((*st)->Text(3) == "red");
  BOOST_TEST((*st)->Int(4) == 105);
  BOOST_TEST((*st)->Text(5) == "R-1,R-2,R-3");
  BOOST_TEST((*st)->Text(6) == "site:BA-GRA");

  // The assessment syncs to HQ with the movement.
  Deliver(site, hq);
  auto at_hq = hq.store->db().QueryInt("SELECT count(*) FROM risk_assessment");
  BOOST_REQUIRE(at_hq.ok());
  BOOST_TEST(*at_hq == 3);

  // The officer decides: an override is recorded with its reason.
  std::string mid = UuidToString(ids[2]);
  auto d =
      RecordDecision(*site.store, mid, risk::Lane::kYellow, "known regular carrier", "BA-GRA-0042");
  BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  BOOST_TEST(d->override);
  BOOST_TEST((d->recommended == risk::Lane::kRed));
  auto lane = site.store->db().QueryText("SELECT lane FROM movement WHERE id = x'" +
                                         ToHex(std::span<const uint8_t>(ids[2])) + "'");
  BOOST_REQUIRE(lane.ok());
  BOOST_TEST(*lane == "yellow");
  BOOST_TEST(
      RecordDecision(*site.store, mid, risk::Lane::kRed, "", "BA-GRA-0042").status().code() ==
      Code::kInvalidArgument);
  BOOST_TEST(RecordDecision(*site.store, UuidToString(site.store->NewId()), risk::Lane::kRed, "x",
                            "BA-GRA-0042")
                 .status()
                 .code() == Code::kNotFound);
}

BOOST_AUTO_TEST_CASE(a_history_that_cannot_be_read_is_an_error_not_zero_crossings) {
  FakeClock clock(kStart);
  SeededRandom random(17);
  Node hq(clock, random, Role::kHq, "HQ");
  Node site(clock, random, Role::kSite, "BA-GRA");
  EnrollSite(hq, site);
  BOOST_REQUIRE(Load(hq, 1).ok());
  Deliver(hq, site);
  auto act = ActivateNewest(*site.store);
  BOOST_REQUIRE(act.ok() && act->active.has_value());
  Records records(*site.store);
  json doc = {{"mode", "road"}, {"direction", "in"}, {"vehicle", {{"plate", "SA123BC"}}}};
  auto added = records.Add("movement", doc, Actor{"BA-GRA-0042", ""});
  BOOST_REQUIRE(added.ok());
  auto id = ParseUuid((*added)["id"].get<std::string>());
  BOOST_REQUIRE(id.ok());

  StoreHistory ok(*site.store, *id);
  auto zero = ok.CountCrossings("SA123BC", 0);
  BOOST_REQUIRE_MESSAGE(zero.ok(), zero.status().ToString());
  BOOST_TEST(*zero == 0);  // only the movement itself, excluded

  // The vehicle table gone from under the query (as a damaged file would).
  BOOST_REQUIRE(site.store->db().Exec("ALTER TABLE vehicle RENAME TO vehicle_gone").ok());
  StoreHistory broken(*site.store, *id);
  auto count = broken.CountCrossings("SA123BC", 0);
  BOOST_TEST(!count.ok());
  BOOST_TEST(count.status().message().find("history of crossings") != std::string::npos,
             count.status().message());
  BOOST_TEST(!broken.status().ok());
  // R-3 asks for the history: no assessment is stored on a count it lacks.
  auto a = AssessMovement(*site.store, *act->active, *id, doc);
  BOOST_TEST(!a.ok());
  BOOST_TEST(a.status().message().find("history of crossings") != std::string::npos,
             a.status().message());
  BOOST_TEST(*site.store->db().QueryInt("SELECT count(*) FROM live_risk_assessment") == 0);
}

// A hand-made day: 10 movements with known hits, inspections and seizures.
BOOST_AUTO_TEST_CASE(report_gives_precision_share_and_lift_of_a_known_dataset) {
  testing::SiteFixture f;
  const schema::Table& at = *f.store->catalogue().Find("risk_assessment");
  Uuid ruleset = f.store->NewId();
  struct Row {
    std::string lane, rules;
    bool random;
    std::string result;  // "" = not inspected
    bool seizure_row;
  };
  std::vector<Row> day = {
      {"red", "R1", false, "seizure", false},       // M1
      {"red", "R1", false, "irregularity", false},  // M2
      {"red", "R1", false, "nil", true},            // M3: nil, but a seizure refers to it
      {"red", "R1", false, "", false},              // M4
      {"yellow", "R2", false, "nil", false},        // M5
      {"yellow", "R2", false, "nil", false},        // M6
      {"green", "", true, "irregularity", false},   // M7: control
      {"green", "", true, "nil", false},            // M8: control
      {"green", "", false, "", false},              // M9
      {"green", "", false, "", false},              // M10
  };
  for (const auto& r : day) {
    auto m = f.records->Add("movement", json{{"direction", "in"}, {"mode", "road"}}, f.officer);
    BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
    std::string mid = (*m)["id"];
    auto id = ParseUuid(mid);
    BOOST_REQUIRE(id.ok());
    auto w = f.store->replica().BeginWrite();
    BOOST_REQUIRE(w.ok());
    std::vector<sync::ColumnValue> cols = {{1, Bytes(id->begin(), id->end())},
                                           {2, Bytes(ruleset.begin(), ruleset.end())},
                                           {3, std::string("national")},
                                           {4, int64_t{1}},
                                           {5, int64_t{0}},
                                           {6, r.lane},
                                           {7, int64_t{r.random}},
                                           {13, r.rules},
                                           {15, f.clock.NowMicros()}};
    BOOST_REQUIRE((*w)->Insert(at, f.store->NewId(), f.store->ScopeFor(at), cols).ok());
    BOOST_REQUIRE((*w)->Commit().ok());
    if (r.result.empty()) continue;
    auto insp = f.records->Add(
        "inspection", json{{"movement", mid}, {"selection_basis", "rule"}, {"result", r.result}},
        f.officer);
    BOOST_REQUIRE_MESSAGE(insp.ok(), insp.status().ToString());
    if (r.seizure_row) {
      auto z = f.records->Add(
          "seizure", json{{"inspection", (*insp)["id"]}, {"quantity", 2.5}, {"unit", "KGM"}},
          f.officer);
      BOOST_REQUIRE_MESSAGE(z.ok(), z.status().ToString());
    }
  }
  auto rep = BuildReport(*f.store, {});
  BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  BOOST_TEST(rep->assessed == 10);
  BOOST_TEST(rep->inspected == 7);
  BOOST_TEST(rep->positives == 4);  // M1 M2 M3 M7
  BOOST_TEST(rep->selections == 6);
  BOOST_TEST(*rep->inspected_share == 0.7, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*rep->hit_rate == 4.0 / 7, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(rep->control == 2);
  BOOST_TEST(*rep->control_precision == 0.5, boost::test_tools::tolerance(1e-9));
  BOOST_REQUIRE(rep->rules.size() == 2u);
  const RuleFigures& r1 = rep->rules[0];
  BOOST_TEST(r1.rule_id == "R1");
  BOOST_TEST(r1.hits == 4);
  BOOST_TEST(r1.inspections == 3);
  BOOST_TEST(r1.positives == 3);
  BOOST_TEST(*r1.precision == 1.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*r1.share == 4.0 / 6, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*r1.lift == 2.0, boost::test_tools::tolerance(1e-9));
  const RuleFigures& r2 = rep->rules[1];
  BOOST_TEST(r2.rule_id == "R2");
  BOOST_TEST(r2.positives == 0);
  BOOST_TEST(*r2.precision == 0.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*r2.share == 2.0 / 6, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(*r2.lift == 0.0, boost::test_tools::tolerance(1e-9));

  // Another site, and a window after everything: nothing counted.
  auto other = BuildReport(*f.store, {std::nullopt, "BA-BIJ"});
  BOOST_REQUIRE(other.ok());
  BOOST_TEST(other->assessed == 0);
  auto later = BuildReport(*f.store, {f.clock.NowMicros() + 1, ""});
  BOOST_REQUIRE(later.ok());
  BOOST_TEST(later->assessed == 0);
  auto mine = BuildReport(*f.store, {std::nullopt, "BA-GRA"});
  BOOST_REQUIRE(mine.ok());
  BOOST_TEST(mine->assessed == 10);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(record_movement)

namespace {

// A site holding HQ's ruleset version 1 (and, with `tampered_v2`, a newer
// version 2 whose chunk was altered, so that it is refused).
struct SiteWithRuleset {
  FakeClock clock{kStart};
  SeededRandom random{16};
  Node hq{clock, random, Role::kHq, "HQ"};
  Node site{clock, random, Role::kSite, "BA-GRA"};

  explicit SiteWithRuleset(bool tampered_v2 = false) {
    EnrollSite(hq, site);
    BOOST_REQUIRE(Load(hq, 1).ok());
    Result<RulesetInfo> v2 = Status::NotFound("not loaded");
    if (tampered_v2) {
      clock.Advance(1'000'000);
      v2 = Load(hq, 2);
      BOOST_REQUIRE(v2.ok());
    }
    Deliver(hq, site);
    if (tampered_v2) {  // altered on the site's disk, behind the replica's back
      auto up = site.store->db().Prepare(
          "UPDATE risk_ruleset_chunk SET data = x'00' || data WHERE ruleset = ?");
      BOOST_REQUIRE(up.ok());
      (*up)->BindBlob(1, v2->row_id);
      BOOST_REQUIRE((*up)->Run().ok());
    }
  }
};

const json kTruck = {
    {"mode", "road"},
    {"direction", "in"},
    {"vehicle", {{"plate", "SA123BC"}, {"plate_country", "BA"}}},
    {"persons",
     json::array({{{"role", "driver"}, {"family_name", "Petrovic"}, {"given_names", "Marko"}}})}};

int64_t Count(Store& store, const std::string& sql) {
  auto n = store.db().QueryInt(sql);
  BOOST_REQUIRE_MESSAGE(n.ok(), n.status().ToString());
  return *n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_a_ruleset_the_movement_is_stored_and_no_lane_recommended) {
  testing::SiteFixture f;
  auto r = RecordMovement(*f.store, kTruck, f.officer);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  BOOST_TEST(r->record["type"] == "movement");
  BOOST_TEST(r->record["id"] == UuidToString(r->id));
  BOOST_TEST(r->record["rows"].get<int64_t>() >= 3);  // movement, vehicle, person, ...
  auto stored = f.records->Get(UuidToString(r->id), f.officer);
  BOOST_REQUIRE_MESSAGE(stored.ok(), stored.status().ToString());
  BOOST_TEST((*stored)["vehicle"]["plate"] == "SA123BC");

  BOOST_TEST((r->risk.state == RiskOutcome::State::kNoRuleset));
  BOOST_TEST(!r->risk.assessed());
  BOOST_TEST(r->risk.message == "no ruleset loaded: no lane recommended");
  BOOST_TEST(r->risk.refused.empty());
  json expected = {{"lane", nullptr},
                   {"assessed", false},
                   {"message", "no ruleset loaded: no lane recommended"}};
  BOOST_TEST(RiskOutcomeJson(r->risk).dump() == expected.dump());
  BOOST_TEST(Count(*f.store, "SELECT count(*) FROM live_risk_assessment") == 0);
}

BOOST_AUTO_TEST_CASE(with_a_ruleset_the_movement_is_assessed_and_the_assessment_stored) {
  SiteWithRuleset s;
  auto r = RecordMovement(*s.site.store, kTruck, Actor{"BA-GRA-0042", ""});
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const RiskOutcome& o = r->risk;
  BOOST_REQUIRE_MESSAGE(o.assessed(), o.message);
  BOOST_TEST(o.message.empty());
  BOOST_TEST(o.refused.empty());
  // R-1 (plate list) 50 + R-2 (watchlist) 30; no earlier crossing for R-3.
  BOOST_TEST(o.assessment->score == 80);
  BOOST_TEST(o.assessment->lane == risk::Lane::kRed);
  BOOST_REQUIRE(o.assessment->hits.size() == 2u);
  BOOST_TEST(o.assessment->hits[0].rule_id == "R-1");
  BOOST_TEST(!o.assessment->hits[0].matched.empty());
  BOOST_TEST(o.assessment->ruleset_id == "national");

  // Stored, linked to the movement, in the site's scope.
  std::string hex = ToHex(std::span<const uint8_t>(o.assessment_id));
  BOOST_TEST(Count(*s.site.store, "SELECT count(*) FROM live_risk_assessment WHERE id = x'" + hex +
                                      "' AND movement = x'" +
                                      ToHex(std::span<const uint8_t>(r->id)) + "'") == 1);

  json j = RiskOutcomeJson(o);
  json expected = risk::ToJson(*o.assessment);
  expected["assessed"] = true;
  expected["assessment_id"] = UuidToString(o.assessment_id);
  BOOST_TEST(j.dump() == expected.dump());
  BOOST_TEST(j["lane"] == "red");
  BOOST_TEST(!j.contains("refused"));
}

BOOST_AUTO_TEST_CASE(a_refused_newer_ruleset_is_reported_beside_the_assessment) {
  SiteWithRuleset s(/*tampered_v2=*/true);
  auto r = RecordMovement(*s.site.store, kTruck, Actor{"BA-GRA-0042", ""});
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  BOOST_REQUIRE(r->risk.assessed());
  BOOST_TEST(r->risk.assessment->ruleset_version == 1);
  BOOST_REQUIRE(r->risk.refused.size() == 1u);
  BOOST_TEST(r->risk.refused[0].version == 2);
  json j = RiskOutcomeJson(r->risk);
  BOOST_REQUIRE(j.contains("refused"));
  BOOST_TEST(j["refused"].dump() == RefusedRulesetsJson(r->risk.refused).dump());
  BOOST_TEST(j["refused"][0]["version"] == 2);
  BOOST_TEST(j["refused"][0]["code"] == "corruption");
}

BOOST_AUTO_TEST_CASE(an_invalid_movement_is_refused_and_nothing_is_stored) {
  SiteWithRuleset s;
  json bad = kTruck;
  bad["vehicle"]["vin"] = "WVWZZZ1JZXW00000I";  // I is not a VIN character
  auto r = RecordMovement(*s.site.store, bad, Actor{"BA-GRA-0042", ""});
  BOOST_TEST(r.status().code() == Code::kInvalidArgument);
  BOOST_TEST(r.status().message().find("vin") != std::string::npos, r.status().message());
  BOOST_TEST(Count(*s.site.store, "SELECT count(*) FROM live_movement") == 0);
  BOOST_TEST(Count(*s.site.store, "SELECT count(*) FROM live_risk_assessment") == 0);
}

BOOST_AUTO_TEST_CASE(an_assessment_that_cannot_be_made_says_why_and_fails_nothing) {
  SiteWithRuleset s;
  Uuid unknown = s.site.store->NewId();
  RiskOutcome o = AssessStoredMovement(*s.site.store, unknown, kTruck);
  BOOST_TEST((o.state == RiskOutcome::State::kFailed));
  BOOST_TEST(!o.message.empty());
  json j = RiskOutcomeJson(o);
  BOOST_TEST(j["assessed"] == false);
  BOOST_TEST(j["lane"].is_null());
  BOOST_TEST(j["message"] == o.message);
  BOOST_TEST(Count(*s.site.store, "SELECT count(*) FROM live_risk_assessment") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
