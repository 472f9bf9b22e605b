// The officer's queue and the shift summary (node/shift.h) over a real site
// store holding HQ's signed ruleset: movements recorded and assessed by
// node::RecordMovement, decided by node::RecordDecision, one inspected with
// a seizure, and one of yesterday that must not count.
#define BOOST_TEST_MODULE shift
#include "node/shift.h"

#include <boost/test/unit_test.hpp>
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

constexpr int64_t kStart = 1'795'000'000'000'000;  // 2026-11-18 11:06 UTC
constexpr int64_t kDay = 86'400'000'000;

using Node = testing::KeyedNode;
using testing::Deliver;
using testing::EnrollSite;

// HQ's ruleset: a plate on the list scores 50 (yellow at 40).
struct Site {
  FakeClock clock{kStart};
  SeededRandom random{19};
  Node hq{clock, random, Role::kHq, "HQ"};
  Node site{clock, random, Role::kSite, "BA-GRA"};

  Site() {
    EnrollSite(hq, site);
    RulesetSource s;
    s.text =
        "ruleset \"national\" version 1\n"
        "thresholds yellow 40 red 70\n"
        "list \"plates_of_interest\" plate from file\n"
        "rule R-1 score 50\n"
        "  when vehicle.plate in list \"plates_of_interest\"\n"
        "end\n";
    s.lists = {{"plates_of_interest", {"SA-123 BC", "ZG 1111 AA"}}};
    auto loaded = LoadRuleset(*hq.store, *hq.keys, s, "HQ-0001");
    BOOST_REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
    Deliver(hq, site);
  }
  // Records a road movement now; returns it with its recommendation.
  RecordedMovement Truck(const std::string& plate) {
    clock.Advance(60'000'000);
    json doc = {{"direction", "in"}, {"mode", "road"}, {"vehicle", {{"plate", plate}}}};
    auto r = RecordMovement(*site.store, doc, Actor{"BA-GRA-0042", ""});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    BOOST_REQUIRE_MESSAGE(r->risk.assessed(), r->risk.message);
    return std::move(*r);
  }
  void Decide(const RecordedMovement& m, risk::Lane lane, const std::string& reason,
              const std::string& officer) {
    auto d = RecordDecision(*site.store, UuidToString(m.id), lane, reason, officer);
    BOOST_REQUIRE_MESSAGE(d.ok(), d.status().ToString());
  }
};

// The UTC day holding `micros` (the test does not depend on the process TZ).
Day UtcDay(int64_t micros) { return {micros / kDay * kDay, micros / kDay * kDay + kDay, "", ""}; }

}  // namespace

BOOST_AUTO_TEST_CASE(the_queue_and_the_shift_hold_todays_movements_only) {
  Site s;
  auto yesterday = s.Truck("SA123BC");  // assessed, undecided: would be queued today
  s.clock.Advance(kDay);
  auto waiting = s.Truck("SA123BC");  // yellow, no decision
  auto waved = s.Truck("ZG1111AA");   // yellow, overridden to green
  s.Decide(waved, risk::Lane::kGreen, "regular carrier, seals intact", "BA-GRA-0007");
  auto stopped = s.Truck("BG555XX");  // green, overridden to red, not inspected yet
  BOOST_REQUIRE(stopped.risk.assessment->lane == risk::Lane::kGreen);
  s.Decide(stopped, risk::Lane::kRed, "driver nervous, fresh paint on the floor", "BA-GRA-0042");
  auto searched = s.Truck("ZG1111AA");  // yellow as recommended, inspected, tobacco seized
  BOOST_REQUIRE(searched.risk.assessment->lane == risk::Lane::kYellow);
  s.Decide(searched, risk::Lane::kYellow, "as recommended", "BA-GRA-0042");
  Records records(*s.site.store);
  Actor officer{"BA-GRA-0042", ""};
  auto insp = records.Add(
      "inspection",
      {{"movement", UuidToString(searched.id)}, {"selection_basis", "rule"}, {"result", "seizure"}},
      officer);
  BOOST_REQUIRE_MESSAGE(insp.ok(), insp.status().ToString());
  auto seized = records.Add("seizure",
                            {{"inspection", (*insp)["id"]},
                             {"commodity_group", "tobacco"},
                             {"quantity", 200},
                             {"unit", "KGM"}},
                            officer);
  BOOST_REQUIRE_MESSAGE(seized.ok(), seized.status().ToString());

  // Recorded without an assessment (e.g. before any ruleset): it awaits the
  // officer's decision all the same.
  s.clock.Advance(60'000'000);
  auto bare = records.Add(
      "movement", {{"direction", "out"}, {"mode", "road"}, {"vehicle", {{"plate", "TZ777AB"}}}},
      officer);
  BOOST_REQUIRE_MESSAGE(bare.ok(), bare.status().ToString());

  Day today = UtcDay(s.clock.NowMicros());
  auto queue = Queue(*s.site.store, today, Actor{"BA-GRA-0042", "queue"});
  BOOST_REQUIRE_MESSAGE(queue.ok(), queue.status().ToString());
  BOOST_REQUIRE(queue->size() == 3u);  // not yesterday's, not the green or inspected ones
  BOOST_TEST((*queue)[2].plate == "TZ777AB");
  BOOST_TEST((*queue)[2].awaits == "decision");
  BOOST_TEST((*queue)[2].recommended.empty());
  BOOST_TEST(((*queue)[0].movement == waiting.id));
  BOOST_TEST((*queue)[0].awaits == "decision");
  BOOST_TEST((*queue)[0].recommended == "yellow");
  BOOST_TEST((*queue)[0].plate == "SA123BC");
  BOOST_TEST(((*queue)[1].movement == stopped.id));
  BOOST_TEST((*queue)[1].awaits == "inspection");
  BOOST_TEST((*queue)[1].lane == "red");
  BOOST_TEST((*queue)[0].time < (*queue)[1].time);  // oldest first
  BOOST_TEST(!(yesterday.id == waiting.id));

  auto sum = BuildShiftSummary(*s.site.store, today);
  BOOST_REQUIRE_MESSAGE(sum.ok(), sum.status().ToString());
  BOOST_TEST(sum->movements == 5);  // yesterday's is not counted
  BOOST_TEST(sum->by_lane["undecided"] == 2);
  BOOST_TEST(sum->by_lane["green"] == 1);
  BOOST_TEST(sum->by_lane["red"] == 1);
  BOOST_TEST(sum->by_lane["yellow"] == 1);
  BOOST_TEST(sum->by_mode["road"] == 5);
  BOOST_REQUIRE(sum->overrides.size() == 2u);
  BOOST_TEST(sum->overrides[0].reason == "regular carrier, seals intact");
  BOOST_TEST(sum->overrides[0].officer == "BA-GRA-0007");
  BOOST_TEST(sum->overrides[0].recommended == "yellow");
  BOOST_TEST(sum->overrides[0].lane == "green");
  BOOST_TEST(sum->overrides[1].officer == "BA-GRA-0042");
  BOOST_TEST(sum->overrides[1].lane == "red");
  BOOST_TEST(sum->inspections == 1);
  BOOST_TEST(sum->seizures == 1);
  BOOST_REQUIRE(sum->seizure_list.size() == 1u);
  BOOST_TEST(sum->seizure_list[0].commodity_group == "tobacco");
  BOOST_TEST(sum->seizure_list[0].quantity == 200.0);
  BOOST_TEST(sum->seizure_list[0].unit == "KGM");
  BOOST_TEST(sum->ruleset_id == "national");
  BOOST_TEST(sum->ruleset_version == 1);

  // Yesterday, seen from yesterday: one movement, awaiting its decision.
  auto before = Queue(*s.site.store, UtcDay(kStart), Actor{"BA-GRA-0042", ""});
  BOOST_REQUIRE(before.ok());
  BOOST_REQUIRE(before->size() == 1u);
  BOOST_TEST(((*before)[0].movement == yesterday.id));
}

BOOST_AUTO_TEST_CASE(a_queue_listing_plates_is_audited_once_for_the_actor) {
  Site s;
  s.Truck("SA123BC");
  auto count = [&] {
    return *s.site.store->db().QueryInt(
        "SELECT count(*) FROM live_audit_entry WHERE action = 'consult' AND "
        "officer = 'BA-GRA-0099' AND record_type = 'vehicle'");
  };
  BOOST_TEST(count() == 0);
  BOOST_REQUIRE(Queue(*s.site.store, UtcDay(s.clock.NowMicros()), Actor{"BA-GRA-0099", ""}).ok());
  BOOST_TEST(count() == 1);
  // An empty queue (another day) lists no plate and is not audited.
  BOOST_REQUIRE(Queue(*s.site.store, UtcDay(kStart - kDay), Actor{"BA-GRA-0099", ""}).ok());
  BOOST_TEST(count() == 1);
}

BOOST_AUTO_TEST_CASE(a_local_day_is_the_day_around_the_instant) {
  Day d = LocalDay(kStart);
  BOOST_TEST(d.start <= kStart);
  BOOST_TEST(kStart < d.end);
  BOOST_TEST(d.end - d.start >= 23 * 3600'000'000LL);
  BOOST_TEST(d.end - d.start <= 25 * 3600'000'000LL);
  BOOST_TEST(d.date.size() == 10u);
  BOOST_TEST(LocalClock(d.start) == "00:00");
}
