#define BOOST_TEST_MODULE base
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/status.h"
#include "tests/support/temp_dir.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(default_status_is_ok) {
  Status s;
  BOOST_TEST(s.ok());
  BOOST_TEST(s.ToString() == "ok");
}

BOOST_AUTO_TEST_CASE(error_status_carries_code_and_message) {
  Status s = Status::InvalidArgument("movement.time: \"x\" is not a UTC timestamp");
  BOOST_TEST(!s.ok());
  BOOST_TEST(static_cast<int>(s.code()) == static_cast<int>(Code::kInvalidArgument));
  BOOST_TEST(s.ToString() == "invalid argument: movement.time: \"x\" is not a UTC timestamp");
  BOOST_TEST(s.WithContext("line 3").message() ==
             "line 3: movement.time: \"x\" is not a UTC timestamp");
  BOOST_TEST(Status::Ok().WithContext("x").ok());
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd: " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  OUTPOST_ASSIGN_OR_RETURN(int h, Half(v));
  OUTPOST_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

BOOST_AUTO_TEST_CASE(result_holds_value_or_status) {
  auto ok = Quarter(8);
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(*ok == 2);
  auto bad = Quarter(6);
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.status().message() == "odd: 3");
}

Status FailsIfNegative(int v) {
  if (v < 0) return Status::NotFound("negative");
  return Status::Ok();
}
Status Chain(int v) {
  OUTPOST_RETURN_IF_ERROR(FailsIfNegative(v));
  return Status::Conflict("reached the end");
}

BOOST_AUTO_TEST_CASE(return_if_error_propagates_first_failure) {
  BOOST_TEST(Chain(-1).code() == Code::kNotFound);
  BOOST_TEST(Chain(1).code() == Code::kConflict);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bytes)

BOOST_AUTO_TEST_CASE(hex_round_trip_and_errors) {
  Bytes b{0x00, 0xab, 0xff};
  BOOST_TEST(ToHex(b) == "00abff");
  auto back = FromHex("00ABff");
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(*back == b);
  BOOST_TEST(!FromHex("abc").ok());
  BOOST_TEST(!FromHex("zz").ok());
}

BOOST_AUTO_TEST_CASE(uuid_v7_is_time_ordered_and_parses) {
  FakeClock clock(1'700'000'000'000'000);
  SeededRandom rnd(42);
  Uuid a = NewUuidV7(clock, rnd);
  clock.Advance(1000);
  Uuid b = NewUuidV7(clock, rnd);
  BOOST_TEST((a < b));
  BOOST_TEST((a[6] >> 4) == 7);
  BOOST_TEST((a[8] >> 6) == 2);
  auto parsed = ParseUuid(UuidToString(a));
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST((*parsed == a));
  BOOST_TEST(!ParseUuid("not-an-id").ok());
  BOOST_TEST(!ParseUuid("0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e6g").ok());
}

BOOST_AUTO_TEST_CASE(varint_round_trip_and_truncation) {
  for (uint64_t v : {0ULL, 1ULL, 127ULL, 128ULL, 300ULL, 1ULL << 40, ~0ULL}) {
    Bytes out;
    PutVarint(out, v);
    size_t pos = 0;
    uint64_t got = 0;
    BOOST_TEST(GetVarint(out, &pos, &got));
    BOOST_TEST(got == v);
    BOOST_TEST(pos == out.size());
    if (out.size() > 1) {
      out.pop_back();
      pos = 0;
      BOOST_TEST(!GetVarint(out, &pos, &got));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(utc_clock)

BOOST_AUTO_TEST_CASE(utc_timestamps_parse_and_format) {
  int64_t us = 0;
  BOOST_TEST(ParseUtcMicros("2026-11-28T10:33:23Z", &us));
  BOOST_TEST(FormatUtcMicros(us) == "2026-11-28T10:33:23Z");
  BOOST_TEST(ParseUtcMicros("2024-02-29T00:00:00.5Z", &us));
  BOOST_TEST(FormatUtcMicros(us) == "2024-02-29T00:00:00.500000Z");
  BOOST_TEST(ParseUtcMicros("1970-01-01T00:00:00+00:00", &us));
  BOOST_TEST(us == 0);
  BOOST_TEST(!ParseUtcMicros("2023-02-29T00:00:00Z", &us));       // not a leap year
  BOOST_TEST(!ParseUtcMicros("2026-11-28T10:33:23+01:00", &us));  // not UTC
  BOOST_TEST(!ParseUtcMicros("2026-11-28 10:33:23", &us));
  BOOST_TEST(!ParseUtcMicros("2026-13-01T00:00:00Z", &us));
}

BOOST_AUTO_TEST_CASE(seeded_random_replays) {
  SeededRandom a(7), b(7), c(8);
  uint64_t x = a.Next64();
  BOOST_TEST(x == b.Next64());
  BOOST_TEST(x != c.Next64());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(file)

using outpost::testing::TempDir;

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Issue 16, flaw 10: another local user plants a symlink at the temporary
// name WriteFileAtomic used (PATH.tmp.PID), pointing at a file of the
// victim's. The write must not go through it.
BOOST_AUTO_TEST_CASE(write_file_atomic_never_writes_through_a_planted_symlink) {
  TempDir d;
  const auto target = d.path / "node.key";
  const auto victim = d.path / "victim";
  { std::ofstream(victim) << "precious"; }
  const auto planted = d.path / ("node.key.tmp." + std::to_string(::getpid()));
  std::filesystem::create_symlink(victim, planted);
  const std::string data = "new contents";
  Status s = WriteFileAtomic(
      target.string(),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0600);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.ToString());
  BOOST_TEST(Read(victim) == "precious");
  BOOST_TEST(Read(target) == data);
  BOOST_TEST(!std::filesystem::is_symlink(target));
  BOOST_TEST(std::filesystem::is_symlink(planted));  // skipped, not removed
}

// The daemon lock: a second holder is refused, told the first one's pid;
// the lock is free again once the first goes.
BOOST_AUTO_TEST_CASE(file_lock_is_exclusive_and_names_its_holder) {
  TempDir d;
  const std::string path = (d.path / "outpost.lock").string();
  auto first = FileLock::Acquire(path);
  BOOST_REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  auto second = FileLock::Acquire(path);
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST(second.status().code() == Code::kFailedPrecondition);
  BOOST_TEST(second.status().message().find("held by process " + std::to_string(::getpid())) !=
                 std::string::npos,
             second.status().message());
  first->reset();
  auto third = FileLock::Acquire(path);
  BOOST_TEST(third.ok());
}

BOOST_AUTO_TEST_SUITE_END()
