#include "sync/change_batch.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "schema/change.capnp.h"
#include "sync/aligned_words.h"

namespace outpost::sync {

namespace cp = ::outpost::schema::capnp;

size_t ChangeBatch::ColumnChangeCount() const {
  size_t n = 0;
  for (const auto& r : rows) n += r.columns.size();
  return n;
}

namespace {

kj::ArrayPtr<const kj::byte> AsKj(std::span<const uint8_t> s) {
  return kj::ArrayPtr<const kj::byte>(s.data(), s.size());
}

capnp::ReaderOptions PeerLimits(size_t bytes) {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = bytes / 2 + 1024;
  o.nestingLimit = 16;
  return o;
}

constexpr uint8_t kBatchMagic[4] = {'O', 'B', 'C', 1};  // Outpost batch, format 1

// Value tags (low 3 bits) and the "own HLC" flag.
constexpr uint8_t kNull = 0, kInt = 1, kReal = 2, kText = 3, kBlob = 4;
constexpr uint8_t kOwnHlc = 0x08;

// resize + memcpy: GCC 12 warns (falsely) on vector::insert of small spans.
void Append(Bytes& out, const void* p, size_t n) {
  if (n == 0) return;
  size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, p, n);
}
void PutBytes(Bytes& out, std::span<const uint8_t> b) { Append(out, b.data(), b.size()); }

// A bounds-checked reader over untrusted bytes.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool Varint(uint64_t* v) { return GetVarint(in_, &pos_, v); }
  bool Fixed(uint8_t* out, size_t n) {
    if (in_.size() - pos_ < n) return false;
    std::memcpy(out, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Byte(uint8_t* b) { return Fixed(b, 1); }
  bool Span(size_t n, std::span<const uint8_t>* out) {
    if (in_.size() - pos_ < n) return false;
    *out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
};

Status Bad(const std::string& what) { return Status::Corruption("change batch: " + what); }

}  // namespace

namespace {

// The varint of PutVarint, stored at p (room for 10 bytes); returns the end.
uint8_t* StoreVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

constexpr size_t kMaxVarint = 10;

}  // namespace

BatchBodyBuilder::BatchBodyBuilder(const NodeId& origin, std::string scope, uint32_t schema_version,
                                   HlcTime hlc, size_t capacity)
    : origin_(origin),
      scope_(std::move(scope)),
      schema_version_(schema_version),
      hlc_(hlc),
      // magic, origin, scope, seq, prev_hash, schema, hlc, nrows
      header_room_(4 + 16 + kMaxVarint + scope_.size() + kMaxVarint + 32 + kMaxVarint + kMaxVarint +
                   kMaxVarint),
      buf_(std::make_unique_for_overwrite<uint8_t[]>(header_room_ + capacity)),
      cap_(header_room_ + capacity),
      len_(header_room_) {}

void BatchBodyBuilder::Grow(size_t n) {
  size_t cap = std::max(cap_ * 2, len_ + n);
  auto bigger = std::make_unique_for_overwrite<uint8_t[]>(cap);
  std::memcpy(bigger.get(), buf_.get(), len_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

void BatchBodyBuilder::BeginRow(uint16_t table, const Uuid& id, uint32_t causal_length,
                                size_t columns) {
  uint8_t* p = Room(3 * kMaxVarint + 16);
  uint8_t* const start = p;
  p = StoreVarint(p, table);
  std::memcpy(p, id.data(), 16);
  p = StoreVarint(p + 16, causal_length);
  p = StoreVarint(p, columns);
  len_ += static_cast<size_t>(p - start);
  ++rows_;
}

void BatchBodyBuilder::AddColumn(uint16_t column, HlcTime hlc, const schema::Value& value) {
  ValueRef ref;
  ref.kind = static_cast<uint8_t>(value.index());
  switch (value.index()) {
    case 1:
      ref.i = std::get<int64_t>(value);
      break;
    case 2:
      ref.d = std::get<double>(value);
      break;
    case 3: {
      const auto& s = std::get<std::string>(value);
      ref.bytes = {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
      break;
    }
    case 4:
      ref.bytes = std::get<Bytes>(value);
      break;
    default:
      break;
  }
  AddColumn(column, hlc, ref);
}

void BatchBodyBuilder::AddColumn(uint16_t column, HlcTime hlc, const ValueRef& value) {
  const bool own = hlc != hlc_;
  const uint8_t flags = own ? kOwnHlc : 0;
  const size_t payload = value.kind >= 3 ? value.bytes.size() : 0;  // text and blob bytes
  // column, tag, value (at most a varint length + payload), own hlc
  uint8_t* p = Room(kMaxVarint + 1 + kMaxVarint + payload + kMaxVarint);
  uint8_t* const start = p;
  p = StoreVarint(p, column);
  switch (value.kind) {
    default:
      *p++ = kNull | flags;
      break;
    case 1: {
      *p++ = kInt | flags;
      int64_t x = value.i;
      p = StoreVarint(p, (static_cast<uint64_t>(x) << 1) ^ static_cast<uint64_t>(x >> 63));
      break;
    }
    case 2: {
      *p++ = kReal | flags;
      uint64_t bits;
      std::memcpy(&bits, &value.d, 8);
      for (int i = 0; i < 8; ++i) *p++ = static_cast<uint8_t>(bits >> (8 * i));
      break;
    }
    case 3: {
      *p++ = kText | flags;
      p = StoreVarint(p, payload);
      if (payload) std::memcpy(p, value.bytes.data(), payload);
      p += payload;
      break;
    }
    case 4: {
      *p++ = kBlob | flags;
      p = StoreVarint(p, payload);
      if (payload) std::memcpy(p, value.bytes.data(), payload);
      p += payload;
      break;
    }
  }
  if (own) p = StoreVarint(p, hlc);
  len_ += static_cast<size_t>(p - start);
}

std::span<const uint8_t> BatchBodyBuilder::FinishInPlace(uint64_t seq, const Hash& prev_hash) {
  // The header is at most header_room_ bytes: built on its own, then placed
  // right before the rows.
  Bytes header;
  header.reserve(header_room_);
  Append(header, kBatchMagic, 4);
  PutBytes(header, origin_);
  PutVarint(header, scope_.size());
  Append(header, scope_.data(), scope_.size());
  PutVarint(header, seq);
  PutBytes(header, prev_hash);
  PutVarint(header, schema_version_);
  PutVarint(header, hlc_);
  PutVarint(header, rows_);
  uint8_t* body = buf_.get() + header_room_ - header.size();
  std::memcpy(body, header.data(), header.size());
  std::span<const uint8_t> out(body, len_ - header_room_ + header.size());
  len_ = header_room_;
  rows_ = 0;
  return out;
}

Bytes BatchBodyBuilder::Finish(uint64_t seq, const Hash& prev_hash) {
  auto body = FinishInPlace(seq, prev_hash);
  return Bytes(body.begin(), body.end());
}

Bytes EncodeBatchBody(const ChangeBatch& batch) {
  BatchBodyBuilder b(batch.origin, batch.scope, batch.schema_version, batch.hlc);
  for (const auto& r : batch.rows) {
    b.BeginRow(r.table, r.id, r.causal_length, r.columns.size());
    for (const auto& c : r.columns) b.AddColumn(c.column, c.hlc, c.value);
  }
  return b.Finish(batch.seq, batch.prev_hash);
}

namespace {

// The decoder of EncodeBatchBody's bytes, one function per part of the
// grammar (docs/crdt.md, "Change batch format"):
//   body   := "OBC" 0x01 | origin (16) | varint scope length (1..64) | scope
//             | varint seq (>= 1) | prev_hash (32) | varint schema | varint hlc
//             | varint nrows | row*
//   row    := varint table | id (16) | varint cl (>= 1) | varint ncols | column*
//   column := varint column | tag (kind in the low 3 bits; kOwnHlc) | value
//             | [varint hlc, with kOwnHlc]
//   value  := null: nothing | int: zigzag varint | real: 8 bytes LE
//             | text, blob: varint length + bytes
// Each returns kCorruption ("change batch: ...") for what it cannot read.

// A scope name is a node's name for a change log ("shared", "site:BA-GRA"):
// letters, digits and ":._-" only, so a peer's scope can never carry
// control bytes into a log line or a terminal (issue 16, flaw 8).
Status CheckScopeName(std::span<const uint8_t> scope) {
  for (uint8_t c : scope) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '.' || c == '_' || c == '-';
    if (!ok) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return Bad(std::string("scope holds byte ") + hex +
                 ": a scope name is letters, digits and \":._-\" only");
    }
  }
  return Status::Ok();
}

// Everything before the rows, into `out`; the row count into `nrows`.
Status DecodeHeader(Reader& r, ChangeBatch& out, uint64_t& nrows) {
  uint8_t magic[4];
  if (!r.Fixed(magic, 4) || std::memcmp(magic, kBatchMagic, 4) != 0) {
    return Bad("does not start with the batch format marker (format 1)");
  }
  uint64_t scope_len, seq, schema_version, hlc;
  std::span<const uint8_t> scope;
  if (!r.Fixed(out.origin.data(), 16)) return Bad("truncated origin");
  if (!r.Varint(&scope_len) || scope_len == 0 || scope_len > kMaxScopeBytes ||
      !r.Span(scope_len, &scope)) {
    return Bad("scope is missing, empty or longer than 64 bytes");
  }
  OUTPOST_RETURN_IF_ERROR(CheckScopeName(scope));
  out.scope.assign(scope.begin(), scope.end());
  if (!r.Varint(&seq) || seq == 0) return Bad("sequence number missing or 0");
  out.seq = seq;
  if (!r.Fixed(out.prev_hash.data(), 32)) return Bad("truncated previous hash");
  if (!r.Varint(&schema_version) || schema_version > UINT32_MAX) return Bad("bad schema version");
  out.schema_version = static_cast<uint32_t>(schema_version);
  if (!r.Varint(&hlc)) return Bad("truncated clock");
  out.hlc = hlc;
  // Every row takes at least 19 bytes: a count beyond that is a lie.
  if (!r.Varint(&nrows) || nrows > r.remaining() / 19)
    return Bad("row count does not fit the body");
  return Status::Ok();
}

// A value of kind `tag & 0x07`, into `value`.
Status DecodeValue(Reader& r, uint8_t tag, schema::Value& value) {
  switch (tag & 0x07) {
    case kNull:
      return Status::Ok();
    case kInt: {
      uint64_t z;
      if (!r.Varint(&z)) return Bad("truncated integer");
      value = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      return Status::Ok();
    }
    case kReal: {
      uint8_t b[8];
      if (!r.Fixed(b, 8)) return Bad("truncated real");
      uint64_t bits = 0;
      for (int j = 7; j >= 0; --j) bits = (bits << 8) | b[j];
      double d;
      std::memcpy(&d, &bits, 8);
      value = d;
      return Status::Ok();
    }
    case kText:
    case kBlob: {
      uint64_t len;
      std::span<const uint8_t> bytes;
      if (!r.Varint(&len) || len > r.remaining() || !r.Span(len, &bytes)) {
        return Bad("truncated text or blob");
      }
      if ((tag & 0x07) == kText) {
        value = std::string(bytes.begin(), bytes.end());
      } else {
        value = Bytes(bytes.begin(), bytes.end());
      }
      return Status::Ok();
    }
    default:
      return Bad("unknown value kind " + std::to_string(tag & 0x07));
  }
}

// Column `k` of row `i`, into `cc`; its stamp is `batch_hlc` unless it
// carries its own.
Status DecodeColumn(Reader& r, uint64_t i, uint64_t k, HlcTime batch_hlc, ColumnChange& cc) {
  uint64_t col;
  uint8_t tag;
  if (!r.Varint(&col) || col > UINT16_MAX || !r.Byte(&tag) || (tag & ~0x0f) != 0) {
    return Bad("row " + std::to_string(i) + ": malformed column " + std::to_string(k));
  }
  cc.column = static_cast<uint16_t>(col);
  cc.hlc = batch_hlc;
  OUTPOST_RETURN_IF_ERROR(DecodeValue(r, tag, cc.value));
  if (tag & kOwnHlc) {
    uint64_t own;
    if (!r.Varint(&own)) return Bad("truncated column clock");
    cc.hlc = own;
  }
  return Status::Ok();
}

// Row `i` with its columns, into `rc`.
Status DecodeRow(Reader& r, uint64_t i, HlcTime batch_hlc, RowChange& rc) {
  uint64_t table, cl, ncols;
  if (!r.Varint(&table) || table > UINT16_MAX)
    return Bad("row " + std::to_string(i) + ": bad table id");
  rc.table = static_cast<uint16_t>(table);
  if (!r.Fixed(rc.id.data(), 16)) return Bad("row " + std::to_string(i) + ": truncated id");
  if (!r.Varint(&cl) || cl == 0 || cl > UINT32_MAX) {
    return Bad("row " + std::to_string(i) + ": causal length missing, 0 or too large");
  }
  rc.causal_length = static_cast<uint32_t>(cl);
  if (!r.Varint(&ncols) || ncols > r.remaining() / 2) {
    return Bad("row " + std::to_string(i) + ": column count does not fit the body");
  }
  rc.columns.reserve(ncols);
  for (uint64_t k = 0; k < ncols; ++k) {
    ColumnChange cc;
    OUTPOST_RETURN_IF_ERROR(DecodeColumn(r, i, k, batch_hlc, cc));
    rc.columns.push_back(std::move(cc));
  }
  return Status::Ok();
}

}  // namespace

Result<ChangeBatch> DecodeBatchBody(std::span<const uint8_t> body) {
  if (body.size() > kMaxBatchBodyBytes) {
    return Bad(std::to_string(body.size()) + " bytes, more than the limit of " +
               std::to_string(kMaxBatchBodyBytes));
  }
  Reader r(body);
  ChangeBatch out;
  uint64_t nrows;
  OUTPOST_RETURN_IF_ERROR(DecodeHeader(r, out, nrows));
  out.rows.reserve(nrows);
  for (uint64_t i = 0; i < nrows; ++i) {
    RowChange rc;
    OUTPOST_RETURN_IF_ERROR(DecodeRow(r, i, out.hlc, rc));
    out.rows.push_back(std::move(rc));
  }
  if (r.remaining() != 0) return Bad(std::to_string(r.remaining()) + " trailing bytes");
  return out;
}

Bytes EncodeSignedBatch(const SignedBatch& batch) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::SignedBatch>();
  b.setBody(AsKj(batch.body));
  b.setSignature(AsKj(batch.signature));
  auto words = capnp::messageToFlatArray(msg);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

namespace {

// The envelope's fields as they are (the body possibly compressed).
Result<SignedBatch> DecodeEnvelope(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxBatchBodyBytes + 1024) {
    return Status::Corruption("signed batch: " + std::to_string(bytes.size()) +
                              " bytes, more than the limit");
  }
  if (bytes.size() % 8 != 0 || bytes.empty()) {
    return Status::Corruption("signed batch: length " + std::to_string(bytes.size()) +
                              " is not a whole number of 8-byte words");
  }
  SignedBatch out;
  kj::Maybe<kj::Exception> err = kj::runCatchingExceptions([&]() {
    auto words = Aligned(bytes);
    capnp::FlatArrayMessageReader reader(words, PeerLimits(bytes.size()));
    auto b = reader.getRoot<cp::SignedBatch>();
    auto body = b.getBody();
    auto sig = b.getSignature();
    if (sig.size() != 0 && sig.size() != 64) KJ_FAIL_REQUIRE("signature is not 64 bytes");
    out.body.assign(body.begin(), body.end());
    out.signature.assign(sig.begin(), sig.end());
  });
  KJ_IF_MAYBE (e, err) {
    return Status::Corruption("signed batch: " + std::string(e->getDescription().cStr()));
  }
  return out;
}

}  // namespace

Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes, ZstdCodec& codec,
                                      const ZstdDictionaries* dictionaries, size_t cap) {
  OUTPOST_ASSIGN_OR_RETURN(SignedBatch out, DecodeEnvelope(bytes));
  if (IsCompressedBody(out.body)) {
    OUTPOST_ASSIGN_OR_RETURN(out.body, ExpandBody(codec, out.body, cap, dictionaries));
  }
  return out;
}

Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes) {
  OUTPOST_ASSIGN_OR_RETURN(SignedBatch out, DecodeEnvelope(bytes));
  if (IsCompressedBody(out.body)) {
    ZstdCodec codec;
    OUTPOST_ASSIGN_OR_RETURN(out.body, ExpandBody(codec, out.body, kMaxBatchBodyBytes, nullptr));
  }
  return out;
}

Result<Bytes> EncodeSignedBatch(const SignedBatch& batch, ZstdCodec& codec, BatchCompression how,
                                const ZstdDictionaries* dictionaries) {
  if (how.method == Compression::kNone) return EncodeSignedBatch(batch);
  SignedBatch packed;
  OUTPOST_ASSIGN_OR_RETURN(packed.body, CompressBody(codec, batch.body, how, dictionaries));
  packed.signature = batch.signature;
  return EncodeSignedBatch(packed);
}

Hash HashBody(std::span<const uint8_t> body) {
  Hash h;
  crypto_generichash(h.data(), h.size(), body.data(), body.size(), nullptr, 0);
  return h;
}

Bytes SigningInput(std::span<const uint8_t> body) {
  static const char kTag[] = "outpost-batch-v1";
  constexpr size_t kTagLen = sizeof(kTag) - 1;
  Bytes in(kTagLen + body.size());
  std::memcpy(in.data(), kTag, kTagLen);
  if (!body.empty()) std::memcpy(in.data() + kTagLen, body.data(), body.size());
  return in;
}

}  // namespace outpost::sync
