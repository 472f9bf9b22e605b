// The operator's path (issue 17): what a site's and HQ's admin see when sync
// fails. Real stores, real keys, real sockets on loopback.
//  - The daemon dials HQ at the address in the certificate with no address
//    book entry; every failure, even one before a session, is in the
//    transfer log and in status (last error, since when).
//  - HQ's status lists an enrolled node that never connected, and marks a
//    revoked one.
//  - A revoked site is told so by HQ, with the time and what to do.
//  - An HTTP server on the peer's address is named as such.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <thread>

#include "node/registry.h"
#include "node/sync_service.h"
#include "tests/node/network_fixture.h"

using namespace outpost;
using namespace outpost::node;
using namespace outpost::testing;

BOOST_AUTO_TEST_SUITE(operator_path)

// The fixture's HQ certificate says "hq.example:7700", which does not
// resolve: the daemon must try it (not stop at "no such peer name"), and
// the failure must show in `transfers` and `status`.
BOOST_AUTO_TEST_CASE(the_daemon_dials_hq_from_the_certificate_and_its_failures_show) {
  WallServices net;
  auto gra = net.Open(net.gra);
  auto targets = gra->Targets();
  BOOST_REQUIRE(targets.ok());
  BOOST_REQUIRE(targets->size() == 1u);
  BOOST_TEST((*targets)[0].address == "hq.example:7700");

  std::atomic<bool> stop{false};
  DaemonOptions d;
  d.poll = std::chrono::milliseconds(50);
  d.backoff_base = std::chrono::milliseconds(50);
  d.backoff_cap = std::chrono::milliseconds(100);
  Result<DaemonStats> stats = Status::Internal("not run");
  std::thread daemon([&] { stats = gra->RunDaemon(d, stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  stop = true;
  daemon.join();
  BOOST_REQUIRE_MESSAGE(stats.ok(), stats.status().ToString());
  BOOST_TEST(stats->failures >= 2u);
  BOOST_TEST(!net.Logged("no such peer name"));

  auto t = ListTransfers(*net.gra.store, 100);
  BOOST_REQUIRE(t.ok());
  BOOST_REQUIRE(!t->empty());
  BOOST_TEST(t->front().direction == "out");
  BOOST_TEST(t->front().address == "hq.example:7700");
  BOOST_TEST(!t->front().ok);
  BOOST_TEST(t->front().error.find("cannot resolve \"hq.example\"") != std::string::npos,
             t->front().error);

  auto gs = ListPeerStatuses(*net.gra.store);
  BOOST_REQUIRE(gs.ok());
  const PeerStatus* hq = FindPeer(*gs, net.hq.id());
  BOOST_REQUIRE(hq);
  BOOST_TEST(!hq->last_error.empty());
  // Since the first of the failures, not the last.
  BOOST_TEST(hq->failing_since == t->back().started);
  BOOST_TEST(hq->failing_since < t->front().started);
}

BOOST_AUTO_TEST_CASE(sync_with_hq_by_name_needs_no_address_book_entry) {
  WallServices net;
  auto gra = net.Open(net.gra);
  auto r = gra->SyncWith("hq");
  BOOST_TEST(r.status().code() != Code::kNotFound, r.status().ToString());
  BOOST_TEST(r.status().message().find("cannot resolve \"hq.example\"") != std::string::npos,
             r.status().ToString());
  // Any failure is a transfer: a name that does not resolve too.
  auto bad = gra->SyncWith("nowhere");
  BOOST_TEST(bad.status().code() == Code::kNotFound);
  auto t = gra->Transfers(10);
  BOOST_REQUIRE(t.ok());
  BOOST_REQUIRE(t->size() == 2u);
  BOOST_TEST((*t)[0].error.find("no such peer name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failure_after_a_success_shows_since_when_and_clears_on_success) {
  WallServices net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  const std::string at = Address(*hq);
  auto gra = net.Open(net.gra);
  BOOST_REQUIRE(gra->AddPeer("hq", at).ok());
  BOOST_REQUIRE(gra->SyncWith("hq").ok());
  hq->StopServing();
  BOOST_TEST(!gra->SyncWith("hq").ok());
  BOOST_TEST(!gra->SyncWith("hq").ok());
  auto t = gra->Transfers(10);
  BOOST_REQUIRE(t.ok() && t->size() == 3u);
  auto gs = ListPeerStatuses(*net.gra.store);
  BOOST_REQUIRE(gs.ok());
  const PeerStatus* p = FindPeer(*gs, net.hq.id());
  BOOST_REQUIRE(p);
  BOOST_TEST(!p->last_error.empty());
  BOOST_TEST(p->failing_since == (*t)[1].started);  // the first failure
  BOOST_REQUIRE(hq->Serve(at).ok());
  BOOST_REQUIRE(gra->SyncWith("hq").ok());
  gs = ListPeerStatuses(*net.gra.store);
  BOOST_REQUIRE(gs.ok());
  p = FindPeer(*gs, net.hq.id());
  BOOST_TEST(p->last_error.empty());
  BOOST_TEST(p->failing_since == 0);
}

BOOST_AUTO_TEST_CASE(hq_status_lists_a_node_that_never_connected_and_marks_revoked_ones) {
  WallServices net;
  net.gra.Write("GRA-1");
  auto hs = ListPeerStatuses(*net.hq.store);
  BOOST_REQUIRE(hs.ok());
  const PeerStatus* gra = FindPeer(*hs, net.gra.id());
  BOOST_REQUIRE(gra);
  BOOST_TEST(gra->never_connected);
  BOOST_TEST(gra->name == "Gradiška");
  BOOST_TEST(gra->revoked_at == 0);
  BOOST_TEST(gra->pending_out >= 1);        // at least its registry row in "shared"
  BOOST_TEST(!FindPeer(*hs, net.hq.id()));  // not itself

  auto rev = RevokeNode(*net.hq.store, *net.hq.keys, net.bij.id(), "laptop stolen");
  BOOST_REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
  hs = ListPeerStatuses(*net.hq.store);
  BOOST_REQUIRE(hs.ok());
  const PeerStatus* bij = FindPeer(*hs, net.bij.id());
  BOOST_REQUIRE(bij);
  BOOST_TEST(bij->revoked_at > 0);
}

BOOST_AUTO_TEST_CASE(a_revoked_site_is_told_it_was_revoked_and_what_to_do) {
  WallServices net;
  auto hq = net.Open(net.hq);
  BOOST_REQUIRE(hq->Serve("127.0.0.1:0").ok());
  auto bij = net.Open(net.bij);
  auto rev = RevokeNode(*net.hq.store, *net.hq.keys, net.bij.id(), "laptop stolen");
  BOOST_REQUIRE_MESSAGE(rev.ok(), rev.status().ToString());
  Uuid b = net.bij.Write("BIJ-AFTER");
  auto t = bij->SyncWith(Address(*hq));
  BOOST_REQUIRE(!t.ok());
  const std::string e = t.status().ToString();
  BOOST_TEST(t.status().code() == Code::kPermissionDenied, e);
  BOOST_TEST(e.find("was revoked at ") != std::string::npos, e);
  BOOST_TEST(e.find("new node") != std::string::npos, e);
  BOOST_TEST(e.find("closed by the peer") == std::string::npos, e);
  BOOST_TEST(!net.hq.Has(b));
  // The site's status says it too.
  auto gs = ListPeerStatuses(*net.bij.store);
  BOOST_REQUIRE(gs.ok());
  const PeerStatus* p = FindPeer(*gs, net.hq.id());
  BOOST_REQUIRE(p);
  BOOST_TEST(p->last_error.find("was revoked at ") != std::string::npos, p->last_error);
}

// A web server where HQ should be (a wrong port): it answers the preamble
// with "HTTP/1.1 400", as nginx does to bytes that are not a request.
BOOST_AUTO_TEST_CASE(an_http_server_on_the_peer_address_is_named_as_such) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  BOOST_REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  BOOST_REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const std::string at = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  std::thread web([fd] {
    int c = accept(fd, nullptr, nullptr);
    if (c < 0) return;
    char buf[512];
    (void)!read(c, buf, sizeof buf);
    const char* reply =
        "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n";
    (void)!write(c, reply, std::strlen(reply));
    close(c);
  });
  WallServices net;
  auto gra = net.Open(net.gra);
  auto r = gra->SyncWith(at);
  web.join();
  close(fd);
  BOOST_REQUIRE(!r.ok());
  const std::string e = r.status().ToString();
  BOOST_TEST(
      e.find("the peer at " + at + " is not an Outpost node (it answered like an HTTP server)") !=
          std::string::npos,
      e);
  BOOST_TEST(e.find("frame length") == std::string::npos, e);
  auto t = gra->Transfers(1);
  BOOST_REQUIRE(t.ok() && t->size() == 1u);
  BOOST_TEST((*t)[0].error.find("not an Outpost node") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
