// Fuzz target: change-batch bodies, signed envelopes and column versions,
// all bytes a peer or a bundle file controls. A body that decodes must
// re-encode to the same bytes (the format is canonical).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "sync/change_batch.h"
#include "sync/column_versions.h"

using namespace outpost;

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
  auto env = sync::DecodeSignedBatch(in);
  if (env.ok()) {
    Bytes again = sync::EncodeSignedBatch(*env);
    auto twice = sync::DecodeSignedBatch(again);
    if (!twice.ok() || twice->body != env->body || twice->signature != env->signature) std::abort();
  }
  sync::ColumnVersions v;
  if (sync::ColumnVersions::Decode(in, &v)) {
    sync::ColumnVersions w;
    if (!sync::ColumnVersions::Decode(v.Encode(), &w) || w.entries().size() != v.entries().size()) {
      std::abort();
    }
  }
  return 0;
}
