// Fuzz target: change-batch bodies, signed envelopes (plain and with a
// compressed body), compressed body frames, bundle payload frames and column
// versions, all bytes a peer or a bundle file controls. A body that decodes
// must re-encode to the same bytes (the format is canonical); a compressed
// body must expand to exactly its stated size, never past the cap, and
// compress back to a frame that expands to the same bytes. Seeds include
// zstd bombs (tests/fuzz/corpus/change_batch/bomb-*).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "sync/change_batch.h"
#include "sync/column_versions.h"
#include "sync/compression.h"

using namespace outpost;

namespace {

// A small dictionary (id 1), so frames that name one reach the decoder.
const sync::ZstdDictionaries& Dictionaries() {
  static const sync::ZstdDictionaries* held = [] {
    Bytes content;
    for (int i = 0; i < 64; ++i) {
      const char s[] = "OBC\x01site:BA-GRAshared entry exit passenger_car BIH HRV";
      content.insert(content.end(), s, s + sizeof s - 1);
    }
    auto* d = new sync::ZstdDictionaries();
    d->Add(*sync::ZstdDictionary::Load(1, content));
    return d;
  }();
  return *held;
}

constexpr size_t kCap = 64 * 1024;  // a chunk's worth: bombs must stop here

void CheckCompressed(std::span<const uint8_t> in, sync::ZstdCodec& codec) {
  auto frame = sync::ReadBodyFrame(in);
  auto raw = sync::ExpandBody(codec, in, kCap, &Dictionaries());
  if (raw.ok()) {
    if (raw->size() > kCap) std::abort();
    if (sync::IsCompressedBody(in) && (!frame.ok() || raw->size() != frame->raw_size)) std::abort();
    auto again = sync::CompressBody(codec, *raw, {sync::Compression::kZstd, 0}, nullptr);
    if (!again.ok()) std::abort();
    auto twice = sync::ExpandBody(codec, *again, kCap, nullptr);
    if (!twice.ok() || *twice != *raw) std::abort();
  }
  auto payload = sync::ExpandPayload(in, kCap);
  if (payload.ok() && payload->size() > kCap) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto body = sync::DecodeBatchBody(in);
  if (body.ok()) {
    Bytes again = sync::EncodeBatchBody(*body);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
      // Non-canonical encodings (overlong varints, own-HLC equal to the
      // batch's) may decode; their re-encoding must decode to the same batch.
      auto twice = sync::DecodeBatchBody(again);
      if (!twice.ok() || twice->rows.size() != body->rows.size()) std::abort();
    }
  }
  static sync::ZstdCodec codec;
  auto env = sync::DecodeSignedBatch(in, codec, &Dictionaries(), kCap);
  if (env.ok()) {
    if (sync::IsCompressedBody(env->body) || env->body.size() > sync::kMaxBatchBodyBytes) {
      std::abort();  // always expanded, and within the batch cap
    }
    Bytes again = sync::EncodeSignedBatch(*env);
    auto twice = sync::DecodeSignedBatch(again);
    if (!twice.ok() || twice->body != env->body || twice->signature != env->signature) std::abort();
  }
  CheckCompressed(in, codec);
  sync::ColumnVersions v;
  if (sync::ColumnVersions::Decode(in, &v)) {
    sync::ColumnVersions w;
    if (!sync::ColumnVersions::Decode(v.Encode(), &w) || w.entries().size() != v.entries().size()) {
      std::abort();
    }
  }
  return 0;
}
