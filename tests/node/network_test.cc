// HQ's view of its network (node/network.h, issue 20): real stores, real
// keys, real sessions over loopback. Gradiška syncs and uses HQ's ruleset,
// Bijača never connects, Vrbnica syncs once and is then revoked; each shows
// as what it is, with Gradiška's sessions paged newest first.
#define BOOST_TEST_MODULE network
#include "node/network.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "node/record_movement.h"
#include "node/risk/distribution.h"
#include "tests/node/network_fixture.h"

using namespace outpost;
using namespace outpost::node;
using namespace outpost::testing;

namespace {

constexpr int64_t kHour = 3600 * kSecond;

struct Hq : ServiceNetwork {
  Hq() : ServiceNetwork(ServiceClock::kWall) { Enroll(vrb); }
  Node vrb{clock, random, Role::kSite, "Vrbnica", "XK-VRB"};

  NetworkView View(int64_t now, int64_t behind_after = 6 * kHour) {
    auto v = BuildNetworkView(*hq.store, now, behind_after);
    BOOST_REQUIRE_MESSAGE(v.ok(), v.status().ToString());
    return *v;
  }
  const CrossingHealth& Crossing(const NetworkView& v, const Node& n) {
    for (const auto& c : v.crossings) {
      if (c.id == n.id()) return c;
    }
    BOOST_FAIL("crossing " + n.store->identity().name + " is not listed");
    return v.crossings.front();
  }
  // The server logs its side of a session on its own thread, just after the
  // client saw the end: wait until HQ's log holds `n` sessions with `node`.
  SessionPage SessionsOf(const Node& node, size_t n, int64_t limit = 50, int64_t before = 0) {
    for (int i = 0; i < 200; ++i) {
      auto p = CrossingSessions(*hq.store, node.id(), before, limit);
      BOOST_REQUIRE_MESSAGE(p.ok(), p.status().ToString());
      if (p->sessions.size() >= n) return *p;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_FAIL("HQ logged fewer than " + std::to_string(n) + " sessions");
    return {};
  }
  int64_t Now() { return wall.NowMicros(); }
};

// HQ's ruleset, which Gradiška's assessments will name.
void LoadRules(Node& hq) {
  RulesetSource s;
  s.text =
      "ruleset \"national\" version 3\n"
      "thresholds yellow 40 red 70\n"
      "list \"plates_of_interest\" plate from file\n"
      "rule R-1 score 50\n"
      "  when vehicle.plate in list \"plates_of_interest\"\n"
      "end\n";
  s.lists = {{"plates_of_interest", {"SA-123 BC"}}};
  auto loaded = LoadRuleset(*hq.store, *hq.keys, s, "HQ-0001");
  BOOST_REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(network)

BOOST_AUTO_TEST_CASE(every_enrolled_crossing_shows_before_any_session) {
  Hq net;
  // Enrolled "now" on the network's clock: not silent long enough to be behind.
  NetworkView v = net.View(kStart + kHour);
  BOOST_REQUIRE(v.crossings.size() == 3u);  // HQ itself is not a crossing
  for (const auto& c : v.crossings) {
    BOOST_TEST(c.never_connected, c.name);
    BOOST_TEST(c.state == "never connected", c.name);
    BOOST_TEST(c.last_contact == 0);
    BOOST_TEST(c.epoch == 1u);
    BOOST_TEST(c.cert_expires > kStart);
    BOOST_TEST(!c.ruleset.has_value());
    BOOST_TEST(c.pending_out > 0, c.name);  // at least the registry waits for it
  }
  // Past the threshold, a crossing that never came is behind.
  v = net.View(kStart + 7 * kHour);
  BOOST_TEST(net.Crossing(v, net.bij).state == "behind");
  BOOST_TEST(net.Crossing(v, net.bij).behind);
  BOOST_TEST(net.Crossing(v, net.bij).never_connected);
  auto none = CrossingSessions(*net.hq.store, net.bij.id(), 0, 50);
  BOOST_REQUIRE(none.ok());
  BOOST_TEST(none->sessions.empty());
  BOOST_TEST(none->next_before == 0);
}

BOOST_AUTO_TEST_CASE(synced_never_connected_and_revoked_crossings_each_show_as_such) {
  Hq net;
  LoadRules(net.hq);
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  // Vrbnica: one session, then revoked; its next attempt is refused.
  auto vrb = net.Open(net.vrb);
  BOOST_REQUIRE(vrb->SyncWith(Address(*hq)).ok());
  net.SessionsOf(net.vrb, 1);
  auto rev = RevokeNode(*net.hq.store, *net.hq.keys, net.vrb.id(), "laptop stolen");
  BOOST_REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
  BOOST_TEST(!vrb->SyncWith(Address(*hq)).ok());

  // Gradiška: gets the ruleset, assesses a truck with it, sends it back.
  auto gra = net.Open(net.gra);
  BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
  Actor officer{"BA-GRA-0042", ""};
  const nlohmann::json truck = {{"direction", "in"},
                                {"mode", "road"},
                                {"vehicle", {{"plate", "SA-123 BC"}, {"kind", "truck"}}}};
  auto m = RecordMovement(*net.gra.store, truck, officer);
  BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
  net.SessionsOf(net.gra, 2);
  NetworkView v = net.View(net.Now());
  BOOST_REQUIRE(v.crossings.size() == 3u);
  const CrossingHealth& g = net.Crossing(v, net.gra);
  BOOST_TEST(g.state == "ok");
  BOOST_TEST(!g.never_connected);
  BOOST_TEST(g.last_contact > 0);
  BOOST_TEST(g.last_contact <= net.Now());
  BOOST_TEST(g.last_error.empty());
  BOOST_TEST(g.pending_in == 0);
  BOOST_TEST(g.pending_out == 0);
  BOOST_REQUIRE(g.ruleset.has_value());
  BOOST_TEST(g.ruleset->ruleset_id == "national");
  BOOST_TEST(g.ruleset->version == 3);
  BOOST_REQUIRE(v.newest.has_value());
  BOOST_TEST(v.newest->version == 3);

  const CrossingHealth& b = net.Crossing(v, net.bij);
  BOOST_TEST(b.never_connected);
  BOOST_TEST(b.state == "behind");  // enrolled on the network's clock, weeks ago
  BOOST_TEST(!b.ruleset.has_value());

  const CrossingHealth& r = net.Crossing(v, net.vrb);
  BOOST_TEST(r.state == "revoked");
  BOOST_TEST(r.revoked);
  BOOST_TEST(r.revoked_reason == "laptop stolen");
  BOOST_TEST(!r.behind);  // a revoked crossing is not waited for
  // The worst first: behind before ok, revoked last.
  BOOST_TEST(v.crossings.front().state == "behind");
  BOOST_TEST(v.crossings.back().state == "revoked");

  // Gradiška's sessions, newest first: both ok, the second carried the movement.
  SessionPage page = net.SessionsOf(net.gra, 2);
  BOOST_REQUIRE(page.sessions.size() == 2u);
  BOOST_TEST(page.sessions[0].id > page.sessions[1].id);
  for (const auto& s : page.sessions) {
    BOOST_TEST(s.outcome == "ok", s.error);
    BOOST_TEST(s.direction == "in");
    BOOST_TEST(s.bytes_in > 0u);
    BOOST_TEST(s.bytes_out > 0u);
    BOOST_TEST(s.finished >= s.started);
  }
  BOOST_TEST(page.sessions[0].batches_in >= 1u);
  BOOST_TEST(page.sessions[1].batches_out >= 1u);  // the registry and the ruleset
  // Vrbnica's refused attempt is not a session (it never proved its keys):
  // it shows beside them, from the address its sessions came from.
  SessionPage vp = net.SessionsOf(net.vrb, 1);
  BOOST_TEST(vp.sessions.size() == 1u);
  for (int i = 0; i < 200 && vp.refused_connections.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    vp = net.SessionsOf(net.vrb, 1);
  }
  BOOST_REQUIRE(vp.refused_connections.size() == 1u);
  BOOST_TEST(vp.refused_connections[0].count == 1u);
  BOOST_TEST(vp.refused_connections[0].last_error.find("revoked") != std::string::npos,
             vp.refused_connections[0].last_error);

  // Silent for seven hours: Gradiška is behind.
  v = net.View(net.Now() + 7 * kHour);
  BOOST_TEST(net.Crossing(v, net.gra).state == "behind");
  BOOST_TEST(net.Crossing(v, net.gra).behind);
}

BOOST_AUTO_TEST_CASE(sessions_are_paged_newest_first) {
  Hq net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto gra = net.Open(net.gra);
  for (int i = 0; i < 3; ++i) {
    net.gra.Write("SA-" + std::to_string(300 + i));
    BOOST_REQUIRE(gra->SyncWith(Address(*hq)).ok());
  }
  SessionPage all = net.SessionsOf(net.gra, 3);
  SessionPage first = net.SessionsOf(net.gra, 2, 2);
  BOOST_REQUIRE(first.sessions.size() == 2u);
  BOOST_TEST(first.sessions[0].id == all.sessions[0].id);
  BOOST_TEST(first.next_before == first.sessions[1].id);
  SessionPage second = net.SessionsOf(net.gra, 1, 2, first.next_before);
  BOOST_REQUIRE(second.sessions.size() == 1u);
  BOOST_TEST(second.sessions[0].id == all.sessions[2].id);
  BOOST_TEST(second.next_before == 0);
  BOOST_TEST(CrossingSessions(*net.hq.store, net.gra.id(), 0, 0).status().code() ==
             Code::kInvalidArgument);
  BOOST_TEST(CrossingSessions(*net.hq.store, net.gra.id(), 0, 501).status().code() ==
             Code::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
