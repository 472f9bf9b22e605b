#include <boost/test/unit_test.hpp>

#include "schema/catalogue.h"
#include "sync/column_versions.h"
#include "tests/sync/test_node.h"

using namespace outpost;
using namespace outpost::sync;
using namespace outpost::testing;
using schema::Value;

namespace {
// Everything `from` holds, merged into `to` without asking `to` for its
// version vector (which would seal `to`'s pending writes first).
void DeliverUnasked(TestNode& from, TestNode& to) {
  auto out = SealedBatchesFor(
      from, VersionVector{}, [](auto&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<SignedBatch> batches;
  for (auto& b : *out) batches.push_back(b.batch);
  auto r = to.replica->Merge(batches, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.empty());
}

std::string ColA(TestNode& n, const Uuid& id, bool* deleted = nullptr) {
  auto row = n.replica->ReadRow(n.table("item"), id, deleted);
  BOOST_REQUIRE(row.ok());
  const auto* s = std::get_if<std::string>(&(*row)[0]);
  return s ? *s : "<null>";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(replica)

BOOST_AUTO_TEST_CASE(local_write_is_logged_in_the_same_transaction) {
  TestNode a(1);
  InsertItem(a, ItemId(1), "x", 1);
  auto vv = SealedVv(a);
  BOOST_REQUIRE(vv.ok());
  BOOST_TEST(vv->Get(a.id, "site:AA-ONE") == 1u);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 1);
  // A write rolled back leaves neither row nor batch.
  {
    auto w = std::move(*a.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("y")}}};
    BOOST_REQUIRE(w->Insert(a.table("item"), ItemId(2), "site:AA-ONE", vals).ok());
  }
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM item") == 1);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 1);
}

// The log grows only in Seal (docs/crdt.md, "The change log"): reading the
// version vector or the batches a peer lacks writes nothing, and every
// batch Seal stores carries its signature.
BOOST_AUTO_TEST_CASE(reads_never_seal_and_every_sealed_batch_is_signed) {
  TestNode a(1);
  InsertItem(a, ItemId(1), "x", 1);
  InsertItem(a, ItemId(2), "y", 2);
  UpdateItem(a, ItemId(1), 1, Value{std::string("x2")});  // ItemId(1) travels at this stamp
  BOOST_TEST(a.replica->GetVersionVector()->Get(a.id, "site:AA-ONE") == 0u);
  BOOST_TEST(a.replica
                 ->BatchesFor(
                     VersionVector{}, [](auto&) { return true; }, SIZE_MAX)
                 ->empty());
  // What a seal would leave, planned without writing.
  BOOST_TEST(a.replica->VersionVectorIfSealed()->Get(a.id, "site:AA-ONE") == 2u);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 3);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  BOOST_TEST(*Seal(a) == 2u);
  BOOST_TEST(a.replica->GetVersionVector()->Get(a.id, "site:AA-ONE") == 2u);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch WHERE length(sig) = 64") == 2);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 0);
}

BOOST_AUTO_TEST_CASE(a_signer_that_fails_seals_nothing) {
  TestNode a(1);
  InsertItem(a, ItemId(1), "x", 1);
  auto sealed = a.replica->Seal([](std::span<const uint8_t>) { return Bytes(3, 0); });
  BOOST_TEST(sealed.status().code() == Code::kInternal, sealed.status().ToString());
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 1);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  BOOST_TEST(*Seal(a) == 1u);
}

// A store an older binary sealed without signing: the next seal signs it.
BOOST_AUTO_TEST_CASE(a_batch_stored_unsigned_is_signed_by_the_next_seal) {
  TestNode a(1);
  InsertItem(a, ItemId(1), "x", 1);
  BOOST_REQUIRE(*Seal(a) == 1u);
  BOOST_REQUIRE(a.db->Exec("UPDATE crdt_batch SET sig = x''").ok());
  BOOST_TEST(*Seal(a) == 0u);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch WHERE length(sig) = 64") == 1);
}

BOOST_AUTO_TEST_CASE(merge_copies_rows_and_is_idempotent) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  BOOST_REQUIRE(Seal(a).ok());
  UpdateItem(a, ItemId(1), 1, Value{std::string("x2")});
  MergeReport r1 = Deliver(a, b);
  BOOST_TEST(r1.applied == 2u);
  BOOST_TEST(ColA(b, ItemId(1)) == "x2");
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  std::string before = DigestHex(b);
  // The same batches again change nothing.
  auto all = SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX);
  std::vector<SignedBatch> again;
  for (auto& o : *all) again.push_back(o.batch);
  auto r2 = b.replica->Merge(again, AcceptAll);
  BOOST_REQUIRE(r2.ok());
  BOOST_TEST(r2->applied == 0u);
  BOOST_TEST(r2->duplicates == 2u);
  BOOST_TEST(DigestHex(b) == before);
}

// The sealed log (docs/crdt.md, "The change log"): a row written several
// times before it is sealed travels once, with its latest values, each
// column with the stamp it was written at.
BOOST_AUTO_TEST_CASE(unsealed_writes_to_a_row_travel_once_with_the_latest_value) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  a.clock.Advance(1'000);
  UpdateItem(a, ItemId(1), 1, Value{std::string("x2")});
  a.clock.Advance(1'000);
  UpdateItem(a, ItemId(1), 1, Value{std::string("x3")});
  InsertItem(a, ItemId(2), "y", 2);
  auto out = SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  // Two stamps pending (ItemId(1)'s last write and ItemId(2)'s insert are two
  // transactions): two batches, each row once.
  BOOST_REQUIRE(out->size() == 2u);
  auto first = DecodeBatchBody((*out)[0].batch.body);
  BOOST_REQUIRE(first.ok());
  BOOST_REQUIRE(first->rows.size() == 1u);
  const RowChange& row = first->rows[0];
  BOOST_TEST(row.id == ItemId(1));
  BOOST_REQUIRE(row.columns.size() == 3u);  // a, b, owner
  BOOST_TEST(row.columns[0].column == 1);
  BOOST_TEST(std::get<std::string>(row.columns[0].value) == "x3");
  BOOST_TEST(row.columns[0].hlc == first->hlc);
  BOOST_TEST(row.columns[1].hlc < first->hlc);  // b kept the insert's stamp
  BOOST_TEST((*out)[1].seq == 2u);
  MergeReport r = Deliver(a, b);
  BOOST_TEST(r.applied == 2u);
  BOOST_TEST(ColA(b, ItemId(1)) == "x3");
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  // Nothing pending: sealing again makes nothing.
  BOOST_TEST(*Seal(a) == 0u);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 0);
}

// A column another node overwrote before this node sealed its own write is
// left to that node's batch; the result is the same whatever arrives first.
BOOST_AUTO_TEST_CASE(a_column_a_peer_overwrote_before_sealing_is_left_to_the_peer) {
  TestNode a(1), b(2), c(3), d(4);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  a.clock.Advance(1'000);
  UpdateItem(a, ItemId(1), 1, Value{std::string("from-a")});  // pending on a
  b.clock.Advance(2'000);
  {
    auto w = std::move(*b.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("from-b")}}, {2, Value{int64_t{7}}}};
    BOOST_REQUIRE(w->Update(b.table("item"), ItemId(1), vals).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  DeliverUnasked(b, a);  // b's later stamp wins a's unsealed column
  BOOST_TEST(ColA(a, ItemId(1)) == "from-b");
  auto out = SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<SignedBatch> own;
  for (auto& o : *out) {
    if (o.origin == a.id) own.push_back(o.batch);
  }
  BOOST_REQUIRE(own.size() == 2u);
  auto second = DecodeBatchBody(own[1].body);
  BOOST_REQUIRE(second.ok());
  BOOST_REQUIRE(second->rows.size() == 1u);
  BOOST_TEST(second->rows[0].columns.empty());
  Deliver(a, c);
  Deliver(b, c);
  Deliver(b, d);
  Deliver(a, d);
  Deliver(a, b);
  BOOST_TEST(ColA(c, ItemId(1)) == "from-b");
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  BOOST_TEST(DigestHex(a) == DigestHex(c));
  BOOST_TEST(DigestHex(a) == DigestHex(d));
}

// A row another node deleted (a newer incarnation) before this node sealed
// its update: the update lost everywhere, so sealing sends nothing for it.
BOOST_AUTO_TEST_CASE(a_row_a_peer_replaced_before_sealing_is_left_out) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  UpdateItem(a, ItemId(1), 1, Value{std::string("lost")});  // pending on a
  {
    auto w = std::move(*b.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(b.table("item"), ItemId(1), /*erase_nominal=*/false).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  DeliverUnasked(b, a);
  BOOST_TEST(*Seal(a) == 0u);
  BOOST_TEST(SealedVv(a)->Get(a.id, "site:AA-ONE") == 1u);
  Deliver(a, b);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  BOOST_TEST(*b.replica->CountLive(b.table("item")) == 0);
}

// A delete sealed later is still the batch that made the tombstone, so
// compaction waits for that batch to be acknowledged, and not longer.
BOOST_AUTO_TEST_CASE(a_sealed_delete_is_compacted_once_its_batch_is_acknowledged) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  {
    auto w = std::move(*a.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(a.table("item"), ItemId(1), /*erase_nominal=*/false).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  std::vector<VersionVector> acked{*SealedVv(b)};
  BOOST_TEST(*a.replica->CompactTombstones(CommonVersions(acked)) == 0);
  Deliver(a, b);
  acked = {*SealedVv(b)};
  BOOST_TEST(acked[0].Get(a.id, "site:AA-ONE") == 2u);
  BOOST_TEST(*a.replica->CompactTombstones(CommonVersions(acked)) == 1);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

// Invariant 9, docs/crdt.md: a column stamped after its batch would slip past the
// skew check and the receiver's clock.
BOOST_AUTO_TEST_CASE(a_column_stamped_after_its_batch_is_refused) {
  TestNode a(1), b(2);
  ChangeBatch batch;
  batch.origin = a.id;
  batch.scope = "site:AA-ONE";
  batch.seq = 1;
  batch.schema_version = 2;
  batch.hlc = a.replica->hlc().Now();
  RowChange row;
  row.table = 1;
  row.id = ItemId(1);
  row.columns.push_back({1, batch.hlc + (HlcTime{1} << 40), Value{std::string("forever")}});
  batch.rows.push_back(row);
  std::vector<SignedBatch> in{{EncodeBatchBody(batch), {}}};
  auto r = b.replica->Merge(in, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kInvalidArgument);
  BOOST_TEST(r->refused[0].message().find("after the batch's stamp") != std::string::npos,
             r->refused[0].ToString());
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM item") == 0);
}

// Equal stamps are settled by node id (invariant 6, docs/crdt.md). When the
// stored winner's node cannot be read back (a damaged crdt_node entry), the
// batch is refused with kCorruption, not merged against an all-zero id.
BOOST_AUTO_TEST_CASE(an_unreadable_node_id_refuses_a_tie_instead_of_guessing) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  UpdateItem(b, ItemId(1), 2, Value{int64_t{5}});
  Deliver(b, a);  // a knows b now
  b.clock.Advance(1'000);
  UpdateItem(b, ItemId(1), 1, Value{std::string("from-b")});
  auto stored = b.db->Prepare("SELECT _v FROM item WHERE id = ?");
  BOOST_REQUIRE(stored.ok());
  (*stored)->BindBlob(1, ItemId(1));
  BOOST_REQUIRE(*(*stored)->Step());
  ColumnVersions at_b;
  BOOST_REQUIRE(ColumnVersions::Decode((*stored)->Blob(0), &at_b));
  const HlcTime tie = at_b.Find(1)->hlc;
  // On a, column a is held at b's stamp by node 7, whose entry is damaged.
  ColumnVersions v;
  v.Set(1, tie, 7);
  auto up = a.db->Prepare("UPDATE item SET _v = ? WHERE id = ?");
  BOOST_REQUIRE(up.ok());
  (*up)->BindBlob(1, v.Encode()).BindBlob(2, ItemId(1));
  BOOST_REQUIRE((*up)->Run().ok());
  BOOST_REQUIRE(a.db->Exec("INSERT INTO crdt_node(idx, node_id) VALUES(7, x'0102')").ok());
  MergeReport r = Deliver(b, a);
  BOOST_TEST(r.applied == 0u);
  BOOST_REQUIRE(r.refused.size() == 1u);
  BOOST_TEST(r.refused[0].code() == Code::kCorruption, r.refused[0].ToString());
  BOOST_TEST(r.refused[0].message().find("crdt_node") != std::string::npos,
             r.refused[0].ToString());
  BOOST_TEST(ColA(a, ItemId(1)) == "x");
}

// Threat model R10: a record erased before the next sync never puts its
// personal data in the log (batches are built from the rows when sealed).
BOOST_AUTO_TEST_CASE(a_record_erased_before_sealing_never_enters_the_log) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);  // owner "Marko" (a nominal column)
  {
    auto w = std::move(*a.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(a.table("item"), ItemId(1), /*erase_nominal=*/true).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  BOOST_TEST(*Seal(a) == 1u);
  auto st = a.db->Prepare("SELECT body FROM crdt_batch");
  BOOST_REQUIRE(st.ok());
  int bodies = 0;
  while (*(*st)->Step()) {
    auto body = (*st)->Blob(0);
    std::string bytes(body.begin(), body.end());
    BOOST_TEST(bytes.find("Marko") == std::string::npos);
    ++bodies;
  }
  BOOST_TEST(bodies == 1);
  Deliver(a, b);
  BOOST_TEST(*b.replica->CountLive(b.table("item")) == 0);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

// A column of this node's stamped after the last write that named its row
// cannot happen (every write names its rows); if a damaged store says so,
// sealing refuses rather than make a batch every receiver would refuse.
BOOST_AUTO_TEST_CASE(sealing_refuses_a_column_stamped_after_its_named_write) {
  TestNode a(1);
  InsertItem(a, ItemId(1), "x", 1);
  const HlcTime named = static_cast<HlcTime>(*a.db->QueryInt("SELECT hlc FROM crdt_pending"));
  const auto self = static_cast<uint32_t>(
      *a.db->QueryInt("SELECT idx FROM crdt_node WHERE node_id = x'" + ToHex(a.id) + "'"));
  ColumnVersions v;
  v.Set(1, named + 1000, self);
  auto st = a.db->Prepare("UPDATE item SET _v = ?");
  BOOST_REQUIRE(st.ok());
  (*st)->BindBlob(1, v.Encode());
  BOOST_REQUIRE((*st)->Run().ok());
  auto sealed = Seal(a);
  BOOST_REQUIRE(!sealed.ok());
  BOOST_TEST(sealed.status().code() == Code::kInternal);
  BOOST_TEST(sealed.status().message().find("after the last write named") != std::string::npos,
             sealed.status().ToString());
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 1);
}

BOOST_AUTO_TEST_CASE(concurrent_updates_converge_to_the_later_stamp) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  a.clock.Advance(1000);
  b.clock.Advance(2000);  // b writes later
  UpdateItem(a, ItemId(1), 1, Value{std::string("from-a")});
  UpdateItem(b, ItemId(1), 1, Value{std::string("from-b")});
  UpdateItem(a, ItemId(1), 2, Value{int64_t{42}});  // a different column: both survive
  Deliver(a, b);
  Deliver(b, a);
  BOOST_TEST(ColA(a, ItemId(1)) == "from-b");
  BOOST_TEST(ColA(b, ItemId(1)) == "from-b");
  auto row = b.replica->ReadRow(b.table("item"), ItemId(1), nullptr);
  BOOST_TEST(std::get<int64_t>((*row)[1]) == 42);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(equal_stamps_are_broken_by_node_id) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  // Same wall clock on both, same logical position: a tie on HLC.
  a.clock.Set(kStartMicros + 5000);
  b.clock.Set(kStartMicros + 5000);
  a.replica->hlc().Restore(0);
  UpdateItem(a, ItemId(1), 1, Value{std::string("from-a")});
  UpdateItem(b, ItemId(1), 1, Value{std::string("from-b")});
  Deliver(a, b);
  Deliver(b, a);
  BOOST_TEST(ColA(a, ItemId(1)) == ColA(b, ItemId(1)));
  // Not just the same: the higher node id's value (b's id starts with 2).
  BOOST_REQUIRE(b.id > a.id);
  BOOST_TEST(ColA(a, ItemId(1)) == "from-b");
}

BOOST_AUTO_TEST_CASE(delete_and_undelete_by_causal_length) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  {
    auto w = std::move(*a.replica->BeginWrite());
    BOOST_REQUIRE(w->Delete(a.table("item"), ItemId(1), /*erase_nominal=*/true).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  // b updates concurrently; the delete still wins (causal length 2 > 1).
  b.clock.Advance(10'000);
  UpdateItem(b, ItemId(1), 1, Value{std::string("late")});
  Deliver(a, b);
  Deliver(b, a);
  bool deleted = false;
  ColA(b, ItemId(1), &deleted);
  BOOST_TEST(deleted);
  BOOST_TEST(*b.replica->CountLive(b.table("item")) == 0);
  // The nominal column was erased everywhere.
  auto row = b.replica->ReadRow(b.table("item"), ItemId(1), nullptr);
  BOOST_TEST(schema::IsNull((*row)[3]));
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  // Updates on a deleted row are refused locally.
  {
    auto w = std::move(*a.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("z")}}};
    BOOST_TEST(w->Update(a.table("item"), ItemId(1), vals).code() == Code::kNotFound);
  }
  {
    auto w = std::move(*b.replica->BeginWrite());
    BOOST_REQUIRE(w->Undelete(b.table("item"), ItemId(1)).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  Deliver(b, a);
  ColA(a, ItemId(1), &deleted);
  BOOST_TEST(!deleted);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(out_of_order_batches_wait_for_the_gap) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "one", 1);
  InsertItem(a, ItemId(2), "two", 2);
  InsertItem(a, ItemId(3), "three", 3);
  auto all = std::move(*SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX));
  BOOST_REQUIRE(all.size() == 3u);
  std::vector<SignedBatch> later{all[2].batch, all[1].batch};
  auto r = b.replica->Merge(later, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->buffered == 2u);
  BOOST_TEST(r->applied == 0u);
  BOOST_TEST(*b.replica->CountLive(b.table("item")) == 0);
  std::vector<SignedBatch> first{all[0].batch};
  r = b.replica->Merge(first, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->applied == 3u);
  BOOST_TEST(*b.replica->CountLive(b.table("item")) == 3);
  BOOST_TEST(SealedVv(b)->Get(a.id, "site:AA-ONE") == 3u);
}

BOOST_AUTO_TEST_CASE(equivocation_is_detected) {
  TestNode a(1), b(2), c(3);
  InsertItem(a, ItemId(1), "honest", 1);
  Deliver(a, b);
  // Forge a different batch 1 with a's origin (as a compromised a would).
  auto all = std::move(*SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX));
  ChangeBatch other = std::move(*DecodeBatchBody(all[0].batch.body));
  other.rows[0].columns[0].value = Value{std::string("forked")};
  SignedBatch forged{EncodeBatchBody(other), {}};
  auto r = b.replica->Merge(std::vector<SignedBatch>{forged}, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kConflict);
  BOOST_TEST(r->refused[0].message().find("equivocation") != std::string::npos);
  BOOST_TEST(ColA(b, ItemId(1)) == "honest");
  (void)c;
}

// crdt.md invariant 3: a batch carries the hash of the one before it in its
// author's chain. A batch 2 whose prev_hash is not batch 1's is refused, even
// with the right number, and changes nothing.
BOOST_AUTO_TEST_CASE(a_batch_that_does_not_follow_its_chain_is_refused) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "first", 1);
  Deliver(a, b);
  InsertItem(a, ItemId(2), "second", 2);
  auto all = std::move(*SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, SIZE_MAX));
  BOOST_REQUIRE(all.size() == 2u);
  ChangeBatch second = std::move(*DecodeBatchBody(all[1].batch.body));
  BOOST_REQUIRE(second.seq == 2u);
  second.prev_hash[0] ^= 1;
  auto r = b.replica->Merge(std::vector<SignedBatch>{{EncodeBatchBody(second), {}}}, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kConflict);
  BOOST_TEST(r->refused[0].message().find("does not follow") != std::string::npos);
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM item") == 1);
  // The true batch 2 still applies: the refusal stored nothing in its place.
  auto ok = b.replica->Merge(std::vector<SignedBatch>{all[1].batch}, AcceptAll);
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok->refused.empty());
  BOOST_TEST(ColA(b, ItemId(2)) == "second");
}

BOOST_AUTO_TEST_CASE(refused_signature_merges_nothing) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  auto reject = [](const ChangeBatch&, const SignedBatch&) {
    return Status::Unauthenticated("signature does not verify");
  };
  MergeReport r = Deliver(a, b, reject);
  BOOST_TEST(r.refused.size() == 1u);
  BOOST_TEST(r.refused[0].code() == Code::kUnauthenticated);
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM item") == 0);
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM crdt_batch") == 0);
}

BOOST_AUTO_TEST_CASE(change_to_a_row_of_another_scope_is_refused) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1, "site:AA-ONE");
  Deliver(a, b);
  // Hand-craft a batch from b claiming the row belongs to site:BB-TWO.
  ChangeBatch bad;
  bad.origin = b.id;
  bad.origin[1] = 9;  // a third node
  bad.scope = "site:BB-TWO";
  bad.seq = 1;
  bad.hlc = HlcFromMillis(kStartMicros / 1000 + 1);
  bad.rows.push_back(RowChange{1, ItemId(1), 1, {{1, bad.hlc, Value{std::string("hijack")}}}});
  auto r = a.replica->Merge(std::vector<SignedBatch>{{EncodeBatchBody(bad), {}}}, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kPermissionDenied);
  BOOST_TEST(ColA(a, ItemId(1)) == "x");
}

BOOST_AUTO_TEST_CASE(append_only_rows_cannot_change) {
  TestNode a(1), b(2);
  {
    auto w = std::move(*a.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("opened")}}};
    BOOST_REQUIRE(w->Insert(a.table("log"), ItemId(1), "site:AA-ONE", vals).ok());
    BOOST_TEST(w->Update(a.table("log"), ItemId(1), vals).code() == Code::kPermissionDenied);
    BOOST_TEST(w->Delete(a.table("log"), ItemId(1), false).code() == Code::kPermissionDenied);
    BOOST_REQUIRE(w->Commit().ok());
  }
  Deliver(a, b);
  ChangeBatch bad;
  bad.origin = a.id;
  bad.origin[1] = 7;
  bad.scope = "site:AA-ONE";
  bad.seq = 1;
  bad.hlc = HlcFromMillis(kStartMicros / 1000 + 1);
  bad.rows.push_back(RowChange{2, ItemId(1), 1, {{1, bad.hlc, Value{std::string("rewritten")}}}});
  auto r = b.replica->Merge(std::vector<SignedBatch>{{EncodeBatchBody(bad), {}}}, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kPermissionDenied);
}

BOOST_AUTO_TEST_CASE(far_future_batch_waits_and_cannot_win_early) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1);
  Deliver(a, b);
  a.clock.Advance(3LL * 3600 * 1'000'000);  // a's clock is three hours fast
  UpdateItem(a, ItemId(1), 1, Value{std::string("from-the-future")});
  MergeReport r = Deliver(a, b);
  BOOST_REQUIRE(r.refused.size() == 1u);
  BOOST_TEST(r.refused[0].code() == Code::kUnavailable);
  BOOST_TEST(ColA(b, ItemId(1)) == "x");
  // b's officer keeps working; b's writes are not beaten by the future stamp
  // until b's own clock gets there.
  b.clock.Advance(60'000'000);
  UpdateItem(b, ItemId(1), 1, Value{std::string("present")});
  BOOST_TEST(ColA(b, ItemId(1)) == "present");
  b.clock.Advance(3LL * 3600 * 1'000'000);
  r = Deliver(a, b);
  BOOST_TEST(r.applied == 1u);
  Deliver(b, a);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(wrong_value_types_from_a_peer_are_refused) {
  TestNode a(1), b(2);
  ChangeBatch bad;
  bad.origin = a.id;
  bad.scope = "site:AA-ONE";
  bad.seq = 1;
  bad.hlc = HlcFromMillis(kStartMicros / 1000);
  bad.rows.push_back(
      RowChange{1, ItemId(1), 1, {{2, bad.hlc, Value{std::string("not a number")}}}});
  auto r = b.replica->Merge(std::vector<SignedBatch>{{EncodeBatchBody(bad), {}}}, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(r->refused.size() == 1u);
  BOOST_TEST(r->refused[0].code() == Code::kInvalidArgument);
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM item") == 0);
}

BOOST_AUTO_TEST_CASE(garbage_batches_are_refused_as_corruption) {
  TestNode b(2);
  std::vector<SignedBatch> junk{{Bytes(24, 0xab), {}}, {Bytes(7, 1), {}}, {Bytes{}, {}}};
  auto r = b.replica->Merge(junk, AcceptAll);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r->refused.size() == 3u);
  for (const auto& s : r->refused) BOOST_TEST(s.code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(newer_schema_values_survive_an_older_node_and_relay) {
  TestNode newer(1, 2), older(2, 1), third(3, 2);
  {
    auto w = std::move(*newer.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("x")}}, {6, Value{std::string("new-col")}}};
    BOOST_REQUIRE(w->Insert(newer.table("item"), ItemId(1), "site:AA-ONE", vals).ok());
    std::vector<ColumnValue> nv{{1, Value{int64_t{5}}}};
    BOOST_REQUIRE(w->Insert(newer.table("newer"), ItemId(2), "site:AA-ONE", nv).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  Deliver(newer, older);
  BOOST_TEST(ColA(older, ItemId(1)) == "x");
  BOOST_TEST(*older.db->QueryInt("SELECT count(*) FROM crdt_extra") >= 2);
  // The older node relays the batch untouched: the third node gets the column.
  Deliver(older, third);
  auto row = third.replica->ReadRow(third.table("item"), ItemId(1), nullptr);
  BOOST_TEST(std::get<std::string>((*row)[5]) == "new-col");
  // The older node writes; the newer node takes it; both keep the new column.
  UpdateItem(older, ItemId(1), 1, Value{std::string("y")});
  Deliver(older, newer);
  row = newer.replica->ReadRow(newer.table("item"), ItemId(1), nullptr);
  BOOST_TEST(std::get<std::string>((*row)[0]) == "y");
  BOOST_TEST(std::get<std::string>((*row)[5]) == "new-col");
}

// The same for a column of the domain catalogue: movement.weighbridge_kg is
// new in version 2 (schema/domain_catalogue.cc). A node at version 1 keeps
// the measured weight aside, relays it, and its own later write of the
// movement does not drop it.
BOOST_AUTO_TEST_CASE(a_version_1_node_keeps_and_relays_a_movement_weighbridge_weight) {
  const schema::Catalogue v2 = schema::DomainCatalogue();
  BOOST_REQUIRE(v2.version() == 2u);
  TestNode newer(1, v2), older(2, v2.AsOfVersion(1)), third(3, v2);
  const schema::Column* col = newer.table("movement").FindColumn("weighbridge_kg");
  BOOST_REQUIRE(col != nullptr);
  BOOST_REQUIRE(older.table("movement").FindColumn("weighbridge_kg") == nullptr);
  const uint16_t wb = col->id;
  auto weight = [&](TestNode& n) -> std::optional<double> {
    auto row = n.replica->ReadRow(n.table("movement"), ItemId(1), nullptr);
    BOOST_REQUIRE(row.ok());
    const schema::Table& t = n.table("movement");
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i].id != wb) continue;
      const double* d = std::get_if<double>(&(*row)[i]);
      if (d != nullptr) return *d;
    }
    return std::nullopt;
  };
  {
    auto w = std::move(*newer.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("in")}},
                                  {2, Value{std::string("road")}},
                                  {4, Value{int64_t{kStartMicros}}},
                                  {wb, Value{24180.0}}};
    Status st = w->Insert(newer.table("movement"), ItemId(1), "site:AA-ONE", vals);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.ToString());
    BOOST_REQUIRE(w->Commit().ok());
  }
  BOOST_TEST(Deliver(newer, older).refused.empty());
  BOOST_TEST(*older.db->QueryInt("SELECT count(*) FROM crdt_extra") >= 1);
  BOOST_TEST(Deliver(older, third).refused.empty());
  BOOST_TEST(weight(third).value_or(-1) == 24180.0);
  {
    auto w = std::move(*older.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("out")}}};
    Status st = w->Update(older.table("movement"), ItemId(1), vals);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.ToString());
    BOOST_REQUIRE(w->Commit().ok());
  }
  BOOST_TEST(Deliver(older, newer).refused.empty());
  BOOST_TEST(weight(newer).value_or(-1) == 24180.0);
  auto row = newer.replica->ReadRow(newer.table("movement"), ItemId(1), nullptr);
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(std::get<std::string>((*row)[0]) == "out");
}

// Issue 16, flaw 9: batches ahead of a gap were buffered without limit, so
// a peer could fill the receiver's disk with batches that never apply. At
// most max_buffered_ahead per chain are kept; the rest are refused
// (kUnavailable), not stored, and merge once the gap is filled.
BOOST_AUTO_TEST_CASE(batches_far_ahead_of_a_gap_are_refused_not_buffered) {
  TestNode a(1), b(2);
  const uint64_t window = ReplicaOptions{}.max_buffered_ahead;
  const size_t n = window + 76;
  for (size_t i = 0; i < n; ++i) {
    Uuid id = ItemId(0);
    id[13] = static_cast<uint8_t>(i >> 8);
    id[14] = static_cast<uint8_t>(i);
    InsertItem(a, id, "v", static_cast<int64_t>(i));
  }
  auto out = SealedBatchesFor(
      a, VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  BOOST_REQUIRE_EQUAL(out->size(), n);
  std::vector<SignedBatch> first, rest;
  for (size_t i = 0; i < out->size(); ++i) ((i == 0) ? first : rest).push_back((*out)[i].batch);
  auto rep = b.replica->Merge(rest, AcceptAll);  // batch 1 missing
  BOOST_REQUIRE(rep.ok());
  BOOST_TEST(rep->applied == 0u);
  BOOST_TEST(rep->buffered == window - 1);
  BOOST_REQUIRE_EQUAL(rep->refused.size(), n - window);
  for (const auto& r : rep->refused) BOOST_TEST(r.code() == Code::kUnavailable, r.ToString());
  BOOST_TEST(*b.db->QueryInt("SELECT count(*) FROM crdt_batch WHERE applied = 0") ==
             static_cast<int64_t>(window - 1));
  // The gap filled, the buffered ones apply, and the refused ones come again.
  rep = b.replica->Merge(first, AcceptAll);
  BOOST_REQUIRE(rep.ok());
  BOOST_TEST(rep->applied == window);
  auto again = Deliver(a, b);
  BOOST_TEST(again.applied == n - window);
  BOOST_TEST(again.refused.empty());
  BOOST_TEST(DigestHex(a) == DigestHex(b));
}

BOOST_AUTO_TEST_CASE(upgrading_moves_held_values_into_place) {
  std::string path = "/tmp/outpost-upgrade-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  TestNode newer(1, 2);
  {
    auto w = std::move(*newer.replica->BeginWrite());
    std::vector<ColumnValue> vals{{1, Value{std::string("x")}}, {6, Value{std::string("new-col")}}};
    BOOST_REQUIRE(w->Insert(newer.table("item"), ItemId(1), "site:AA-ONE", vals).ok());
    BOOST_REQUIRE(w->Commit().ok());
  }
  {
    TestNode older(2, 1, path);
    Deliver(newer, older);
  }
  TestNode upgraded(2, 2, path);
  auto row = upgraded.replica->ReadRow(upgraded.table("item"), ItemId(1), nullptr);
  BOOST_REQUIRE(row.ok());
  BOOST_TEST(std::get<std::string>((*row)[5]) == "new-col");
  BOOST_TEST(*upgraded.db->QueryInt("SELECT count(*) FROM crdt_extra") == 0);
  BOOST_TEST(DigestHex(upgraded) == DigestHex(newer));
  upgraded.replica.reset();
  upgraded.db.reset();
  // And a build that knows only version 1 refuses the upgraded store.
  auto db = std::move(*Db::Open(path));
  FakeClock clock(kStartMicros);
  auto r = Replica::Open(*db, TestCatalogue(1), upgraded.id, clock);
  BOOST_TEST(r.status().code() == Code::kFailedPrecondition);
  BOOST_TEST(r.status().message().find("upgrade outpost") != std::string::npos);
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
}

// Issue 16, flaw 6: rows of a table this node did not know were held under
// the sender's scope and, at the upgrade, moved into place without the
// checks of a merge; one conflicting row stopped the store from opening.
// Version 2 here makes table 3 HQ-only and adds an append-only table 4.
BOOST_AUTO_TEST_CASE(held_rows_are_checked_on_replay_and_a_bad_one_does_not_stop_opening) {
  auto catalogue = [](uint32_t version) {
    const schema::Catalogue base = TestCatalogue(2);
    std::vector<schema::Table> tables = base.tables();
    for (auto& t : tables) {
      if (t.id == 3) t.scope = schema::ScopeRule::kShared;
    }
    schema::Table journal;
    journal.id = 4;
    journal.name = "journal";
    journal.append_only = true;
    journal.since_version = 2;
    journal.columns = {Col(1, "what", schema::ColumnType::kText),
                       Col(2, "n", schema::ColumnType::kInteger)};
    tables.push_back(journal);
    return schema::Catalogue(2, tables).AsOfVersion(version);
  };
  struct Newer {
    FakeClock clock{kStartMicros};
    std::unique_ptr<Db> db;
    std::unique_ptr<Replica> replica;
    NodeId id{};
  };
  auto make = [&](uint8_t tag) {
    auto n = std::make_unique<Newer>();
    n->id[0] = tag;
    n->id[15] = tag;
    n->db = std::move(*Db::Open(":memory:"));
    auto r = Replica::Open(*n->db, catalogue(2), n->id, n->clock);
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    n->replica = std::move(*r);
    return n;
  };
  auto insert = [](Newer& n, const char* table, const Uuid& id, const std::string& scope,
                   std::vector<ColumnValue> vals) {
    auto w = std::move(*n.replica->BeginWrite());
    Status st = w->Insert(*n.replica->catalogue().Find(table), id, scope, vals);
    BOOST_REQUIRE_MESSAGE(st.ok(), st.ToString());
    BOOST_REQUIRE(w->Commit().ok());
  };
  auto a = make(11), b = make(12);
  // Table 3 (HQ-only in version 2): one row in "shared", one in a site's scope.
  insert(*a, "newer", ItemId(1), "shared", {{1, Value{int64_t{1}}}});
  insert(*a, "newer", ItemId(2), "site:AA-ONE", {{1, Value{int64_t{2}}}});
  // Table 4 (append-only): a whole row of two columns, and one id written by
  // two nodes in two scopes (a conflict).
  insert(*a, "journal", ItemId(3), "site:AA-ONE",
         {{1, Value{std::string("x")}}, {2, Value{int64_t{3}}}});
  insert(*a, "journal", ItemId(4), "site:AA-ONE", {{1, Value{std::string("a")}}});
  insert(*b, "journal", ItemId(4), "site:BB-TWO", {{1, Value{std::string("b")}}});

  std::string path = "/tmp/outpost-replay-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  NodeId older_id{};
  older_id[0] = 2;
  {
    auto db = std::move(*Db::Open(path));
    FakeClock clock(kStartMicros);
    auto older = std::move(*Replica::Open(*db, catalogue(1), older_id, clock));
    for (Newer* n : {a.get(), b.get()}) {
      BOOST_REQUIRE(n->replica->Seal(TestSign).ok());
      auto out = n->replica->BatchesFor(
          VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
      BOOST_REQUIRE(out.ok());
      std::vector<SignedBatch> batches;
      for (auto& o : *out) batches.push_back(o.batch);
      auto rep = older->Merge(batches, AcceptAll);
      BOOST_REQUIRE(rep.ok());
      BOOST_TEST(rep->refused.empty());
    }
    BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_extra") > 0);
  }
  // The upgrade opens, and takes in only what a merge would have.
  auto db = std::move(*Db::Open(path));
  FakeClock clock(kStartMicros);
  auto upgraded = Replica::Open(*db, catalogue(2), older_id, clock);
  BOOST_REQUIRE_MESSAGE(upgraded.ok(), upgraded.status().ToString());
  const schema::Catalogue& cat = (*upgraded)->catalogue();
  bool deleted = false;
  BOOST_TEST((*upgraded)->ReadRow(*cat.Find("newer"), ItemId(1), &deleted).ok());
  BOOST_TEST((*upgraded)->ReadRow(*cat.Find("newer"), ItemId(2), &deleted).status().code() ==
             Code::kNotFound);
  auto whole = (*upgraded)->ReadRow(*cat.Find("journal"), ItemId(3), &deleted);
  BOOST_REQUIRE_MESSAGE(whole.ok(), whole.status().ToString());
  BOOST_TEST(std::get<std::string>((*whole)[0]) == "x");
  BOOST_TEST(std::get<int64_t>((*whole)[1]) == 3);
  BOOST_TEST((*upgraded)->ReadRow(*cat.Find("journal"), ItemId(4), &deleted).ok());
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_extra") == 0);
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_replay_refused") == 2);
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_replay_refused WHERE tbl = 3 AND reason "
                           "LIKE '%only HQ writes%'") == 1);
  BOOST_TEST(*db->QueryInt("SELECT count(*) FROM crdt_replay_refused WHERE tbl = 4 AND reason "
                           "LIKE '%another scope%'") == 1);
  upgraded->reset();
  db.reset();
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
}

BOOST_AUTO_TEST_CASE(store_of_a_newer_format_is_refused_untouched) {
  std::string path = "/tmp/outpost-format-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  NodeId id;
  {
    TestNode a(1, 2, path);
    id = a.id;
    BOOST_TEST(*a.db->QueryInt("SELECT value FROM crdt_meta WHERE key = 'store_format'") == 2);
    BOOST_REQUIRE(a.db->Exec("UPDATE crdt_meta SET value = 3 WHERE key = 'store_format'").ok());
  }
  auto db = std::move(*Db::Open(path));
  FakeClock clock(kStartMicros);
  auto r = Replica::Open(*db, TestCatalogue(), id, clock);
  BOOST_TEST(r.status().code() == Code::kFailedPrecondition);
  BOOST_TEST(r.status().message().find("format 3") != std::string::npos, r.status().ToString());
  BOOST_TEST(*db->QueryInt("SELECT value FROM crdt_meta WHERE key = 'store_format'") == 3);
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(store_of_another_node_is_refused) {
  std::string path = "/tmp/outpost-owner-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  { TestNode a(1, 2, path); }
  auto db = std::move(*Db::Open(path));
  FakeClock clock(kStartMicros);
  NodeId other{};
  other[0] = 99;
  auto r = Replica::Open(*db, TestCatalogue(), other, clock);
  BOOST_TEST(r.status().code() == Code::kFailedPrecondition);
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(batches_respect_scope_filter_and_size_bound) {
  TestNode a(1);
  for (int i = 0; i < 5; ++i)
    InsertItem(a, ItemId(static_cast<uint8_t>(i + 1)), std::string(100, 'x'), i, "site:AA-ONE");
  InsertItem(a, ItemId(50), "other", 1, "site:BB-TWO");
  auto only_one = SealedBatchesFor(
      a, VersionVector{}, [](const std::string& s) { return s == "site:AA-ONE"; }, SIZE_MAX);
  BOOST_REQUIRE(only_one.ok());
  BOOST_TEST(only_one->size() == 5u);
  for (auto& b : *only_one) BOOST_TEST(b.scope == "site:AA-ONE");
  auto bounded = SealedBatchesFor(
      a, VersionVector{}, [](auto&) { return true; }, 1);
  BOOST_TEST(bounded->size() == 1u);
}

BOOST_AUTO_TEST_CASE(digest_per_scope_ignores_other_scopes) {
  TestNode a(1), b(2);
  InsertItem(a, ItemId(1), "x", 1, "site:AA-ONE");
  InsertItem(a, ItemId(2), "y", 1, "site:BB-TWO");
  auto vv = SealedVv(b);
  auto out = SealedBatchesFor(
      a, *vv, [](const std::string& s) { return s == "site:AA-ONE"; }, SIZE_MAX);
  std::vector<SignedBatch> batches;
  for (auto& o : *out) batches.push_back(o.batch);
  BOOST_REQUIRE(b.replica->Merge(batches, AcceptAll).ok());
  BOOST_TEST(DigestHex(a, "site:AA-ONE") == DigestHex(b, "site:AA-ONE"));
  BOOST_TEST(DigestHex(a) != DigestHex(b));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(compaction)

BOOST_AUTO_TEST_CASE(pruned_log_keeps_numbering_and_refuses_nothing_twice) {
  TestNode a(1), b(2);
  for (uint8_t i = 1; i <= 4; ++i) InsertItem(a, ItemId(i), "x", i);
  Deliver(a, b);
  BOOST_REQUIRE(a.replica->Seal([](std::span<const uint8_t>) { return Bytes(64, 1); }).ok());
  auto acked = SealedVv(b);
  auto dropped = a.replica->PruneLog(*acked);
  BOOST_REQUIRE(dropped.ok());
  BOOST_TEST(*dropped == 4);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_batch") == 0);
  // Numbering continues after the pruned head; the peer takes the new batch.
  InsertItem(a, ItemId(5), "after", 5);
  MergeReport r = Deliver(a, b);
  BOOST_TEST(r.applied == 1u);
  BOOST_TEST(SealedVv(a)->Get(a.id, "site:AA-ONE") == 5u);
  BOOST_TEST(DigestHex(a) == DigestHex(b));
  // Writes not sealed yet are not in the log, so nothing of them is pruned
  // (batches are signed when sealed: only batch 5, which b holds, goes).
  InsertItem(a, ItemId(6), "pending", 6);
  VersionVector all;
  all.Set(a.id, "site:AA-ONE", 100);
  BOOST_TEST(*a.replica->PruneLog(all) == 1);
  BOOST_TEST(*a.db->QueryInt("SELECT count(*) FROM crdt_pending") == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(change_batch)

// Pins the body format of docs/crdt.md byte for byte: the local write path
// streams rows through BatchBodyBuilder, and a signed body is relayed
// untouched, so an encoder change that moves a byte would split the chain.
BOOST_AUTO_TEST_CASE(body_bytes_follow_the_documented_format) {
  ChangeBatch b;
  b.origin.fill(0x11);
  b.scope = "s";
  b.seq = 2;
  b.prev_hash.fill(0xab);
  b.schema_version = 3;
  b.hlc = 300;
  RowChange r;
  r.table = 5;
  r.id.fill(0x22);
  r.causal_length = 1;
  r.columns = {{1, 300, Value{}},
               {2, 300, Value{int64_t{-3}}},
               {3, 300, Value{1.5}},
               {4, 300, Value{std::string("hi")}},
               {5, 300, Value{Bytes{1, 2}}},
               {6, 301, Value{int64_t{7}}}};
  b.rows.push_back(r);
  std::string expected = "4f424301" + std::string(32, '1') + "0173" + "02" +
                         [] {
                           std::string s;
                           for (int i = 0; i < 32; ++i) s += "ab";
                           return s;
                         }() +
                         "03" + "ac02" + "01" +                       // schema, hlc, nrows
                         "05" + std::string(32, '2') + "01" + "06" +  // table, id, cl, ncols
                         "0100" +                                     // null
                         "020105" +                                   // int -3 (zigzag 5)
                         "0302000000000000f83f" +                     // real 1.5
                         "0403026869" +                               // text "hi"
                         "0504020102" +                               // blob 01 02
                         "06090ead02";                                // int 7, own hlc 301
  BOOST_TEST(ToHex(EncodeBatchBody(b)) == expected);
  auto back = DecodeBatchBody(EncodeBatchBody(b));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back->rows.size() == 1u);
  BOOST_TEST(back->rows[0].columns.size() == 6u);
  BOOST_TEST(back->rows[0].columns[5].hlc == 301u);
}

// One builder makes many batches (a transaction past max_batch_bytes) and
// grows past its capacity hint; each body decodes to exactly its rows.
BOOST_AUTO_TEST_CASE(builder_grows_and_is_reused_across_batches) {
  NodeId origin{};
  origin[0] = 9;
  BatchBodyBuilder builder(origin, "site:AA-ONE", 1, 1000, /*capacity=*/8);
  Hash prev{};
  for (int batch = 1; batch <= 3; ++batch) {
    const int rows = 10 * batch;
    for (int i = 0; i < rows; ++i) {
      Uuid id{};
      id[0] = static_cast<uint8_t>(batch);
      id[15] = static_cast<uint8_t>(i);
      builder.BeginRow(1, id, 1, 2);
      builder.AddColumn(1, 1000, Value{std::string(static_cast<size_t>(100 * i), 'x')});
      builder.AddColumn(2, 1000 + i, Value{int64_t{i}});
    }
    BOOST_TEST(builder.rows() == static_cast<size_t>(rows));
    auto body = builder.FinishInPlace(static_cast<uint64_t>(batch), prev);
    BOOST_TEST(builder.rows() == 0u);
    BOOST_TEST(builder.size() == 0u);
    auto decoded = DecodeBatchBody(body);
    BOOST_REQUIRE_MESSAGE(decoded.ok(), decoded.status().ToString());
    BOOST_TEST(decoded->seq == static_cast<uint64_t>(batch));
    BOOST_REQUIRE(decoded->rows.size() == static_cast<size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      const auto& row = decoded->rows[static_cast<size_t>(i)];
      BOOST_TEST(row.id[0] == batch);
      BOOST_TEST(row.id[15] == i);
      BOOST_TEST(std::get<std::string>(row.columns[0].value).size() ==
                 static_cast<size_t>(100 * i));
      BOOST_TEST(row.columns[1].hlc == static_cast<HlcTime>(1000 + i));
    }
    // The same batch through the general encoder gives the same bytes.
    BOOST_TEST(ToHex(EncodeBatchBody(*decoded)) == ToHex(body));
    prev = HashBody(body);
  }
}

BOOST_AUTO_TEST_SUITE_END()
