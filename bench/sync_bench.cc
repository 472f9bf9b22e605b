// Sync benchmarks (issue 6), over real loopback TCP with the real handshake,
// AEAD frames and Ed25519 verification of every batch, each figure beside a
// baseline from the same run:
//   1. initial sync of ~1M column-changes (143,000 rows x 7) from a full
//      node to an empty one: column-changes/s end to end, beside the same
//      batches merged locally with no network (Replica::Merge alone);
//   2. bytes on the wire per column-change against the raw payload (row ids
//      and values as bytes);
//   3. an already-in-sync session on the 1M store: bytes and frames;
//   4. a session cut half-way (fault proxy), then resumed: batch bytes sent
//      twice, against one chunk (64 KB);
//   5. a 64 kbit/s link: seconds for this day's bytes at 8,000 B/s, against
//      the raw payload's seconds at the same rate (computed from bytes).
// Usage: sync_bench [ROWS]   (default 143000)
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "base/sqlite.h"
#include "bench/bench_util.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "sync/peer_ledger.h"
#include "sync/session.h"
#include "sync/transport.h"
#include "tests/tools/fault_proxy_lib.h"

using namespace outpost;
using namespace outpost::bench;
using schema::Value;

namespace {

constexpr int kBatchRows = 1000;
constexpr int kCols = 7;

schema::Catalogue BenchCatalogue() {
  schema::Table t;
  t.id = 1;
  t.name = "item7";
  schema::ColumnType types[] = {schema::ColumnType::kText,    schema::ColumnType::kText,
                                schema::ColumnType::kInteger, schema::ColumnType::kReal,
                                schema::ColumnType::kText,    schema::ColumnType::kInteger,
                                schema::ColumnType::kText};
  const char* names[] = {"c1", "c2", "c3", "c4", "c5", "c6", "c7"};
  for (int i = 0; i < kCols; ++i) {
    schema::Column c;
    c.id = static_cast<uint16_t>(i + 1);
    c.name = names[i];
    c.type = types[i];
    t.columns.push_back(c);
  }
  return schema::Catalogue(1, {t});
}

// Both nodes trust each other's keys; every batch's signature is verified.
struct Keys {
  std::mutex mu;
  std::map<crypto::PublicKeyBytes, sync::NodeId> kx;
  std::map<sync::NodeId, crypto::PublicKeyBytes> verify;
};

class BenchPolicy final : public sync::PeerPolicy {
 public:
  BenchPolicy(Keys& keys, sync::NodeId self, const crypto::SigningKey& key)
      : keys_(keys), self_(self), key_(key) {}
  const sync::NodeId& SelfId() const override { return self_; }
  Result<sync::NodeId> AuthorizePeer(const sync::KxPublicKey& remote) override {
    std::lock_guard<std::mutex> lock(keys_.mu);
    auto it = keys_.kx.find(remote);
    if (it == keys_.kx.end()) return Status::Unauthenticated("unknown key");
    return it->second;
  }
  bool MayRead(const sync::NodeId&, const std::string&) override { return true; }
  Status VerifyBatch(const sync::ChangeBatch& b, const sync::SignedBatch& sb) override {
    crypto::PublicKeyBytes k;
    {
      std::lock_guard<std::mutex> lock(keys_.mu);
      auto it = keys_.verify.find(b.origin);
      if (it == keys_.verify.end()) return Status::Unavailable("unknown author");
      k = it->second;
    }
    return crypto::VerifyKey(k).Verify(sync::SigningInput(sb.body), sb.signature);
  }
  Bytes Sign(std::span<const uint8_t> input) override {
    auto s = key_.Sign(input);
    return Bytes(s.begin(), s.end());
  }
  Status VerifySignature(const sync::NodeId& signer, std::span<const uint8_t> message,
                         std::span<const uint8_t> signature) override {
    crypto::PublicKeyBytes k;
    {
      std::lock_guard<std::mutex> lock(keys_.mu);
      auto it = keys_.verify.find(signer);
      if (it == keys_.verify.end()) return Status::Unauthenticated("unknown signer");
      k = it->second;
    }
    return crypto::VerifyKey(k).Verify(message, signature);
  }

 private:
  Keys& keys_;
  sync::NodeId self_;
  const crypto::SigningKey& key_;
};

struct Node {
  SystemClock clock;
  SystemRandom random;
  sync::NodeId id{};
  std::unique_ptr<Db> db;
  std::unique_ptr<sync::Replica> replica;
  std::unique_ptr<sync::PeerLedger> ledger;
  crypto::SigningKey signing;
  crypto::KxKeyPair kx;
  BenchPolicy policy;

  Node(Keys& keys, uint8_t tag, const std::string& path, const schema::Catalogue& cat)
      : signing(crypto::SigningKey::Generate(random)),
        kx(crypto::KxKeyPair::Generate(random)),
        policy(keys, MakeId(tag), signing) {
    id = MakeId(tag);
    DbOptions o;
    o.durability = Durability::kNormal;
    auto d = Db::Open(path, o);
    Check(d.ok(), d.status().ToString());
    db = std::move(*d);
    auto r = sync::Replica::Open(*db, cat, id, clock);
    Check(r.ok(), r.status().ToString());
    replica = std::move(*r);
    auto l = sync::PeerLedger::Open(*db);
    Check(l.ok(), l.status().ToString());
    ledger = std::move(*l);
    std::lock_guard<std::mutex> lock(keys.mu);
    keys.kx[kx.PublicKey()] = id;
    keys.verify[id] = signing.PublicKey().bytes();
  }
  static sync::NodeId MakeId(uint8_t tag) {
    sync::NodeId n{};
    n[0] = tag;
    n[15] = 1;
    return n;
  }
  sync::SessionEnv Env() { return {replica.get(), &policy, ledger.get(), &clock, &random}; }
  std::string Digest() {
    auto d = replica->Digest(std::nullopt);
    Check(d.ok(), d.status().ToString());
    return ToHex(*d);
  }
};

// Writes `rows` rows of 7 columns; returns the raw payload bytes (ids and
// values as bytes: 16 per id, text length, 8 per number).
uint64_t Fill(Node& n, const schema::Catalogue& cat, int rows) {
  std::mt19937_64 rng(42);
  auto text = [&](int len) {
    std::string s;
    for (int i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + rng() % 26));
    return s;
  };
  const schema::Table& t = *cat.Find("item7");
  uint64_t raw = 0;
  SeededRandom idr(7);
  FakeClock idc(1'790'000'000'000'000);
  for (int i = 0; i < rows; i += kBatchRows) {
    auto w = n.replica->BeginWrite();
    Check(w.ok(), w.status().ToString());
    for (int k = i; k < std::min(rows, i + kBatchRows); ++k) {
      idc.Advance(100);
      Uuid id = NewUuidV7(idc, idr);
      std::vector<sync::ColumnValue> v = {{1, Value{text(12)}},
                                          {2, Value{text(8)}},
                                          {3, Value{static_cast<int64_t>(rng() % 100000)}},
                                          {4, Value{static_cast<double>(rng() % 1000000) / 100}},
                                          {5, Value{text(20)}},
                                          {6, Value{static_cast<int64_t>(rng() % 1000)}},
                                          {7, Value{text(3)}}};
      raw += 16 + 12 + 8 + 8 + 8 + 20 + 8 + 3;
      Check((*w)->Insert(t, id, "site:BENCH", v).ok(), "insert");
    }
    Check((*w)->Commit().ok(), "commit");
  }
  auto s = n.replica->Seal([&](std::span<const uint8_t> in) { return n.policy.Sign(in); });
  Check(s.ok(), s.status().ToString());
  return raw;
}

struct Served {
  std::unique_ptr<sync::Server> server;
  std::mutex mu;
  std::vector<sync::SessionStats> finished;  // the server side of each finished session
};

std::unique_ptr<Served> Serve(Node& n) {
  auto served = std::make_unique<Served>();
  Served* sp = served.get();
  auto s = sync::Server::Start(
      "127.0.0.1:0",
      [&n, sp](const std::string&) -> Result<sync::HostedSession> {
        OUTPOST_ASSIGN_OR_RETURN(auto session, sync::Session::Create(sync::SessionRole::kResponder,
                                                                     n.Env(), n.kx, std::nullopt));
        sync::HostedSession h;
        h.session = std::move(session);
        h.on_finish = [sp](const Status&, const sync::Session& s) {
          std::lock_guard<std::mutex> lock(sp->mu);
          sp->finished.push_back(s.stats());
        };
        return h;
      },
      sync::TransportLimits{}, nullptr);
  Check(s.ok(), s.status().ToString());
  served->server = std::move(*s);
  return served;
}

Result<sync::SessionStats> SyncOnce(Node& client, const std::string& address) {
  auto session =
      sync::Session::Create(sync::SessionRole::kInitiator, client.Env(), client.kx, std::nullopt);
  Check(session.ok(), session.status().ToString());
  return sync::RunClient(address, **session, sync::TransportLimits{}, nullptr);
}

// The server side of the n-th finished session (0-based), waiting for it.
sync::SessionStats ServedStats(Served& s, size_t n) {
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.finished.size() > n) return s.finished[n];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Check(false, "the server did not finish session " + std::to_string(n));
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  int rows = argc > 1 ? std::atoi(argv[1]) : 143000;
  Check(crypto::InitCrypto().ok(), "libsodium");
  Scratch scratch;
  schema::Catalogue cat = BenchCatalogue();
  Keys keys;
  Node hq(keys, 1, scratch.File("hq.db"), cat);
  std::printf(
      "sync_bench: %d rows x %d columns = %d column-changes, loopback TCP, Noise XX, "
      "AEAD frames, every batch signature verified\n",
      rows, kCols, rows * kCols);
  uint64_t raw = Fill(hq, cat, rows);
  auto served = Serve(hq);
  std::string addr = "127.0.0.1:" + std::to_string(served->server->port());

  // 1 + 2. Initial sync into an empty node.
  Node site(keys, 2, scratch.File("site.db"), cat);
  sync::SessionStats st;
  double secs = Seconds([&] {
    auto r = SyncOnce(site, addr);
    Check(r.ok(), r.status().ToString());
    st = *r;
  });
  Check(site.Digest() == hq.Digest(), "digests differ after the initial sync");
  sync::SessionStats sender = ServedStats(*served, 0);
  double changes = static_cast<double>(rows) * kCols;
  // Baseline: the same batches merged locally, no network, no session.
  Node local(keys, 3, scratch.File("local.db"), cat);
  double merge_secs = 0;
  {
    auto vv = local.replica->GetVersionVector();
    auto out = hq.replica->BatchesFor(
        *vv, [](const std::string&) { return true; }, SIZE_MAX);
    Check(out.ok(), out.status().ToString());
    std::vector<sync::SignedBatch> batches;
    for (auto& b : *out) batches.push_back(std::move(b.batch));
    merge_secs = Seconds([&] {
      auto m = local.replica->Merge(batches,
                                    [&](const sync::ChangeBatch& b, const sync::SignedBatch& s) {
                                      return local.policy.VerifyBatch(b, s);
                                    });
      Check(m.ok(), m.status().ToString());
    });
  }
  uint64_t wire = st.bytes_in + st.bytes_out;
  std::printf(
      "1. initial sync: %.2f s, %.0f column-changes/s end to end (goal >= 200k/s); "
      "local merge of the same batches: %.2f s, %.0f/s; sync/merge time %.2fx\n",
      secs, changes / secs, merge_secs, changes / merge_secs, secs / merge_secs);
  std::printf("2. wire: %" PRIu64 " bytes both ways for %" PRIu64
              " raw payload bytes: %.3fx, %.1f B per column-change (raw %.1f B); "
              "batches %" PRIu64 ", chunks %" PRIu64 ", frames %" PRIu64 "\n",
              wire, raw, static_cast<double>(wire) / static_cast<double>(raw),
              static_cast<double>(wire) / changes, static_cast<double>(raw) / changes,
              st.batches_received, st.chunks_received, st.frames_in + st.frames_out);
  std::printf("   goal <= 1.3x + 48 B per change: %.0f bytes allowed, %s\n",
              1.3 * static_cast<double>(raw) + 48 * changes,
              static_cast<double>(wire) <= 1.3 * static_cast<double>(raw) + 48 * changes
                  ? "met"
                  : "NOT met");

  // 3. Already in sync.
  auto again = SyncOnce(site, addr);
  Check(again.ok(), again.status().ToString());
  std::printf("3. already in sync on a %d-change store: %" PRIu64 " bytes, %" PRIu64
              " frames (handshake included), %" PRIu64
              " batches (goal < 2 KB, one round trip "
              "after the handshake)\n",
              rows * kCols, again->bytes_in + again->bytes_out,
              again->frames_in + again->frames_out, again->batches_received);

  // 4. Cut half-way through a fresh initial sync, then resume.
  Node cut(keys, 4, scratch.File("cut.db"), cat);
  uint64_t cut_at = wire / 2;
  auto proxy = tools::FaultProxy::Start("127.0.0.1:0", addr, [cut_at](uint64_t n) {
    tools::FaultPlan p;
    if (n == 0) p.cut_after = cut_at;
    return p;
  });
  Check(proxy.ok(), proxy.status().ToString());
  std::string via = "127.0.0.1:" + std::to_string((*proxy)->port());
  auto first = SyncOnce(cut, via);
  Check(!first.ok(), "the cut session should have failed");
  sync::SessionStats sent1 = ServedStats(*served, 2);
  auto second = SyncOnce(cut, via);
  Check(second.ok(), second.status().ToString());
  sync::SessionStats sent2 = ServedStats(*served, 3);
  Check(cut.Digest() == hq.Digest(), "digests differ after the resumed sync");
  int64_t resent = static_cast<int64_t>(sent1.batch_bytes_sent + sent2.batch_bytes_sent) -
                   static_cast<int64_t>(sender.batch_bytes_sent);
  std::printf("4. cut after %" PRIu64 " bytes, resumed: batch bytes sent twice %" PRId64
              " (goal <= one chunk, %zu bytes): %s\n",
              cut_at, resent, sync::kMaxMessageBytes,
              resent <= static_cast<int64_t>(sync::kMaxMessageBytes) ? "met" : "NOT met");

  // 5. A 64 kbit/s link (8,000 B/s), computed from the bytes above.
  double rate = 8000;
  std::printf("5. at 64 kbit/s: this sync %.0f s, the raw payload %.0f s (%.2fx)\n",
              static_cast<double>(wire) / rate, static_cast<double>(raw) / rate,
              static_cast<double>(wire) / static_cast<double>(raw));
  return 0;
}
