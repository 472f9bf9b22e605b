#define BOOST_TEST_MODULE sync
#include "sync/hlc.h"

#include <boost/test/unit_test.hpp>

#include "sync/column_versions.h"

using namespace outpost;
using namespace outpost::sync;

BOOST_AUTO_TEST_SUITE(hlc)

constexpr int64_t kT0 = 1'790'000'000'000'000;  // 2026-09
constexpr int64_t kSkew = 5 * 60 * 1'000'000LL;

BOOST_AUTO_TEST_CASE(follows_the_wall_clock) {
  FakeClock wall(kT0);
  HybridClock c(wall, kSkew);
  HlcTime a = c.Now();
  BOOST_TEST(HlcPhysicalMillis(a) == kT0 / 1000);
  wall.Advance(5000);
  HlcTime b = c.Now();
  BOOST_TEST(HlcPhysicalMillis(b) == kT0 / 1000 + 5);
  BOOST_TEST((b & 0xffff) == 0u);
}

BOOST_AUTO_TEST_CASE(never_goes_backwards_when_the_wall_clock_jumps_back) {
  FakeClock wall(kT0);
  HybridClock c(wall, kSkew);
  HlcTime prev = c.Now();
  wall.Advance(-3600LL * 1'000'000);  // an hour back
  for (int i = 0; i < 100000; ++i) {  // overflow the 16-bit counter too
    HlcTime t = c.Now();
    BOOST_REQUIRE(t > prev);
    prev = t;
  }
  wall.Advance(7200LL * 1'000'000);  // and forward past where it was
  HlcTime t = c.Now();
  BOOST_TEST(t > prev);
  BOOST_TEST(HlcPhysicalMillis(t) == (kT0 + 3600LL * 1'000'000) / 1000);
}

BOOST_AUTO_TEST_CASE(observe_moves_past_remote_stamps) {
  FakeClock wall(kT0);
  HybridClock c(wall, kSkew);
  HlcTime remote = HlcFromMillis(kT0 / 1000 + 60'000) + 7;  // a minute ahead
  BOOST_REQUIRE(c.Observe(remote).ok());
  BOOST_TEST(c.Now() > remote);
}

BOOST_AUTO_TEST_CASE(far_future_remote_stamp_is_refused_and_does_not_move_the_clock) {
  FakeClock wall(kT0);
  HybridClock c(wall, kSkew);
  HlcTime before = c.Now();
  HlcTime remote = HlcFromMillis(kT0 / 1000 + 3 * 3600 * 1000);  // three hours ahead
  Status s = c.Observe(remote);
  BOOST_TEST(s.code() == Code::kUnavailable);
  BOOST_TEST(s.message().find("ahead") != std::string::npos);
  BOOST_TEST(c.last() == before);
  // Once our clock reaches it, it is an ordinary stamp.
  wall.Advance(3LL * 3600 * 1'000'000);
  BOOST_TEST(c.Observe(remote).ok());
}

BOOST_AUTO_TEST_CASE(restore_keeps_the_maximum) {
  FakeClock wall(kT0);
  HybridClock c(wall, kSkew);
  HlcTime later = HlcFromMillis(kT0 / 1000 + 1000);
  c.Restore(later);
  c.Restore(5);
  BOOST_TEST(c.Now() > later);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(column_versions)

BOOST_AUTO_TEST_CASE(round_trip_groups_columns_by_writer) {
  ColumnVersions v;
  for (uint16_t c = 1; c <= 7; ++c) v.Set(c, 1000, 1);
  Bytes one_group = v.Encode();
  BOOST_TEST(one_group.size() < 20u);
  v.Set(3, 2000, 2);
  v.Set(9, 2000, 2);
  ColumnVersions back;
  BOOST_REQUIRE(ColumnVersions::Decode(v.Encode(), &back));
  BOOST_TEST(back.entries().size() == 8u);
  BOOST_TEST(back.Find(3)->hlc == 2000u);
  BOOST_TEST(back.Find(3)->origin == 2u);
  BOOST_TEST(back.Find(4)->hlc == 1000u);
  BOOST_TEST(back.Find(8) == nullptr);
}

// Ids one apart are written as a run (0, length): an insert of 7 columns
// keeps 2 bytes of ids instead of 7. Stores written before runs existed
// (every id as a delta) still read the same.
BOOST_AUTO_TEST_CASE(runs_of_consecutive_columns_are_compact_and_old_stores_still_read) {
  ColumnVersions v;
  for (uint16_t c = 1; c <= 7; ++c) v.Set(c, 1000, 1);
  // groups, hlc (2 bytes), origin, count, 0, run
  BOOST_TEST(v.Encode() == (Bytes{1, 0xe8, 0x07, 1, 7, 0, 7}));
  Bytes old{1, 0xe8, 0x07, 1, 7, 1, 1, 1, 1, 1, 1, 1};
  ColumnVersions back;
  BOOST_REQUIRE(ColumnVersions::Decode(old, &back));
  BOOST_TEST(back.entries().size() == 7u);
  BOOST_TEST(back.Encode() == v.Encode());
  for (std::vector<uint16_t> cols :
       {std::vector<uint16_t>{1, 2, 3, 4, 9, 10, 11, 12, 13}, std::vector<uint16_t>{2, 3, 4},
        std::vector<uint16_t>{1, 2, 5, 6, 7, 40}}) {
    ColumnVersions w;
    for (uint16_t c : cols) w.Set(c, 5, 2);
    ColumnVersions r;
    BOOST_REQUIRE(ColumnVersions::Decode(w.Encode(), &r));
    BOOST_REQUIRE(r.entries().size() == cols.size());
    for (size_t i = 0; i < cols.size(); ++i) BOOST_TEST(r.entries()[i].column == cols[i]);
  }
  // A run longer than the group's count, or empty, is refused.
  BOOST_TEST(!ColumnVersions::Decode(Bytes{1, 5, 1, 3, 0, 4}, &back));
  BOOST_TEST(!ColumnVersions::Decode(Bytes{1, 5, 1, 3, 0, 0, 1, 1, 1}, &back));
}

BOOST_AUTO_TEST_CASE(truncated_or_trailing_bytes_are_refused) {
  ColumnVersions v;
  v.Set(1, 123456789, 3);
  Bytes b = v.Encode();
  ColumnVersions out;
  for (size_t n = 0; n < b.size(); ++n) {
    BOOST_TEST(!ColumnVersions::Decode(std::span(b.data(), n), &out));
  }
  b.push_back(0);
  BOOST_TEST(!ColumnVersions::Decode(b, &out));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(column_versions_fast_path)

BOOST_AUTO_TEST_CASE(one_writer_encoding_equals_the_general_one) {
  for (std::vector<uint16_t> cols :
       {std::vector<uint16_t>{1, 2, 3, 4, 5, 6, 7}, std::vector<uint16_t>{3, 1, 2},
        std::vector<uint16_t>{5}, std::vector<uint16_t>{2, 2, 9}}) {
    ColumnVersions v;
    for (uint16_t c : cols) v.Set(c, 987654321, 4);
    BOOST_TEST(ColumnVersions::EncodeOneWriter(cols, 987654321, 4) == v.Encode());
  }
}

BOOST_AUTO_TEST_SUITE_END()
