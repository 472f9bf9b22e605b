// Zstandard compression of change batches and bundles, with bounded
// decompression (docs/protocol.md, "Compression").
//
// A compressed batch body is a frame that names its method and states its
// decompressed size before the zstd bytes:
//
//   zbody := "OBZ" 0x01 | u8 method (1 zstd, 2 zstd + dictionary)
//            | [u32 LE dictionary id, method 2 only]
//            | varint decompressed size (1..kMaxBatchBodyBytes) | zstd frame
//
// An uncompressed body starts with "OBC" 0x01 (docs/crdt.md) and is its own
// "none" marker, so batches written before compression still decode and a
// peer that did not offer zstd in its Hello gets plain bodies.
//
// Bounds, for bytes from a peer or a file: the stated size must not exceed
// the caller's cap (kMaxBatchBodyBytes for a batch, and what is left of a
// chunk's budget), the zstd frame must yield exactly the stated size (more
// is refused as soon as it overflows, less at the end), and the window is
// limited to kMaxWindowLog. Every refusal is kCorruption naming the rule;
// nothing here throws or aborts on input.
//
// Thread safety: a ZstdCodec holds zstd contexts and is used by one thread
// at a time; a ZstdDictionary is immutable and may be shared across threads.
#ifndef OUTPOST_SYNC_COMPRESSION_H_
#define OUTPOST_SYNC_COMPRESSION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace outpost::sync {

enum class Compression : uint8_t { kNone = 0, kZstd = 1, kZstdDictionary = 2 };

// What a sender uses for one peer: the method and, for kZstdDictionary,
// the id of a dictionary both sides hold.
struct BatchCompression {
  Compression method = Compression::kNone;
  uint32_t dictionary = 0;
};

// zstd level for batches and bundles: 3 is zstd's default, ~0.1 ms for a
// 50 KB batch; higher levels gained < 3% on simulated traffic (bench/).
inline constexpr int kDefaultZstdLevel = 3;
// Bodies larger than this use plain zstd even when a dictionary is asked
// for: zstd's own window has learnt the structure by then, and the
// dictionary only costs time (bench/compress_bench: 1,000-movement batches
// came out 0.2% larger and 1.9x slower with it).
inline constexpr size_t kMaxDictionaryBodyBytes = 16 * 1024;
// Largest zstd window a decoder accepts (2^20 = 1 MiB, the batch cap).
inline constexpr int kMaxWindowLog = 20;

// A zstd dictionary and its id (the version a batch names). Immutable.
class ZstdDictionary {
 public:
  // kInvalidArgument for an id of 0 or bytes zstd cannot load.
  static Result<std::shared_ptr<const ZstdDictionary>> Load(uint32_t id,
                                                            std::span<const uint8_t> bytes,
                                                            int level = kDefaultZstdLevel);
  ~ZstdDictionary();
  ZstdDictionary(const ZstdDictionary&) = delete;
  ZstdDictionary& operator=(const ZstdDictionary&) = delete;

  uint32_t id() const { return id_; }
  size_t size() const { return size_; }
  const void* cdict() const { return cdict_; }
  const void* ddict() const { return ddict_; }

 private:
  ZstdDictionary() = default;
  uint32_t id_ = 0;
  size_t size_ = 0;
  void* cdict_ = nullptr;  // ZSTD_CDict*, owned
  void* ddict_ = nullptr;  // ZSTD_DDict*, owned
};

// The dictionaries a node holds, by id.
class ZstdDictionaries {
 public:
  void Add(std::shared_ptr<const ZstdDictionary> d) { by_id_[d->id()] = std::move(d); }
  const ZstdDictionary* Find(uint32_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second.get();
  }
  std::vector<uint32_t> Ids() const {
    std::vector<uint32_t> ids;
    for (const auto& [id, d] : by_id_) ids.push_back(id);
    return ids;
  }

 private:
  std::map<uint32_t, std::shared_ptr<const ZstdDictionary>> by_id_;
};

// zstd contexts, reused so a batch costs no allocation beyond its output.
class ZstdCodec {
 public:
  explicit ZstdCodec(int level = kDefaultZstdLevel);
  ~ZstdCodec();
  ZstdCodec(const ZstdCodec&) = delete;
  ZstdCodec& operator=(const ZstdCodec&) = delete;

  // One zstd frame of `raw` (with `dict` when given). kInternal if zstd fails.
  Result<Bytes> Compress(std::span<const uint8_t> raw, const ZstdDictionary* dict);
  // Exactly `size` bytes out of `frame`, size <= `cap`; kCorruption naming
  // `what` for anything else (a bomb, a short frame, a bad frame).
  Result<Bytes> Decompress(std::span<const uint8_t> frame, size_t size, size_t cap,
                           const ZstdDictionary* dict, const std::string& what);

 private:
  int level_;
  void* cctx_ = nullptr;  // ZSTD_CCtx*, owned
  void* dctx_ = nullptr;  // ZSTD_DCtx*, owned
};

// True when `body` is a compressed body frame ("OBZ" 0x01).
bool IsCompressedBody(std::span<const uint8_t> body);

// The compressed frame of a raw batch body, or a copy of `raw` when
// `how` is kNone or compression would not make it smaller. A body over
// kMaxDictionaryBodyBytes gets plain zstd (method 1) whatever `how` says. kInvalidArgument
// for kZstdDictionary with a dictionary the codec's caller does not hold.
Result<Bytes> CompressBody(ZstdCodec& codec, std::span<const uint8_t> raw, BatchCompression how,
                           const ZstdDictionaries* dictionaries);

// The raw body of `body`: itself when uncompressed, else the expanded frame.
// `cap` bounds the stated size (at most kMaxBatchBodyBytes is used).
// kCorruption for a malformed frame, a size over the cap, output that does
// not match the stated size; kFailedPrecondition for a dictionary this node
// lacks (named by id).
Result<Bytes> ExpandBody(ZstdCodec& codec, std::span<const uint8_t> body, size_t cap,
                         const ZstdDictionaries* dictionaries);

// The method and stated size of a body (kNone and its own size when
// uncompressed); kCorruption for a malformed frame header.
struct BodyFrame {
  Compression method = Compression::kNone;
  uint32_t dictionary = 0;
  size_t raw_size = 0;
  size_t header_size = 0;
};
Result<BodyFrame> ReadBodyFrame(std::span<const uint8_t> body);

// A bundle payload's compressed form (bundle version 2, docs/protocol.md):
//   u8 method 1 | varint decompressed size | zstd frame
// Expansion grows the output as the frame yields it (no allocation of the
// stated size up front) and refuses past min(stated, cap).
Result<Bytes> CompressPayload(ZstdCodec& codec, std::span<const uint8_t> raw);
Result<Bytes> ExpandPayload(std::span<const uint8_t> packed, size_t cap);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_COMPRESSION_H_
