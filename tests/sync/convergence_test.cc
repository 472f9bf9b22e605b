// Randomised convergence: 2-5 replicas, random insert/update/delete/undelete,
// random delivery with loss, duplication, reordering and partitions, clocks
// that jump, tombstone compaction; then healing. Every replica must hold
// exactly the state a last-writer-wins model of every committed write
// predicts (so no acknowledged write is lost and no deleted row comes back),
// and all digests must be equal.
//
// The model (invariants 6-7, docs/crdt.md): a column write belongs to the
// incarnation (causal length) of its row change and registers are ordered by
// (incarnation, HLC, node id); a live row shows the writes of its final
// incarnation only; a tombstone's values are not compared (they are local
// and compaction drops them).
//
// With compression on, every batch travels as bytes: encoded with zstd for
// the receiver (with the sender's dictionary when the receiver holds that
// version, plain zstd when not; nodes hold mixed dictionary versions) and
// decoded there before the merge, as a session does (docs/protocol.md,
// "Compression").
//
// Trials: $OUTPOST_TRIALS (default 1000). A failure prints its seed; replay
// one trial with OUTPOST_SEED=<seed>.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>

#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {

struct ModelCell {
  uint32_t cl = 0;
  HlcTime hlc = 0;
  NodeId origin{};
  Value value;
};
struct ModelRow {
  uint32_t cl = 1;
  std::map<uint16_t, ModelCell> cells;
};

// Two versions of a dictionary of the test catalogue's shapes.
std::shared_ptr<const ZstdDictionary> TestDictionary(uint32_t id) {
  Bytes content;
  for (int i = 0; i < 40; ++i) {
    std::string s = "OBC\x01site:AA-ONEshared v" + std::to_string(i * id) + " Marko Ana";
    content.insert(content.end(), s.begin(), s.end());
  }
  auto d = ZstdDictionary::Load(id, content);
  BOOST_REQUIRE(d.ok());
  return *d;
}

// What a node holds for compression: the dictionaries and its preferred one.
struct Wire {
  ZstdDictionaries held;
  uint32_t preferred = 0;
  ZstdCodec codec;
};

class Trial {
 public:
  Trial(uint64_t seed, bool compressed) : rng_(seed), compressed_(compressed) {
    int n = 2 + static_cast<int>(rng_() % 4);
    for (int i = 0; i < n; ++i) {
      nodes_.push_back(std::make_unique<TestNode>(static_cast<uint8_t>(i + 1)));
      // Mixed versions: none, version 1, version 2, or both.
      auto& w = wire_[nodes_.back().get()];
      w = std::make_unique<Wire>();
      uint64_t held = rng_() % 4;
      if (held & 1) w->held.Add(dict_v1_);
      if (held & 2) w->held.Add(dict_v2_);
      w->preferred = held & 2 ? 2 : held & 1 ? 1 : 0;
    }
  }

  // Returns an empty string on success, else what diverged.
  std::string Run() {
    int steps = 20 + static_cast<int>(rng_() % 40);
    for (int s = 0; s < steps; ++s) {
      int op = static_cast<int>(rng_() % 100);
      TestNode& n = *nodes_[rng_() % nodes_.size()];
      if (op < 10) {
        // The node's clock jumps back or forward (within the skew bound, so
        // nothing waits; tests/sync/replica_test.cc covers beyond it).
        offsets_[&n] = static_cast<int64_t>(rng_() % 240'000'000) - 120'000'000;
      } else if (op < 30) {
        Insert(n);
      } else if (op < 55) {
        Update(n);
      } else if (op < 62) {
        Delete(n, rng_() % 2 == 0);
      } else if (op < 67) {
        Undelete(n);
      } else if (op < 71) {
        Compact(n);
      } else {
        TestNode& to = *nodes_[rng_() % nodes_.size()];
        if (&to != &n) LossyDeliver(n, to);
      }
      true_time_ += static_cast<int64_t>(rng_() % 2'000'000);
      for (auto& x : nodes_) x->clock.Set(true_time_ + offsets_[x.get()]);
    }
    // Heal: bring every clock to the latest, then full rounds of delivery.
    int64_t latest = 0;
    for (auto& x : nodes_) latest = std::max(latest, x->clock.NowMicros());
    for (auto& x : nodes_) x->clock.Set(latest + 1'000'000);
    for (int round = 0; round < 2; ++round) {
      for (auto& a : nodes_) {
        for (auto& b : nodes_) {
          if (a != b) HealDeliver(*a, *b);
        }
      }
    }
    return Check();
  }

 private:
  uint64_t Rand(uint64_t n) { return rng_() % n; }

  Uuid NewId() {
    Uuid u{};
    uint64_t k = ++next_id_;
    for (int i = 0; i < 8; ++i) u[15 - i] = static_cast<uint8_t>(k >> (8 * i));
    u[0] = 0x42;
    return u;
  }

  Value RandomValue(uint16_t col) {
    switch (col) {
      case 1:
        return Value{std::string("v") + std::to_string(Rand(1000))};
      case 2:
        return Rand(5) == 0 ? Value{} : Value{static_cast<int64_t>(Rand(1000)) - 500};
      case 3:
        return Value{static_cast<double>(Rand(100000)) / 7.0};
      case 4:
        return Value{std::string("owner") + std::to_string(Rand(50))};
      default:
        return Value{};
    }
  }

  // Rows the node has, live or not.
  std::vector<Uuid> Known(TestNode& n, bool want_live) {
    std::vector<Uuid> out;
    for (const auto& [id, row] : model_) {
      bool deleted = false;
      auto r = n.replica->ReadRow(n.table("item"), id, &deleted);
      if (r.ok() && deleted != want_live) out.push_back(id);
    }
    return out;
  }

  void Record(TestNode& n, const Uuid& id, uint16_t col, uint32_t cl, HlcTime hlc, const Value& v) {
    ModelCell& cell = model_[id].cells[col];
    if (std::tie(cl, hlc) > std::tie(cell.cl, cell.hlc) ||
        (cl == cell.cl && hlc == cell.hlc && n.id > cell.origin)) {
      cell = ModelCell{cl, hlc, n.id, v};
    }
  }

  uint32_t LocalCl(TestNode& n, const Uuid& id) {
    return static_cast<uint32_t>(
        *n.db->QueryInt("SELECT _cl FROM item WHERE id = x'" + ToHex(id) + "'"));
  }

  // Compacts with what every other replica holds (a fully informed peer
  // ledger) or, one time in three, as if every peer held everything this
  // node holds: safety must not depend on the acknowledgement being right.
  void Compact(TestNode& n) {
    std::vector<VersionVector> vvs;
    for (auto& x : nodes_) {
      if (x.get() != &n && Rand(3) != 0) continue;
      auto vv = SealedVv(*x);
      BOOST_REQUIRE(vv.ok());
      vvs.push_back(*vv);
    }
    auto done = n.replica->CompactTombstones(CommonVersions(vvs));
    BOOST_REQUIRE_MESSAGE(done.ok(), done.status().ToString());
    compacted_ += static_cast<uint64_t>(*done);
  }

 public:
  uint64_t compacted() const { return compacted_; }
  uint64_t carried() const { return carried_; }
  uint64_t shrunk() const { return shrunk_; }

 private:
  void Insert(TestNode& n) {
    Uuid id = NewId();
    std::vector<ColumnValue> vals;
    for (uint16_t c = 1; c <= 4; ++c) {
      if (Rand(3) != 0) vals.push_back({c, RandomValue(c)});
    }
    auto w = std::move(*n.replica->BeginWrite());
    BOOST_REQUIRE(w->Insert(n.table("item"), id, Rand(2) ? "site:A" : "site:B", vals).ok());
    BOOST_REQUIRE(w->Commit().ok());
    model_[id].cl = 1;
    for (const auto& v : vals) Record(n, id, v.column, 1, w->hlc(), v.value);
  }

  void Update(TestNode& n) {
    auto live = Known(n, true);
    if (live.empty()) return;
    Uuid id = live[Rand(live.size())];
    std::vector<ColumnValue> vals;
    uint16_t c = static_cast<uint16_t>(1 + Rand(4));
    vals.push_back({c, RandomValue(c)});
    if (Rand(2)) {
      uint16_t d = static_cast<uint16_t>(1 + Rand(4));
      if (d != c) vals.push_back({d, RandomValue(d)});
    }
    uint32_t cl = LocalCl(n, id);
    auto w = std::move(*n.replica->BeginWrite());
    BOOST_REQUIRE(w->Update(n.table("item"), id, vals).ok());
    BOOST_REQUIRE(w->Commit().ok());
    for (const auto& v : vals) Record(n, id, v.column, cl, w->hlc(), v.value);
  }

  void Delete(TestNode& n, bool erase) {
    auto live = Known(n, true);
    if (live.empty()) return;
    Uuid id = live[Rand(live.size())];
    bool deleted = false;
    auto before = n.replica->ReadRow(n.table("item"), id, &deleted);
    auto w = std::move(*n.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(n.table("item"), id, erase).ok());
    BOOST_REQUIRE(w->Commit().ok());
    // Local causal length went up by one from what this node had.
    uint32_t cl = LocalCl(n, id);
    model_[id].cl = std::max(model_[id].cl, cl);
    if (erase) Record(n, id, 4, cl, w->hlc(), Value{});
  }

  void Undelete(TestNode& n) {
    auto dead = Known(n, false);
    if (dead.empty()) return;
    Uuid id = dead[Rand(dead.size())];
    // The undelete rewrites every column with what this node holds hidden.
    auto hidden = n.replica->ReadRow(n.table("item"), id, nullptr);
    BOOST_REQUIRE(hidden.ok());
    auto w = std::move(*n.replica->BeginWrite());
    BOOST_REQUIRE(w->Undelete(n.table("item"), id).ok());
    BOOST_REQUIRE(w->Commit().ok());
    uint32_t cl = LocalCl(n, id);
    model_[id].cl = std::max(model_[id].cl, cl);
    for (uint16_t c = 1; c <= 4; ++c) Record(n, id, c, cl, w->hlc(), (*hidden)[c - 1]);
  }

  // Delivery over a bad link: loses, duplicates and reorders batches.
  // Asking `to` for its version vector seals its pending writes; half the
  // time the sender uses the vector it heard last instead (stale: it sends
  // more, as duplicates), so merges also land on rows `to` wrote and has not
  // sealed yet (docs/crdt.md, "The change log").
  void LossyDeliver(TestNode& from, TestNode& to) {
    VersionVector& heard = heard_[&to];
    if (Rand(2) == 0) {
      auto vv = SealedVv(to);
      BOOST_REQUIRE(vv.ok());
      heard = *vv;
    }
    auto out = SealedBatchesFor(
        from, heard, [](const std::string&) { return true; }, SIZE_MAX);
    BOOST_REQUIRE(out.ok());
    std::vector<SignedBatch> sent;
    for (auto& b : *out) {
      if (Rand(4) == 0) continue;  // lost
      sent.push_back(Carry(from, to, b.batch));
      if (Rand(5) == 0) sent.push_back(sent.back());  // duplicated
    }
    std::shuffle(sent.begin(), sent.end(), rng_);  // reordered
    // Split into several merges, as chunks of a session would be.
    size_t i = 0;
    while (i < sent.size()) {
      size_t k = 1 + Rand(3);
      std::vector<SignedBatch> chunk(
          sent.begin() + static_cast<long>(i),
          sent.begin() + static_cast<long>(std::min(sent.size(), i + k)));
      auto rep = to.replica->Merge(chunk, AcceptAll);
      BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
      for (const auto& s : rep->refused) {
        // Within the skew bound nothing may be refused.
        BOOST_REQUIRE_MESSAGE(false, "refused: " + s.ToString());
      }
      i += k;
    }
  }

  // A batch as it reaches `to`: unchanged, or with compression on encoded
  // for `to` (the session's choice: the sender's dictionary if `to` holds
  // it, else plain zstd) and decoded with `to`'s dictionaries.
  SignedBatch Carry(TestNode& from, TestNode& to, const SignedBatch& b) {
    if (!compressed_) return b;
    Wire& src = *wire_[&from];
    Wire& dst = *wire_[&to];
    BatchCompression how{Compression::kZstd, 0};
    if (src.preferred != 0 && dst.held.Find(src.preferred)) {
      how = {Compression::kZstdDictionary, src.preferred};
    }
    auto bytes = EncodeSignedBatch(b, src.codec, how, &src.held);
    BOOST_REQUIRE_MESSAGE(bytes.ok(), bytes.status().ToString());
    ++carried_;
    if (bytes->size() < EncodeSignedBatch(b).size()) ++shrunk_;
    auto back = DecodeSignedBatch(*bytes, dst.codec, &dst.held, kMaxBatchBodyBytes);
    BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    BOOST_REQUIRE(back->body == b.body);
    return *back;
  }

  // Test_node's Deliver, each batch carried as above.
  void HealDeliver(TestNode& from, TestNode& to) {
    auto vv = SealedVv(to);
    BOOST_REQUIRE(vv.ok());
    auto out = SealedBatchesFor(
        from, *vv, [](const std::string&) { return true; }, SIZE_MAX);
    BOOST_REQUIRE(out.ok());
    std::vector<SignedBatch> batches;
    for (auto& b : *out) batches.push_back(Carry(from, to, b.batch));
    auto rep = to.replica->Merge(batches, AcceptAll);
    BOOST_REQUIRE_MESSAGE(rep.ok(), rep.status().ToString());
  }

  std::string Check() {
    std::string d0 = DigestHex(*nodes_[0]);
    for (size_t i = 0; i < nodes_.size(); ++i) {
      TestNode& n = *nodes_[i];
      if (DigestHex(n) != d0) return "digest of replica " + std::to_string(i) + " differs";
      for (const auto& [id, m] : model_) {
        bool deleted = false;
        auto row = n.replica->ReadRow(n.table("item"), id, &deleted);
        if (!row.ok()) return "replica " + std::to_string(i) + " lost row " + UuidToString(id);
        if (deleted != (m.cl % 2 == 0))
          return "replica " + std::to_string(i) + " row " + UuidToString(id) + " deleted flag";
        if (deleted) continue;  // hidden values are local
        for (uint16_t col = 1; col <= 4; ++col) {
          auto it = m.cells.find(col);
          Value want = it != m.cells.end() && it->second.cl == m.cl ? it->second.value : Value{};
          if ((*row)[col - 1] != want) {
            return "replica " + std::to_string(i) + " row " + UuidToString(id) + " column " +
                   std::to_string(col) + " lost an acknowledged write";
          }
        }
      }
    }
    return "";
  }

  std::mt19937_64 rng_;
  bool compressed_;
  std::shared_ptr<const ZstdDictionary> dict_v1_ = TestDictionary(1);
  std::shared_ptr<const ZstdDictionary> dict_v2_ = TestDictionary(2);
  std::map<TestNode*, std::unique_ptr<Wire>> wire_;
  std::vector<std::unique_ptr<TestNode>> nodes_;
  std::map<Uuid, ModelRow> model_;
  std::map<TestNode*, int64_t> offsets_;
  std::map<TestNode*, VersionVector> heard_;  // each node's vector as last asked
  int64_t true_time_ = kStartMicros;
  uint64_t next_id_ = 0;
  uint64_t compacted_ = 0;
  uint64_t carried_ = 0, shrunk_ = 0;  // batches carried as bytes; made smaller
};

}  // namespace

namespace {

// Runs $OUTPOST_TRIALS trials (or the one of $OUTPOST_SEED); returns the
// number of batches carried compressed and how many compression shrank.
std::pair<uint64_t, uint64_t> RunTrials(bool compressed) {
  const char* trials_env = std::getenv("OUTPOST_TRIALS");
  const char* seed_env = std::getenv("OUTPOST_SEED");
  uint64_t trials = trials_env ? std::strtoull(trials_env, nullptr, 10) : 1000;
  uint64_t base = seed_env ? std::strtoull(seed_env, nullptr, 10) : 20261128;
  if (seed_env) trials = 1;
  uint64_t diverged = 0, compacted = 0, carried = 0, shrunk = 0;
  for (uint64_t t = 0; t < trials; ++t) {
    uint64_t seed = base + t;
    Trial trial(seed, compressed);
    std::string why = trial.Run();
    compacted += trial.compacted();
    carried += trial.carried();
    shrunk += trial.shrunk();
    if (!why.empty()) {
      ++diverged;
      BOOST_ERROR("seed " << seed << ": " << why << " (replay: OUTPOST_SEED=" << seed << ")");
      if (diverged > 3) break;
    }
  }
  BOOST_TEST_MESSAGE("convergence" << (compressed ? " (compressed)" : "") << ": " << trials
                                   << " trials, " << diverged << " divergences, " << compacted
                                   << " tombstones compacted, " << carried
                                   << " batches carried as bytes, " << shrunk << " shrunk");
  BOOST_TEST(diverged == 0u);
  return {carried, shrunk};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(convergence)

BOOST_AUTO_TEST_CASE(random_replicas_converge_and_lose_nothing) { RunTrials(false); }

BOOST_AUTO_TEST_CASE(random_replicas_converge_with_compressed_batches_and_mixed_dictionaries) {
  auto [carried, shrunk] = RunTrials(true);
  // The run must really carry compressed batches, not plain ones only.
  BOOST_TEST(carried > 0u);
  BOOST_TEST(shrunk > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
