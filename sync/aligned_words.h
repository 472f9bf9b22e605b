// Untrusted bytes copied into word-aligned memory for Cap'n Proto's
// FlatArrayMessageReader, which needs alignment and whole 8-byte words (a
// trailing partial word is dropped: the reader then refuses the message).
// Shared by the batch and session decoders (change_batch.cc, wire.cc).
#ifndef OUTPOST_SYNC_ALIGNED_WORDS_H_
#define OUTPOST_SYNC_ALIGNED_WORDS_H_

#include <capnp/common.h>
#include <kj/array.h>

#include <cstdint>
#include <cstring>
#include <span>

namespace outpost::sync {

inline kj::Array<capnp::word> Aligned(std::span<const uint8_t> bytes) {
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  return words;
}

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_ALIGNED_WORDS_H_
