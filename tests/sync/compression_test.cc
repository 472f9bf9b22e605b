// Compressed change batches and bundle payloads (sync/compression.h): round
// trips to the exact raw body the signature covers, plain batches from
// before compression, and every refusal of the bounded decoder (a size over
// the cap, a bomb, a short frame, a missing dictionary).
#include "sync/compression.h"

#include <boost/test/unit_test.hpp>
#include <cstring>

#include "sync/change_batch.h"

using namespace outpost;
using namespace outpost::sync;

namespace {

// A batch of `rows` rows shaped like a crossing's records: codes and
// enumerations repeat, ids do not.
ChangeBatch SampleBatch(int rows) {
  ChangeBatch b;
  b.origin[0] = 7;
  b.scope = "site:BA-GRA";
  b.seq = 3;
  b.schema_version = 4;
  b.hlc = 1'780'000'000'000'000ULL << 16;
  for (int i = 0; i < rows; ++i) {
    RowChange r;
    r.table = static_cast<uint16_t>(1 + i % 3);
    r.id[0] = static_cast<uint8_t>(i);
    r.id[9] = static_cast<uint8_t>(i * 37);
    r.columns.push_back({1, b.hlc, schema::Value{std::string(i % 2 ? "entry" : "exit")}});
    r.columns.push_back({2, b.hlc, schema::Value{std::string("BIH")}});
    r.columns.push_back({3, b.hlc, schema::Value{std::string("passenger_car")}});
    r.columns.push_back({4, b.hlc, schema::Value{int64_t{1'780'000'000} + i}});
    b.rows.push_back(std::move(r));
  }
  return b;
}

SignedBatch Signed(const ChangeBatch& b) {
  SignedBatch s;
  s.body = EncodeBatchBody(b);
  s.signature.assign(64, 0xA5);
  return s;
}

// A compressed body frame stating `stated` bytes around the zstd frame `z`.
Bytes Frame(uint64_t stated, const Bytes& z, uint8_t method = 1) {
  Bytes f{'O', 'B', 'Z', 1, method};
  PutVarint(f, stated);
  f.insert(f.end(), z.begin(), z.end());
  return f;
}

const BatchCompression kZstd{Compression::kZstd, 0};

}  // namespace

BOOST_AUTO_TEST_SUITE(compression)

BOOST_AUTO_TEST_CASE(a_zstd_batch_decodes_to_the_raw_body_its_signature_covers) {
  SignedBatch s = Signed(SampleBatch(40));
  ZstdCodec codec;
  auto packed = EncodeSignedBatch(s, codec, kZstd, nullptr);
  BOOST_REQUIRE(packed.ok());
  Bytes plain = EncodeSignedBatch(s);
  BOOST_TEST(packed->size() < plain.size() / 2, packed->size() << " vs " << plain.size());
  auto back = DecodeSignedBatch(*packed, codec, nullptr, kMaxBatchBodyBytes);
  BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  BOOST_TEST(back->body == s.body);
  BOOST_TEST(back->signature == s.signature);
  // The one-shot decoder expands too.
  auto again = DecodeSignedBatch(*packed);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->body == s.body);
}

BOOST_AUTO_TEST_CASE(a_plain_batch_from_before_compression_still_decodes) {
  SignedBatch s = Signed(SampleBatch(5));
  Bytes plain = EncodeSignedBatch(s);
  ZstdCodec codec;
  auto back = DecodeSignedBatch(plain, codec, nullptr, kMaxBatchBodyBytes);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back->body == s.body);
  auto f = ReadBodyFrame(back->body);
  BOOST_REQUIRE(f.ok());
  BOOST_TEST(static_cast<int>(f->method) == static_cast<int>(Compression::kNone));
}

BOOST_AUTO_TEST_CASE(a_body_compression_does_not_shrink_travels_plain) {
  Bytes raw{'O', 'B', 'C', 1, 9, 9};  // too short for zstd to win
  ZstdCodec codec;
  auto out = CompressBody(codec, raw, kZstd, nullptr);
  BOOST_REQUIRE(out.ok());
  BOOST_TEST(*out == raw);
}

// RFC 8878 frame made by the zstd CLI (1.5.4, `echo -n outpost | zstd -19`).
BOOST_AUTO_TEST_CASE(a_frame_from_the_zstd_tool_expands_to_its_stated_size) {
  const Bytes z{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x39, 0x00, 0x00, 0x6f,
                0x75, 0x74, 0x70, 0x6f, 0x73, 0x74, 0x3b, 0x0f, 0x18, 0x86};
  ZstdCodec codec;
  auto out = ExpandBody(codec, Frame(7, z), kMaxBatchBodyBytes, nullptr);
  BOOST_REQUIRE_MESSAGE(out.ok(), out.status().ToString());
  BOOST_TEST(std::string(out->begin(), out->end()) == "outpost");
  // The frame (streamed by the tool) states no size of its own: stated 6,
  // the output overflows; stated 8, it falls short. Both refused.
  auto bomb = ExpandBody(codec, Frame(6, z), kMaxBatchBodyBytes, nullptr);
  BOOST_TEST(bomb.status().code() == Code::kCorruption);
  auto short_out = ExpandBody(codec, Frame(8, z), kMaxBatchBodyBytes, nullptr);
  BOOST_TEST(short_out.status().code() == Code::kCorruption);
  BOOST_TEST(short_out.status().message().find("decompresses to 7 bytes") != std::string::npos,
             short_out.status().ToString());
}

BOOST_AUTO_TEST_CASE(a_compressed_body_inside_a_compressed_body_is_refused) {
  SignedBatch s = Signed(SampleBatch(30));
  ZstdCodec codec;
  auto once = CompressBody(codec, s.body, kZstd, nullptr);
  BOOST_REQUIRE(once.ok());
  auto z = codec.Compress(*once, nullptr);
  BOOST_REQUIRE(z.ok());
  auto nested = ExpandBody(codec, Frame(once->size(), *z), kMaxBatchBodyBytes, nullptr);
  BOOST_TEST(nested.status().code() == Code::kCorruption);
  BOOST_TEST(nested.status().message().find("another compressed body") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_decompression_bomb_is_refused) {
  ZstdCodec codec;
  Bytes zeros(kMaxBatchBodyBytes, 0);
  auto z = codec.Compress(zeros, nullptr);
  BOOST_REQUIRE(z.ok());
  BOOST_TEST(z->size() < 200u);
  // Stated small: the output overflows the stated size and is refused.
  auto bomb = ExpandBody(codec, Frame(100, *z), kMaxBatchBodyBytes, nullptr);
  BOOST_TEST(bomb.status().code() == Code::kCorruption);
  BOOST_TEST(bomb.status().message().find("100") != std::string::npos, bomb.status().ToString());
  // Stated truthfully but over what the chunk has left: refused unopened.
  auto over = ExpandBody(codec, Frame(zeros.size(), *z), 4096, nullptr);
  BOOST_TEST(over.status().code() == Code::kCorruption);
  BOOST_TEST(over.status().message().find("more than the 4096 allowed") != std::string::npos,
             over.status().ToString());
}

BOOST_AUTO_TEST_CASE(a_stated_size_over_the_batch_cap_is_refused) {
  ZstdCodec codec;
  auto z = codec.Compress(Bytes(16, 1), nullptr);
  BOOST_REQUIRE(z.ok());
  auto f = ReadBodyFrame(Frame(kMaxBatchBodyBytes + 1, *z));
  BOOST_TEST(f.status().code() == Code::kCorruption);
  BOOST_TEST(f.status().message().find("more than the limit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(output_shorter_than_stated_is_refused) {
  ZstdCodec codec;
  // The frame's own content size (1000) and the header's (1001) disagree.
  Bytes raw(1000, 'x');
  auto z = codec.Compress(raw, nullptr);
  BOOST_REQUIRE(z.ok());
  auto out = ExpandBody(codec, Frame(1000, *z), kMaxBatchBodyBytes, nullptr);
  BOOST_REQUIRE(out.ok());
  auto lie = ExpandBody(codec, Frame(1001, *z), kMaxBatchBodyBytes, nullptr);
  BOOST_TEST(lie.status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(a_truncated_or_garbled_frame_is_corruption_not_a_crash) {
  SignedBatch s = Signed(SampleBatch(30));
  ZstdCodec codec;
  auto body = CompressBody(codec, s.body, kZstd, nullptr);
  BOOST_REQUIRE(body.ok());
  BOOST_REQUIRE(IsCompressedBody(*body));
  for (size_t cut = 0; cut < body->size(); ++cut) {
    auto out = ExpandBody(codec, std::span(*body).first(cut), kMaxBatchBodyBytes, nullptr);
    if (cut >= 4) BOOST_TEST(!out.ok(), "cut at " << cut);
  }
  Bytes unknown = *body;
  unknown[4] = 7;
  BOOST_TEST(ExpandBody(codec, unknown, kMaxBatchBodyBytes, nullptr).status().code() ==
             Code::kCorruption);
}

BOOST_AUTO_TEST_CASE(a_batch_naming_a_dictionary_this_node_lacks_is_refused_by_name) {
  Bytes dict_bytes;
  for (int i = 0; i < 50; ++i) {
    for (const char* w : {"entry", "exit", "BIH", "HRV", "passenger_car", "site:BA-GRA"}) {
      dict_bytes.insert(dict_bytes.end(), w, w + std::strlen(w));
    }
  }
  auto dict = ZstdDictionary::Load(42, dict_bytes);
  BOOST_REQUIRE(dict.ok());
  ZstdDictionaries held;
  held.Add(*dict);
  SignedBatch s = Signed(SampleBatch(3));
  ZstdCodec codec;
  auto with = EncodeSignedBatch(s, codec, {Compression::kZstdDictionary, 42}, &held);
  BOOST_REQUIRE(with.ok());
  auto back = DecodeSignedBatch(*with, codec, &held, kMaxBatchBodyBytes);
  BOOST_REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  BOOST_TEST(back->body == s.body);
  ZstdDictionaries none;
  auto lacking = DecodeSignedBatch(*with, codec, &none, kMaxBatchBodyBytes);
  BOOST_TEST(lacking.status().code() == Code::kFailedPrecondition);
  BOOST_TEST(lacking.status().message().find("dictionary 42") != std::string::npos);
  // A large body gets plain zstd: the dictionary no longer pays.
  auto large = CompressBody(codec, Signed(SampleBatch(1000)).body,
                            {Compression::kZstdDictionary, 42}, &held);
  BOOST_REQUIRE(large.ok());
  BOOST_TEST(static_cast<int>(ReadBodyFrame(*large)->method) == 1);
  // The sender cannot name a dictionary it does not hold.
  auto bad = EncodeSignedBatch(s, codec, {Compression::kZstdDictionary, 43}, &held);
  BOOST_TEST(bad.status().code() == Code::kInvalidArgument);
}

BOOST_AUTO_TEST_CASE(a_bundle_payload_round_trips_and_its_bomb_is_refused) {
  ZstdCodec codec;
  Bytes raw(300'000, 'q');
  auto packed = CompressPayload(codec, raw);
  BOOST_REQUIRE(packed.ok());
  auto back = ExpandPayload(*packed, 1 << 20);
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(*back == raw);
  // The same frame stating fewer bytes than it yields, and a cap below it.
  Bytes lie{1};
  PutVarint(lie, 1000);
  lie.insert(lie.end(), packed->begin() + 4, packed->end());
  BOOST_TEST(ExpandPayload(lie, 1 << 20).status().code() == Code::kCorruption);
  BOOST_TEST(ExpandPayload(*packed, 1000).status().code() == Code::kCorruption);
  // Truncated: corruption, not a hang.
  Bytes cut(packed->begin(), packed->end() - 5);
  BOOST_TEST(ExpandPayload(cut, 1 << 20).status().code() == Code::kCorruption);
}

BOOST_AUTO_TEST_SUITE_END()
