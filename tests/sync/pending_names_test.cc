// The pending names (sync/pending_names.{h,cc}): what the encoder writes,
// the decoder reads back, in order, whatever the ids share; and a damaged
// blob is kCorruption, never a crash. Property tests (rapidcheck, 100 cases;
// a failure prints the seed and a RC_PARAMS="reproduce=..." line).
#include "sync/pending_names.h"

#include <rapidcheck/boost_test.h>

#include <boost/test/unit_test.hpp>
#include <random>
#include <vector>

namespace outpost::sync {
namespace {

// Names whose ids share random prefixes with the previous one (as UUIDv7s
// made together do), with tables and causal lengths across their ranges.
std::vector<PendingName> RandomNames(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PendingName> names(rng() % 200);
  Uuid prev{};
  for (auto& n : names) {
    n.table = static_cast<uint16_t>(rng() % 3 == 0 ? rng() : rng() % 40);
    const size_t keep = rng() % 17;  // bytes kept from the previous id
    for (size_t i = 0; i < 16; ++i) n.id[i] = i < keep ? prev[i] : static_cast<uint8_t>(rng());
    n.cl = static_cast<uint32_t>(rng() % 4 == 0 ? 1 + rng() % UINT32_MAX : 1 + rng() % 5);
    prev = n.id;
  }
  return names;
}

std::vector<PendingName> DecodeAll(std::span<const uint8_t> bytes, Status* status) {
  PendingNamesDecoder d(bytes);
  std::vector<PendingName> out;
  PendingName n;
  while (d.Next(&n)) out.push_back(n);
  *status = d.status();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pending_names)

RC_BOOST_PROP(names_read_back_as_they_were_written, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const auto names = RandomNames(seed);
  PendingNamesEncoder enc;
  for (const auto& n : names) enc.Add(n.table, n.id, n.cl);
  Status s;
  const auto back = DecodeAll(enc.bytes(), &s);
  RC_ASSERT(s.ok());
  RC_ASSERT(back == names);
}

RC_BOOST_PROP(a_cut_or_damaged_list_is_corruption_or_a_prefix, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  auto names = RandomNames(seed);
  if (names.empty()) names.push_back({7, Uuid{1, 2, 3}, 1});
  PendingNamesEncoder enc;
  for (const auto& n : names) enc.Add(n.table, n.id, n.cl);
  Bytes cut(enc.bytes().begin(),
            enc.bytes().begin() + static_cast<ptrdiff_t>(seed % enc.bytes().size()));
  Status s;
  const auto back = DecodeAll(cut, &s);
  // What decodes is a prefix of what was written; a name cut short is
  // kCorruption (a cut at a name boundary is a shorter, valid list).
  RC_ASSERT(back.size() <= names.size());
  RC_ASSERT(std::equal(back.begin(), back.end(), names.begin()));
  if (!s.ok()) RC_ASSERT(s.code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(the_bytes_follow_the_documented_grammar) {
  PendingNamesEncoder enc;
  Uuid a{}, b{};
  for (int i = 0; i < 16; ++i) a[i] = static_cast<uint8_t>(0x10 + i);
  b = a;
  b[14] = 0xee;
  b[15] = 0xff;
  enc.Add(300, a, 1);  // table 300: varint ac 02; shares nothing with zeros
  enc.Add(2, b, 2);    // shares 14 bytes with a
  Bytes want = {0xac, 0x02, 0x00};
  want.insert(want.end(), a.begin(), a.end());
  want.push_back(0x01);
  want.insert(want.end(), {0x02, 0x0e, 0xee, 0xff, 0x02});
  BOOST_TEST(enc.bytes() == want);
}

BOOST_AUTO_TEST_CASE(malformed_names_are_corruption) {
  const std::vector<Bytes> bad = {
      {0x01, 0x11},                                     // shared > 16
      {0x01, 0x10, 0x00},                               // cl 0
      {0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x01},       // table > 65535
      {0x01, 0x0f, 0xaa},                               // shared 15, suffix 1, no cl
      {0x01, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}  // cl > 2^32 - 1
  };
  for (const auto& b : bad) {
    Status s;
    auto names = DecodeAll(b, &s);
    BOOST_TEST(names.empty());
    BOOST_TEST(s.code() == Code::kCorruption, ToHex(b) << ": " << s.ToString());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sync
