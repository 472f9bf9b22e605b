// Fuzz target: everything a sync peer or a bundle file controls before any
// key opens it and after: the preamble, the frame stream, the session
// messages (Hello, Chunk, Ack, Done, Error, Rotate, RotateReply) and the bundle payload. Decoders
// must return errors, never crash, never allocate past the input's bounds; a
// message that decodes must re-encode and decode to the same kind.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "sync/frame.h"
#include "sync/wire.h"

using namespace outpost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)sync::DecodePreamble(in.first(std::min(size, sync::kPreambleBytes)));

  // The frame stream, fed in two pieces split where the first byte says.
  sync::FrameDecoder frames(1024);
  size_t split = size > 0 ? data[0] % (size + 1) : 0;
  frames.Feed(in.first(split));
  frames.Feed(in.subspan(split));
  for (int i = 0; i < 64; ++i) {
    auto f = frames.Next();
    if (!f.ok() || !f->has_value()) break;
    if ((*f)->empty() || (*f)->size() > 1024) std::abort();
  }

  auto m = sync::DecodeMessage(in, sync::kMaxMessageBytes);
  if (m.ok()) {
    Bytes again = sync::EncodeMessage(*m);
    auto twice = sync::DecodeMessage(again, sync::kMaxMessageBytes);
    if (!twice.ok() || twice->index() != m->index()) std::abort();
  }
  auto b = sync::DecodeBundlePayload(in, size);
  if (b.ok()) {
    Bytes again = sync::EncodeBundlePayload(*b);
    auto twice = sync::DecodeBundlePayload(again, again.size());
    if (!twice.ok() || twice->batches.size() != b->batches.size()) std::abort();
  }
  return 0;
}
