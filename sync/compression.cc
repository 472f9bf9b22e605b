#include "sync/compression.h"

#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>

#include "sync/change_batch.h"

namespace outpost::sync {

namespace {

constexpr uint8_t kZMagic[4] = {'O', 'B', 'Z', 1};  // compressed batch body, format 1

Status Corrupt(const std::string& what) { return Status::Corruption(what); }

ZSTD_CCtx* C(void* p) { return static_cast<ZSTD_CCtx*>(p); }
ZSTD_DCtx* D(void* p) { return static_cast<ZSTD_DCtx*>(p); }

}  // namespace

Result<std::shared_ptr<const ZstdDictionary>> ZstdDictionary::Load(uint32_t id,
                                                                   std::span<const uint8_t> bytes,
                                                                   int level) {
  if (id == 0) return Status::InvalidArgument("zstd dictionary: id 0 is reserved (no dictionary)");
  std::shared_ptr<ZstdDictionary> d(new ZstdDictionary());
  d->id_ = id;
  d->size_ = bytes.size();
  d->cdict_ = ZSTD_createCDict(bytes.data(), bytes.size(), level);
  d->ddict_ = ZSTD_createDDict(bytes.data(), bytes.size());
  if (!d->cdict_ || !d->ddict_) {
    return Status::InvalidArgument("zstd dictionary " + std::to_string(id) + ": " +
                                   std::to_string(bytes.size()) + " bytes zstd cannot load");
  }
  return std::shared_ptr<const ZstdDictionary>(std::move(d));
}

ZstdDictionary::~ZstdDictionary() {
  ZSTD_freeCDict(static_cast<ZSTD_CDict*>(cdict_));
  ZSTD_freeDDict(static_cast<ZSTD_DDict*>(ddict_));
}

ZstdCodec::ZstdCodec(int level)
    : level_(level), cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()) {
  ZSTD_DCtx_setParameter(D(dctx_), ZSTD_d_windowLogMax, kMaxWindowLog);
}

ZstdCodec::~ZstdCodec() {
  ZSTD_freeCCtx(C(cctx_));
  ZSTD_freeDCtx(D(dctx_));
}

Result<Bytes> ZstdCodec::Compress(std::span<const uint8_t> raw, const ZstdDictionary* dict) {
  if (!cctx_) return Status::Internal("zstd: no compression context (out of memory)");
  Bytes out(ZSTD_compressBound(raw.size()));
  size_t n;
  if (dict) {
    n = ZSTD_compress_usingCDict(C(cctx_), out.data(), out.size(), raw.data(), raw.size(),
                                 static_cast<const ZSTD_CDict*>(dict->cdict()));
  } else {
    n = ZSTD_compressCCtx(C(cctx_), out.data(), out.size(), raw.data(), raw.size(), level_);
  }
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<Bytes> ZstdCodec::Decompress(std::span<const uint8_t> frame, size_t size, size_t cap,
                                    const ZstdDictionary* dict, const std::string& what) {
  if (!dctx_) return Status::Internal("zstd: no decompression context (out of memory)");
  if (size > cap) {
    return Corrupt(what + ": states " + std::to_string(size) +
                   " bytes decompressed, more than the " + std::to_string(cap) + " allowed");
  }
  // A frame that states its own content size must state the same one.
  unsigned long long own = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (own == ZSTD_CONTENTSIZE_ERROR) return Corrupt(what + ": not a zstd frame");
  if (own != ZSTD_CONTENTSIZE_UNKNOWN && own != size) {
    return Corrupt(what + ": the zstd frame holds " + std::to_string(own) +
                   " bytes, the header states " + std::to_string(size));
  }
  // Room for one byte more than stated: output that fills it is a bomb.
  Bytes out(size + 1);
  ZSTD_DCtx_reset(D(dctx_), ZSTD_reset_session_only);
  size_t n =
      ZSTD_decompress_usingDDict(D(dctx_), out.data(), out.size(), frame.data(), frame.size(),
                                 dict ? static_cast<const ZSTD_DDict*>(dict->ddict()) : nullptr);
  if (ZSTD_isError(n)) {
    if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) {
      return Corrupt(what + ": decompresses to more than the " + std::to_string(size) +
                     " bytes stated (refused)");
    }
    return Corrupt(what + ": zstd: " + ZSTD_getErrorName(n));
  }
  if (n != size) {
    return Corrupt(what + ": decompresses to " + std::to_string(n) + " bytes, the header states " +
                   std::to_string(size));
  }
  out.resize(n);
  return out;
}

bool IsCompressedBody(std::span<const uint8_t> body) {
  return body.size() >= 4 && std::memcmp(body.data(), kZMagic, 4) == 0;
}

Result<BodyFrame> ReadBodyFrame(std::span<const uint8_t> body) {
  BodyFrame f;
  if (!IsCompressedBody(body)) {
    f.raw_size = body.size();
    return f;
  }
  size_t pos = 4;
  if (pos >= body.size()) return Corrupt("compressed batch: truncated before its method");
  const uint8_t method = body[pos++];
  if (method != 1 && method != 2) {
    return Corrupt("compressed batch: method " + std::to_string(method) +
                   " is not one this node reads (1 zstd, 2 zstd with a dictionary)");
  }
  f.method = static_cast<Compression>(method);
  if (f.method == Compression::kZstdDictionary) {
    if (body.size() - pos < 4) return Corrupt("compressed batch: truncated dictionary id");
    for (int i = 3; i >= 0; --i) f.dictionary = (f.dictionary << 8) | body[pos + i];
    pos += 4;
    if (f.dictionary == 0) return Corrupt("compressed batch: dictionary id 0");
  }
  uint64_t size;
  if (!GetVarint(body, &pos, &size) || size == 0) {
    return Corrupt("compressed batch: decompressed size missing or 0");
  }
  if (size > kMaxBatchBodyBytes) {
    return Corrupt("compressed batch: states " + std::to_string(size) +
                   " bytes decompressed, more than the limit of " +
                   std::to_string(kMaxBatchBodyBytes));
  }
  f.raw_size = static_cast<size_t>(size);
  f.header_size = pos;
  return f;
}

Result<Bytes> CompressBody(ZstdCodec& codec, std::span<const uint8_t> raw, BatchCompression how,
                           const ZstdDictionaries* dictionaries) {
  if (how.method == Compression::kNone || raw.empty() || raw.size() > kMaxBatchBodyBytes) {
    return Bytes(raw.begin(), raw.end());
  }
  const ZstdDictionary* dict = nullptr;
  if (how.method == Compression::kZstdDictionary) {
    dict = dictionaries ? dictionaries->Find(how.dictionary) : nullptr;
    if (!dict) {
      return Status::InvalidArgument("compressed batch: this node holds no dictionary " +
                                     std::to_string(how.dictionary));
    }
    if (raw.size() > kMaxDictionaryBodyBytes) {
      dict = nullptr;
      how.method = Compression::kZstd;
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(Bytes z, codec.Compress(raw, dict));
  Bytes out(kZMagic, kZMagic + 4);
  out.push_back(static_cast<uint8_t>(how.method));
  if (dict) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(dict->id() >> (8 * i)));
  }
  PutVarint(out, raw.size());
  if (out.size() + z.size() >= raw.size()) return Bytes(raw.begin(), raw.end());
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

Result<Bytes> ExpandBody(ZstdCodec& codec, std::span<const uint8_t> body, size_t cap,
                         const ZstdDictionaries* dictionaries) {
  OUTPOST_ASSIGN_OR_RETURN(BodyFrame f, ReadBodyFrame(body));
  if (f.method == Compression::kNone) return Bytes(body.begin(), body.end());
  const ZstdDictionary* dict = nullptr;
  if (f.method == Compression::kZstdDictionary) {
    dict = dictionaries ? dictionaries->Find(f.dictionary) : nullptr;
    if (!dict) {
      return Status::FailedPrecondition("compressed batch: names dictionary " +
                                        std::to_string(f.dictionary) +
                                        ", which this node does not hold");
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(
      Bytes raw, codec.Decompress(body.subspan(f.header_size), f.raw_size,
                                  std::min(cap, kMaxBatchBodyBytes), dict, "compressed batch"));
  // One level only: a frame inside a frame would dodge the chunk's budget.
  if (IsCompressedBody(raw)) return Corrupt("compressed batch: holds another compressed body");
  return raw;
}

Result<Bytes> CompressPayload(ZstdCodec& codec, std::span<const uint8_t> raw) {
  OUTPOST_ASSIGN_OR_RETURN(Bytes z, codec.Compress(raw, nullptr));
  Bytes out{static_cast<uint8_t>(Compression::kZstd)};
  PutVarint(out, raw.size());
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

Result<Bytes> ExpandPayload(std::span<const uint8_t> packed, size_t cap) {
  size_t pos = 0;
  uint64_t stated;
  if (packed.empty() || packed[0] != static_cast<uint8_t>(Compression::kZstd)) {
    return Corrupt("bundle payload: compression method is not 1 (zstd)");
  }
  pos = 1;
  if (!GetVarint(packed, &pos, &stated)) return Corrupt("bundle payload: truncated size");
  if (stated > cap) {
    return Corrupt("bundle payload: states " + std::to_string(stated) +
                   " bytes decompressed, more than the " + std::to_string(cap) + " allowed");
  }
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Status::Internal("zstd: no decompression context (out of memory)");
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, 23);
  // Grow with the output, never to the stated size up front: a lying header
  // costs nothing until the frame really yields that much.
  Bytes out(std::min<size_t>(stated + 1, packed.size() * 4 + 65536));
  ZSTD_inBuffer in{packed.data() + pos, packed.size() - pos, 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  for (;;) {
    size_t r = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(r))
      return Corrupt(std::string("bundle payload: zstd: ") + ZSTD_getErrorName(r));
    if (o.pos > stated) {
      return Corrupt("bundle payload: decompresses to more than the " + std::to_string(stated) +
                     " bytes stated (refused)");
    }
    if (r == 0 && in.pos == in.size) break;
    if (o.pos == o.size) {
      out.resize(std::min<size_t>(stated + 1, out.size() * 2));
      o.dst = out.data();
      o.size = out.size();
    } else if (in.pos == in.size) {
      return Corrupt("bundle payload: zstd frame is truncated");
    }
  }
  if (o.pos != stated) {
    return Corrupt("bundle payload: decompresses to " + std::to_string(o.pos) +
                   " bytes, the header states " + std::to_string(stated));
  }
  out.resize(o.pos);
  return out;
}

}  // namespace outpost::sync
