// The session state machine without sockets: two Sessions pumped in memory.
#include "sync/session.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "sync/frame.h"
#include "sync/wire.h"
#include "tests/sync/net_fixture.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;

namespace {

// A link between two sessions: delivers bytes in transmission order, can
// stop after `cut_after` bytes (both directions counted) or flip byte
// `flip_at`.
struct Link {
  size_t cut_after = SIZE_MAX;
  size_t flip_at = SIZE_MAX;
  size_t passed = 0;
  Bytes Carry(Bytes b) {
    if (passed >= cut_after) return {};
    if (b.size() > cut_after - passed) b.resize(cut_after - passed);
    if (flip_at >= passed && flip_at < passed + b.size()) b[flip_at - passed] ^= 0x20;
    passed += b.size();
    return b;
  }
};

struct RunResult {
  int rounds = 0;  // A->B then B->A deliveries
  size_t bytes = 0;
  bool a_complete = false, b_complete = false;
  Status a_status, b_status;
};

RunResult Run(Session& a, Session& b, Link link = {}) {
  RunResult r;
  BOOST_REQUIRE(a.Start().ok());
  for (int i = 0; i < 10000; ++i) {
    Bytes ab = link.Carry(a.TakeOutput());
    if (!ab.empty()) r.b_status = b.Receive(ab);
    Bytes ba = link.Carry(b.TakeOutput());
    if (!ba.empty()) r.a_status = a.Receive(ba);
    if (ab.empty() && ba.empty()) break;
    ++r.rounds;
  }
  r.bytes = link.passed;
  r.a_complete = a.complete();
  r.b_complete = b.complete();
  if (a.failed()) r.a_status = a.failure();
  if (b.failed()) r.b_status = b.failure();
  return r;
}

std::unique_ptr<Session> Make(NetNode& n, SessionRole role,
                              std::optional<crypto::PublicKeyBytes> pin = std::nullopt,
                              SessionOptions o = {}) {
  auto s = Session::Create(role, n.Env(), n.kx, pin, std::move(o));
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

RunResult Sync(NetNode& a, NetNode& b, Link link = {}, SessionOptions o = {}, bool pin = false) {
  auto sa = Make(a, SessionRole::kInitiator,
                 pin ? std::optional<crypto::PublicKeyBytes>(b.kx.PublicKey()) : std::nullopt, o);
  auto sb = Make(b, SessionRole::kResponder, std::nullopt, o);
  return Run(*sa, *sb, link);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(both_directions_converge_in_one_session) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  a.Write(30, "site:AA-ONE");
  b.Write(20, "shared");
  auto r = Sync(a, b);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(r.b_complete);
  BOOST_TEST_MESSAGE("both ways, 50 batches: " << r.rounds << " rounds, " << r.bytes << " bytes");
  BOOST_TEST(a.Digest() == b.Digest());
  BOOST_TEST(*a.node.replica->GetVersionVector() == *b.node.replica->GetVersionVector());
  // Both ledgers know the peer holds everything.
  BOOST_TEST(*a.ledger->Known(b.id()) == *b.node.replica->GetVersionVector());
  BOOST_TEST(*b.ledger->Known(a.id()) == *a.node.replica->GetVersionVector());
}

BOOST_AUTO_TEST_CASE(ik_with_pinned_key_converges) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  a.Write(5, "shared");
  auto r = Sync(a, b, {}, {}, /*pin=*/true);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(r.b_complete);
  BOOST_TEST(a.Digest() == b.Digest());
}

BOOST_AUTO_TEST_CASE(in_sync_costs_one_round_trip_and_under_2kb) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  a.Write(200, "site:AA-ONE");
  b.Write(200, "shared");
  BOOST_REQUIRE(Sync(a, b).a_complete);
  // Already in sync: handshake (XX: 1.5 round trips), then Hello both ways
  // and Done both ways.
  auto sa = Make(a, SessionRole::kInitiator);
  auto sb = Make(b, SessionRole::kResponder);
  auto r = Run(*sa, *sb);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(r.b_complete);
  BOOST_TEST(sa->stats().chunks_sent == 0u);
  BOOST_TEST(sb->stats().chunks_sent == 0u);
  // Session messages after the handshake: Hello + Done each way.
  BOOST_TEST(sa->stats().frames_out == 2u + 2u);  // msg1, msg3, Hello, Done
  BOOST_TEST(sb->stats().frames_out == 1u + 2u);  // msg2, Hello, Done
  BOOST_TEST_MESSAGE("in sync: " << r.rounds << " deliveries each way, " << r.bytes
                                 << " bytes in total");
  BOOST_TEST(r.bytes < 2048u);
  BOOST_TEST(r.rounds <= 3);
  // With IK the handshake is one round trip.
  auto ia = Make(a, SessionRole::kInitiator, b.kx.PublicKey());
  auto ib = Make(b, SessionRole::kResponder);
  auto ri = Run(*ia, *ib);
  BOOST_TEST(ri.a_complete);
  BOOST_TEST(ri.bytes < 2048u);
  BOOST_TEST_MESSAGE("in sync (IK): " << ri.rounds << " rounds, " << ri.bytes << " bytes");
}

BOOST_AUTO_TEST_CASE(chunks_stay_within_the_bound_and_are_acked_one_at_a_time) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  a.Write(100, "site:AA-ONE");
  SessionOptions o;
  o.max_chunk_bytes = 2048;
  auto sa = Make(a, SessionRole::kInitiator, std::nullopt, o);
  auto sb = Make(b, SessionRole::kResponder, std::nullopt, o);
  auto r = Run(*sa, *sb);
  BOOST_TEST(r.b_complete);
  BOOST_TEST(sa->stats().chunks_sent > 5u);
  BOOST_TEST(sb->stats().applied == 100u);
  BOOST_TEST(sb->stats().duplicates == 0u);
  BOOST_TEST(a.Digest() == b.Digest());
}

// A dictionary of the fixture's record shapes (NetNode::Write).
std::shared_ptr<const ZstdDictionary> FixtureDictionary(uint32_t id) {
  std::string s;
  for (int i = 0; i < 50; ++i) s += "OBC\x01value-" + std::to_string(i) + "-site:AA-ONE";
  auto d = ZstdDictionary::Load(id, Bytes(s.begin(), s.end()));
  BOOST_REQUIRE(d.ok());
  return *d;
}

// Sends a's 200 batches to b; returns a's session stats.
SessionStats SendAll(SessionOptions oa, SessionOptions ob) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  a.Write(200, "site:AA-ONE");
  auto sa = Make(a, SessionRole::kInitiator, std::nullopt, oa);
  auto sb = Make(b, SessionRole::kResponder, std::nullopt, ob);
  auto r = Run(*sa, *sb);
  BOOST_REQUIRE_MESSAGE(r.a_complete && r.b_complete, r.a_status.ToString()
                                                          << " / " << r.b_status.ToString());
  BOOST_TEST(sb->stats().applied == 200u);
  BOOST_TEST(a.Digest() == b.Digest());
  return sa->stats();
}

BOOST_AUTO_TEST_CASE(batches_are_compressed_with_the_dictionary_both_sides_hold) {
  ZstdDictionaries held;
  held.Add(FixtureDictionary(7));
  SessionOptions with;
  with.dictionaries = &held;
  with.preferred_dictionary = 7;
  SessionOptions old;
  old.compress = false;  // a node built before compression: offers no zstd
  SessionStats plain = SendAll(with, old);
  SessionStats zstd = SendAll(with, SessionOptions{});  // peer lacks dictionary 7
  SessionStats dict = SendAll(with, with);
  BOOST_TEST_MESSAGE("200 one-row batches, bytes inside chunks: plain "
                     << plain.batch_bytes_sent << ", zstd " << zstd.batch_bytes_sent
                     << ", zstd + dictionary " << dict.batch_bytes_sent << " (raw "
                     << plain.batch_raw_bytes_sent << ")");
  // The old peer gets exactly the plain envelopes.
  BOOST_TEST(plain.batch_bytes_sent >= plain.batch_raw_bytes_sent);
  BOOST_TEST(zstd.batch_bytes_sent <= plain.batch_bytes_sent);
  BOOST_TEST(dict.batch_bytes_sent < zstd.batch_bytes_sent);
}

BOOST_AUTO_TEST_CASE(scopes_follow_may_read) {
  Directory dir;
  NetNode hq(dir, 1), site(dir, 2);
  dir.reads[site.id()] = {"shared", "site:BB-TWO"};
  hq.Write(10, "shared");
  hq.Write(10, "site:AA-ONE");
  hq.Write(10, "site:BB-TWO");
  auto r = Sync(site, hq);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(site.Digest("shared") == hq.Digest("shared"));
  BOOST_TEST(site.Digest("site:BB-TWO") == hq.Digest("site:BB-TWO"));
  auto vv = *site.node.replica->GetVersionVector();
  BOOST_TEST(vv.Get(hq.id(), "site:AA-ONE") == 0u);
  BOOST_TEST(vv.Get(hq.id(), "shared") == 10u);
}

BOOST_AUTO_TEST_CASE(relay_carries_the_authors_signature) {
  Directory dir;
  NetNode a(dir, 1), hq(dir, 2), b(dir, 3);
  a.Write(7, "shared");
  BOOST_REQUIRE(Sync(a, hq).a_complete);
  auto r = Sync(b, hq);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(b.Digest() == a.Digest());
}

BOOST_AUTO_TEST_CASE(unenrolled_peer_is_refused_at_the_handshake) {
  Directory dir;
  NetNode a(dir, 1, /*enrol=*/false), b(dir, 2);
  a.Write(3, "shared");
  auto r = Sync(a, b);
  BOOST_TEST(!r.b_complete);
  BOOST_TEST(r.b_status.code() == Code::kUnauthenticated);
  BOOST_TEST(*b.node.db->QueryInt("SELECT count(*) FROM item") == 0);
  // And an initiator refuses an unenrolled responder before revealing itself.
  NetNode c(dir, 3, /*enrol=*/false);
  auto r2 = Sync(b, c);
  BOOST_TEST(r2.a_status.code() == Code::kUnauthenticated);
}

BOOST_AUTO_TEST_CASE(revoked_peer_is_refused_and_a_live_session_closed) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  dir.revoked.insert(a.id());
  auto r = Sync(a, b);
  BOOST_TEST(r.b_status.code() == Code::kPermissionDenied);
  dir.revoked.clear();
  // Live session: revoke after the handshake, before the data.
  a.Write(50, "shared");
  SessionOptions o;
  o.max_chunk_bytes = 2048;
  auto sa = Make(a, SessionRole::kInitiator, std::nullopt, o);
  auto sb = Make(b, SessionRole::kResponder, std::nullopt, o);
  BOOST_REQUIRE(sa->Start().ok());
  BOOST_REQUIRE(sb->Receive(sa->TakeOutput()).ok());  // msg1
  BOOST_REQUIRE(sa->Receive(sb->TakeOutput()).ok());  // msg2
  BOOST_REQUIRE(sb->Receive(sa->TakeOutput()).ok());  // msg3, hello, chunk
  dir.revoked.insert(a.id());
  BOOST_TEST(sb->Reauthorize().code() == Code::kPermissionDenied);
  BOOST_TEST(sb->failed());
  BOOST_TEST(sa->Receive(sb->TakeOutput()).code() == Code::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(unknown_version_is_refused_with_a_reason) {
  Directory dir;
  NetNode a(dir, 1), b(dir, 2);
  SessionOptions v2;
  v2.protocol_version = 2;
  auto sa = Make(a, SessionRole::kInitiator, std::nullopt, v2);
  auto sb = Make(b, SessionRole::kResponder);
  auto r = Run(*sa, *sb);
  BOOST_TEST(r.b_status.code() == Code::kFailedPrecondition);
  BOOST_TEST(r.a_status.code() == Code::kFailedPrecondition);
  BOOST_TEST_MESSAGE(r.a_status.ToString());
  BOOST_TEST(r.a_status.message().find("speaks version 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_and_oversized_frames_fail_the_session) {
  Directory dir;
  NetNode b(dir, 2);
  {
    auto sb = Make(b, SessionRole::kResponder);
    Bytes junk(64, 0x41);
    BOOST_TEST(sb->Receive(junk).code() == Code::kCorruption);
  }
  {
    auto sb = Make(b, SessionRole::kResponder);
    Bytes pre = EncodePreamble(Preamble{});
    pre.insert(pre.end(), {0x00, 0x10, 0x00, 0x00});  // 1 MiB frame
    BOOST_TEST(sb->Receive(pre).code() == Code::kCorruption);
  }
  {
    auto sb = Make(b, SessionRole::kResponder);
    Bytes pre = EncodePreamble(Preamble{});
    AppendFrame(pre, Bytes(31, 7));  // a handshake message of the wrong length
    BOOST_TEST(!sb->Receive(pre).ok());
  }
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_fails_the_session_and_merges_nothing_corrupt) {
  Directory dir;
  NetNode ra(dir, 1), rb(dir, 2);
  ra.Write(8, "site:AA-ONE");
  rb.Write(8, "shared");
  SessionOptions o;
  o.max_chunk_bytes = 1024;
  Link probe;
  auto full = Sync(ra, rb, {}, o);
  BOOST_REQUIRE(full.a_complete);
  const std::string want = ra.Digest();
  const size_t total = full.bytes;
  size_t stride = std::getenv("OUTPOST_EVERY_BYTE") ? 1 : 53;
  size_t failed = 0, tried = 0;
  for (size_t k = 0; k < total; k += stride) {
    NetNode a(dir, 1), b(dir, 2);
    a.Write(8, "site:AA-ONE");
    b.Write(8, "shared");
    Link link;
    link.flip_at = k;
    auto r = Sync(a, b, link, o);
    ++tried;
    BOOST_TEST_CONTEXT("flip at byte " << k << " of " << total) {
      // Whoever read the flipped byte failed; no batch was ever refused,
      // because no altered batch reached a merge.
      BOOST_TEST((!r.a_complete || !r.b_complete));
      if (!r.a_complete || !r.b_complete) ++failed;
      auto sa = Make(a, SessionRole::kInitiator, std::nullopt, o);
      auto sb = Make(b, SessionRole::kResponder, std::nullopt, o);
      auto again = Run(*sa, *sb);
      BOOST_TEST(again.a_complete);
      BOOST_TEST(sa->stats().refused + sb->stats().refused == 0u);
      BOOST_TEST(a.Digest() == want);
      BOOST_TEST(b.Digest() == want);
    }
  }
  BOOST_TEST_MESSAGE("flipped " << tried << " positions of " << total << ": " << failed
                                << " sessions failed");
}

BOOST_AUTO_TEST_CASE(cut_at_any_byte_then_resume_resends_at_most_one_chunk) {
  Directory dir;
  SessionOptions o;
  o.max_chunk_bytes = 1024;
  NetNode ra(dir, 1), rb(dir, 2);
  ra.Write(12, "site:AA-ONE");
  rb.Write(12, "shared");
  auto sa0 = Make(ra, SessionRole::kInitiator, std::nullopt, o);
  auto sb0 = Make(rb, SessionRole::kResponder, std::nullopt, o);
  auto full = Run(*sa0, *sb0);
  BOOST_REQUIRE(full.a_complete);
  const uint64_t need_ab = sa0->stats().batch_bytes_sent;
  const uint64_t need_ba = sb0->stats().batch_bytes_sent;
  const std::string want = ra.Digest();
  size_t stride = std::getenv("OUTPOST_EVERY_BYTE") ? 1 : 41;
  uint64_t worst = 0;
  for (size_t cut = 0; cut < full.bytes; cut += stride) {
    NetNode a(dir, 1), b(dir, 2);
    a.Write(12, "site:AA-ONE");
    b.Write(12, "shared");
    Link link;
    link.cut_after = cut;
    auto s1a = Make(a, SessionRole::kInitiator, std::nullopt, o);
    auto s1b = Make(b, SessionRole::kResponder, std::nullopt, o);
    (void)Run(*s1a, *s1b, link);
    auto s2a = Make(a, SessionRole::kInitiator, std::nullopt, o);
    auto s2b = Make(b, SessionRole::kResponder, std::nullopt, o);
    auto r2 = Run(*s2a, *s2b);
    BOOST_TEST_CONTEXT("cut after " << cut << " of " << full.bytes << " bytes") {
      BOOST_TEST(r2.a_complete);
      BOOST_TEST(r2.b_complete);
      BOOST_TEST(a.Digest() == want);
      BOOST_TEST(b.Digest() == want);
      // Nothing applied twice; what was re-sent is at most one chunk per direction.
      BOOST_TEST(s2a->stats().duplicates + s2b->stats().duplicates == 0u);
      uint64_t resent_ab = s1a->stats().batch_bytes_sent + s2a->stats().batch_bytes_sent - need_ab;
      uint64_t resent_ba = s1b->stats().batch_bytes_sent + s2b->stats().batch_bytes_sent - need_ba;
      BOOST_TEST(resent_ab <= o.max_chunk_bytes);
      BOOST_TEST(resent_ba <= o.max_chunk_bytes);
      worst = std::max({worst, resent_ab, resent_ba});
    }
  }
  BOOST_TEST_MESSAGE("cut test: " << full.bytes << " byte session, worst re-sent " << worst
                                  << " batch bytes (chunk bound " << o.max_chunk_bytes << ")");
}

BOOST_AUTO_TEST_CASE(a_refused_batch_is_retried_by_the_next_session) {
  Directory dir;
  NetNode a(dir, 1), hq(dir, 2), b(dir, 3);
  a.Write(4, "shared");
  BOOST_REQUIRE(Sync(a, hq).a_complete);
  // b does not know a's signing key yet: a's batches wait (kUnavailable).
  Directory other;
  {
    std::lock_guard<std::mutex> lock(dir.mu);
    other.kx = dir.kx;
    other.verify.emplace(hq.id(), dir.verify.at(hq.id()));
  }
  FakePolicy limited(other, b.id(), b.signing);
  SessionEnv env = b.Env();
  env.policy = &limited;
  auto sb = *Session::Create(SessionRole::kInitiator, env, b.kx, std::nullopt);
  auto sh = Make(hq, SessionRole::kResponder);
  auto r = Run(*sb, *sh);
  BOOST_TEST(r.a_complete);
  BOOST_TEST(sb->stats().refused == 4u);
  BOOST_TEST(*b.node.db->QueryInt("SELECT count(*) FROM item") == 0);
  BOOST_TEST(Sync(b, hq).a_complete);
  BOOST_TEST(b.Digest() == a.Digest());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wire)

BOOST_AUTO_TEST_CASE(messages_round_trip_and_garbage_is_corruption) {
  HelloMsg h;
  h.protocol_version = 1;
  h.node_id[0] = 9;
  NodeId o{};
  o[3] = 4;
  h.vv.Set(o, "shared", 17);
  h.vv.Set(o, "site:AA-ONE", 3);
  h.scopes_wanted = {"shared"};
  Bytes enc = EncodeMessage(h);
  auto back = DecodeMessage(enc, kMaxMessageBytes);
  BOOST_REQUIRE(back.ok());
  auto* hb = std::get_if<HelloMsg>(&*back);
  BOOST_REQUIRE(hb);
  BOOST_TEST(hb->vv == h.vv);
  BOOST_TEST(hb->scopes_wanted == h.scopes_wanted);
  BOOST_TEST(!hb->accepts_zstd);  // not set: a peer that gets raw bodies
  // The compression offer round-trips; more than 64 dictionary ids is corruption.
  HelloMsg z = h;
  z.accepts_zstd = true;
  z.zstd_dictionaries = {1, 2};
  auto zb = DecodeMessage(EncodeMessage(z), kMaxMessageBytes);
  BOOST_REQUIRE(zb.ok());
  BOOST_TEST(std::get<HelloMsg>(*zb).accepts_zstd);
  BOOST_TEST(std::get<HelloMsg>(*zb).zstd_dictionaries == z.zstd_dictionaries);
  z.zstd_dictionaries.assign(65, 3);
  auto many = DecodeMessage(EncodeMessage(z), kMaxMessageBytes);
  BOOST_TEST(many.status().code() == Code::kCorruption);
  BOOST_TEST(many.status().message().find("hello.zstdDictionaries") != std::string::npos);
  BOOST_TEST(DecodeMessage(Bytes(16, 0xff), kMaxMessageBytes).status().code() == Code::kCorruption);
  BOOST_TEST(DecodeMessage(Bytes(7, 0), kMaxMessageBytes).status().code() == Code::kCorruption);
  // Every truncation of a real message either fails cleanly or decodes.
  for (size_t n = 8; n < enc.size(); n += 8) {
    (void)DecodeMessage(std::span<const uint8_t>(enc).first(n), kMaxMessageBytes);
  }
  SeededRandom rnd(5);
  for (int i = 0; i < 2000; ++i) {
    Bytes g = enc;
    g[rnd.Next64() % g.size()] ^= static_cast<uint8_t>(1 + rnd.Next64() % 255);
    (void)DecodeMessage(g, kMaxMessageBytes);
  }
}

BOOST_AUTO_TEST_CASE(rotate_messages_round_trip_and_are_bounded) {
  Bytes statement(300, 0x5a);
  auto back = DecodeMessage(EncodeMessage(RotateMsg{statement}), kMaxMessageBytes);
  BOOST_REQUIRE(back.ok());
  auto* r = std::get_if<RotateMsg>(&*back);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->statement == statement);
  RotateReplyMsg ok;
  ok.certificate_file = Bytes(900, 0x11);
  back = DecodeMessage(EncodeMessage(ok), kMaxMessageBytes);
  BOOST_REQUIRE(back.ok());
  auto* rr = std::get_if<RotateReplyMsg>(&*back);
  BOOST_REQUIRE(rr);
  BOOST_TEST((rr->code == Code::kOk));
  BOOST_TEST(rr->certificate_file == ok.certificate_file);
  RotateReplyMsg refused;
  refused.code = Code::kConflict;
  refused.reason = "rotation.oldEpoch: 7 but the node's current epoch is 1";
  back = DecodeMessage(EncodeMessage(refused), kMaxMessageBytes);
  BOOST_REQUIRE(back.ok());
  rr = std::get_if<RotateReplyMsg>(&*back);
  BOOST_REQUIRE(rr);
  BOOST_TEST((rr->code == Code::kConflict));
  BOOST_TEST(rr->reason == refused.reason);
  // Out of bounds: an empty or oversized statement, a success without a
  // certificate, a refusal with one.
  auto code = [](const Message& m) {
    return DecodeMessage(EncodeMessage(m), kMaxMessageBytes).status().code();
  };
  BOOST_TEST((code(RotateMsg{}) == Code::kCorruption));
  BOOST_TEST((code(RotateMsg{Bytes(kMaxRotationBytes + 1, 1)}) == Code::kCorruption));
  BOOST_TEST((code(RotateReplyMsg{}) == Code::kCorruption));
  RotateReplyMsg both = refused;
  both.certificate_file = Bytes(8, 1);
  BOOST_TEST((code(both) == Code::kCorruption));
}

BOOST_AUTO_TEST_SUITE_END()
