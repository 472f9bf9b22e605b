// The merge laws on random states (rapidcheck), invariants 1-2, docs/crdt.md:
//   commutative   A <- B  and  B <- A  have equal digests;
//   associative   (A <- B) <- C  and  A <- (B <- C)  have equal digests;
//   idempotent    merging the same batches twice changes nothing: digest,
//                 every row's bytes (hidden columns included), the log and
//                 the version vector are equal;
//   compaction    CompactTombstones never changes the digest, before or
//                 after further merges.
// A state is a replica that merged a random subset of the batches written by
// three random writers (concurrent inserts, updates, deletes and undeletes,
// partial exchanges, clocks that jump), in random order with duplicates and
// gaps, and compacted its tombstones at random points. "Merging A into B"
// hands B every batch A holds (applied or waiting for a gap).
//
// Each property runs 100 cases (RC_PARAMS="max_success=N" for more). A
// failure prints the generated seed and a RC_PARAMS="reproduce=..." line.
#include <rapidcheck/boost_test.h>

#include <algorithm>
#include <random>

#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {

// Three writers with a random, interleaved history; their batches are the
// pool states are drawn from.
class World {
 public:
  explicit World(uint64_t seed) : rng_(seed) {
    for (uint8_t i = 1; i <= 3; ++i) writers_.push_back(std::make_unique<TestNode>(i));
    int steps = 15 + static_cast<int>(Rand(30));
    for (int s = 0; s < steps; ++s) Step();
    for (auto& w : writers_) {
      auto all = SealedBatchesFor(
          *w, VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
      RC_ASSERT(all.ok());
      for (auto& b : *all) {
        if (b.origin == w->id) pool_.push_back(b.batch);
      }
    }
  }

  // A random recipe: which pool batches, in which order, with duplicates,
  // and where to compact.
  struct Recipe {
    std::vector<size_t> picks;  // index into the pool, or SIZE_MAX: compact
  };
  Recipe RandomRecipe() {
    Recipe r;
    for (size_t i = 0; i < pool_.size(); ++i) {
      if (Rand(3) != 0) r.picks.push_back(i);
      if (Rand(8) == 0) r.picks.push_back(i);  // duplicate
    }
    std::shuffle(r.picks.begin(), r.picks.end(), rng_);
    size_t compactions = Rand(3);
    for (size_t k = 0; k < compactions; ++k)
      r.picks.insert(r.picks.begin() + static_cast<long>(Rand(r.picks.size() + 1)), SIZE_MAX);
    return r;
  }

  std::unique_ptr<TestNode> Build(const Recipe& r) {
    auto n = std::make_unique<TestNode>(static_cast<uint8_t>(100 + ++built_));
    for (size_t p : r.picks) {
      if (p == SIZE_MAX) {
        auto vv = SealedVv(*n);
        RC_ASSERT(vv.ok());
        RC_ASSERT(n->replica->CompactTombstones(*vv).ok());
      } else {
        MergeAll(*n, {pool_[p]});
      }
    }
    return n;
  }

  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

 private:
  Uuid NewId() {
    Uuid u{};
    u[0] = 0x4c;
    u[15] = static_cast<uint8_t>(++next_id_);
    return u;
  }

  std::vector<Uuid> Rows(TestNode& n, bool live) {
    std::vector<Uuid> out;
    for (const Uuid& id : ids_) {
      bool deleted = false;
      auto r = n.replica->ReadRow(n.table("item"), id, &deleted);
      if (r.ok() && deleted != live) out.push_back(id);
    }
    return out;
  }

  void Step() {
    TestNode& n = *writers_[Rand(writers_.size())];
    n.clock.Advance(static_cast<int64_t>(Rand(3'000'000)));
    auto w = std::move(*n.replica->BeginWrite());
    const auto& t = n.table("item");
    int op = static_cast<int>(Rand(10));
    if (op < 3) {
      Uuid id = NewId();
      ids_.push_back(id);
      std::vector<ColumnValue> vals{{1, Value{std::string("v") + std::to_string(Rand(9))}},
                                    {2, Value{static_cast<int64_t>(Rand(9))}}};
      RC_ASSERT(w->Insert(t, id, Rand(2) ? "site:A" : "site:B", vals).ok());
    } else if (op < 6) {
      auto live = Rows(n, true);
      if (live.empty()) return;
      uint16_t col = static_cast<uint16_t>(1 + Rand(4));
      Value v = col == 2   ? Value{static_cast<int64_t>(Rand(9))}
                : col == 3 ? Value{static_cast<double>(Rand(9)) / 3}
                           : Value{std::string("u") + std::to_string(Rand(9))};
      std::vector<ColumnValue> vals{{col, v}};
      RC_ASSERT(w->Update(t, live[Rand(live.size())], vals).ok());
    } else if (op < 7) {
      auto live = Rows(n, true);
      if (live.empty()) return;
      RC_ASSERT(w->Delete(t, live[Rand(live.size())], Rand(2) == 0).ok());
    } else if (op < 8) {
      auto dead = Rows(n, false);
      if (dead.empty()) return;
      RC_ASSERT(w->Undelete(t, dead[Rand(dead.size())]).ok());
    } else {
      w.reset();
      TestNode& to = *writers_[Rand(writers_.size())];
      if (&to == &n) return;
      auto vv = SealedVv(to);
      auto out = SealedBatchesFor(
          n, *vv, [](const std::string&) { return true; }, SIZE_MAX);
      std::vector<SignedBatch> v;
      for (auto& b : *out) {
        if (Rand(4) != 0) v.push_back(b.batch);  // partial: gaps wait
      }
      MergeAll(to, v);
      return;
    }
    RC_ASSERT(w->Commit().ok());
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<TestNode>> writers_;
  std::vector<Uuid> ids_;
  std::vector<SignedBatch> pool_;
  uint64_t next_id_ = 0;
  int built_ = 0;

 public:
  static void MergeAll(TestNode& to, const std::vector<SignedBatch>& batches) {
    auto rep = to.replica->Merge(batches, AcceptAll);
    RC_ASSERT(rep.ok());
    RC_ASSERT(rep->refused.empty());
  }
};

// Every batch `from` holds, applied or waiting for a gap.
std::vector<SignedBatch> Held(TestNode& from) {
  std::vector<SignedBatch> out;
  auto st = from.db->Prepare("SELECT body, sig FROM crdt_batch ORDER BY origin, scope, seq");
  RC_ASSERT(st.ok());
  for (;;) {
    auto row = (*st)->Step();
    RC_ASSERT(row.ok());
    if (!*row) break;
    auto b = (*st)->Blob(0);
    auto s = (*st)->Blob(1);
    out.push_back(SignedBatch{Bytes(b.begin(), b.end()), Bytes(s.begin(), s.end())});
  }
  return out;
}

void MergeInto(TestNode& to, TestNode& from) { World::MergeAll(to, Held(from)); }

std::string Digest(TestNode& n) {
  auto d = n.replica->Digest(std::nullopt);
  RC_ASSERT(d.ok());
  return ToHex(*d);
}

// Every byte of the replicated tables (hidden columns included), the log,
// the version vector and the tombstone records.
std::string Snapshot(TestNode& n) {
  std::string out;
  for (const char* t :
       {"item", "log", "newer", "crdt_vv", "crdt_batch", "crdt_tomb", "crdt_meta", "crdt_extra"}) {
    // Keys: crdt_batch (origin, scope, seq), crdt_extra (tbl, id, col);
    // every other table here is keyed within its first two columns.
    std::string name = t;
    std::string order =
        name == "crdt_batch" || name == "crdt_extra" ? " ORDER BY 1, 2, 3" : " ORDER BY 1, 2";
    auto st = n.db->Prepare("SELECT * FROM " + name + order);
    RC_ASSERT(st.ok());
    out += t;
    for (;;) {
      auto row = (*st)->Step();
      RC_ASSERT(row.ok());
      if (!*row) break;
      for (int i = 0; i < (*st)->ColumnCount(); ++i) {
        out += '|';
        if ((*st)->IsNull(i)) continue;
        auto b = (*st)->Blob(i);
        out += ToHex(b);
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(merge_laws)

RC_BOOST_PROP(merge_is_commutative, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  World w(seed);
  auto ra = w.RandomRecipe(), rb = w.RandomRecipe();
  auto a = w.Build(ra), b = w.Build(rb);
  auto a2 = w.Build(ra), b2 = w.Build(rb);
  MergeInto(*a, *b);    // A <- B
  MergeInto(*b2, *a2);  // B <- A
  RC_ASSERT(Digest(*a) == Digest(*b2));
}

RC_BOOST_PROP(merge_is_associative, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  World w(seed);
  auto ra = w.RandomRecipe(), rb = w.RandomRecipe(), rc_ = w.RandomRecipe();
  auto a = w.Build(ra), b = w.Build(rb), c = w.Build(rc_);
  MergeInto(*a, *b);  // (A <- B) <- C
  MergeInto(*a, *c);
  auto a2 = w.Build(ra), b2 = w.Build(rb), c2 = w.Build(rc_);
  MergeInto(*b2, *c2);  // A <- (B <- C)
  MergeInto(*a2, *b2);
  RC_ASSERT(Digest(*a) == Digest(*a2));
}

RC_BOOST_PROP(merge_is_idempotent, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  World w(seed);
  auto a = w.Build(w.RandomRecipe()), b = w.Build(w.RandomRecipe());
  // A <- A changes nothing.
  std::string self_before = Snapshot(*a);
  MergeInto(*a, *a);
  RC_ASSERT(Snapshot(*a) == self_before);
  // A <- B twice: the second changes nothing.
  MergeInto(*a, *b);
  std::string digest = Digest(*a), bytes = Snapshot(*a);
  MergeInto(*a, *b);
  RC_ASSERT(Digest(*a) == digest);
  RC_ASSERT(Snapshot(*a) == bytes);
}

RC_BOOST_PROP(compaction_never_changes_the_digest, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  World w(seed);
  auto ra = w.RandomRecipe(), rb = w.RandomRecipe();
  auto a = w.Build(ra), a2 = w.Build(ra), b = w.Build(rb);
  std::string before = Digest(*a);
  auto vv = SealedVv(*a);
  RC_ASSERT(vv.ok());
  RC_ASSERT(a->replica->CompactTombstones(*vv).ok());
  RC_ASSERT(Digest(*a) == before);
  // And a compacted state merges like an uncompacted one.
  MergeInto(*a, *b);
  MergeInto(*a2, *b);
  RC_ASSERT(Digest(*a) == Digest(*a2));
}

BOOST_AUTO_TEST_SUITE_END()
