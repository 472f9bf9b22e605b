#include "sync/change_batch.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <sodium.h>

#include <cstring>

#include "schema/change.capnp.h"

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

void SetValue(cp::Value::Builder b, const schema::Value& v) {
  switch (v.index()) {
    case 0:
      b.setNull();
      break;
    case 1:
      b.setInt(std::get<int64_t>(v));
      break;
    case 2:
      b.setReal(std::get<double>(v));
      break;
    case 3: {
      const auto& s = std::get<std::string>(v);
      b.setText(capnp::Text::Reader(s.data(), s.size()));
      break;
    }
    case 4:
      b.setBlob(AsKj(std::get<Bytes>(v)));
      break;
  }
}

Result<schema::Value> GetValue(cp::Value::Reader r) {
  switch (r.which()) {
    case cp::Value::NULL_:
      return schema::Value{};
    case cp::Value::INT:
      return schema::Value{r.getInt()};
    case cp::Value::REAL:
      return schema::Value{r.getReal()};
    case cp::Value::TEXT: {
      auto t = r.getText();
      return schema::Value{std::string(t.cStr(), t.size())};
    }
    case cp::Value::BLOB: {
      auto d = r.getBlob();
      return schema::Value{Bytes(d.begin(), d.end())};
    }
  }
  return Status::Corruption("change batch: value of unknown kind");
}

template <size_t N>
bool CopyFixed(capnp::Data::Reader d, std::array<uint8_t, N>* out) {
  if (d.size() != N) return false;
  std::memcpy(out->data(), d.begin(), N);
  return true;
}

// Copies untrusted bytes into word-aligned memory (FlatArrayMessageReader
// needs alignment and a multiple of 8 bytes).
kj::Array<capnp::word> Aligned(std::span<const uint8_t> bytes) {
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  return words;
}

capnp::ReaderOptions PeerLimits(size_t bytes) {
  capnp::ReaderOptions o;
  // Each word may be read a few times; bound the whole walk by the size.
  o.traversalLimitInWords = bytes / 2 + 1024;
  o.nestingLimit = 16;
  return o;
}

}  // namespace

Bytes EncodeBatchBody(const ChangeBatch& batch) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::ChangeBatch>();
  b.setOrigin(AsKj(batch.origin));
  b.setScope(capnp::Text::Reader(batch.scope.data(), batch.scope.size()));
  b.setSeq(batch.seq);
  b.setPrevHash(AsKj(batch.prev_hash));
  b.setSchemaVersion(batch.schema_version);
  b.setHlc(batch.hlc);
  auto rows = b.initRows(static_cast<unsigned>(batch.rows.size()));
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    const RowChange& rc = batch.rows[i];
    auto rb = rows[static_cast<unsigned>(i)];
    rb.setTable(rc.table);
    rb.setId(AsKj(rc.id));
    rb.setCausalLength(rc.causal_length);
    auto cols = rb.initColumns(static_cast<unsigned>(rc.columns.size()));
    for (size_t k = 0; k < rc.columns.size(); ++k) {
      auto cb = cols[static_cast<unsigned>(k)];
      cb.setColumn(rc.columns[k].column);
      cb.setHlc(rc.columns[k].hlc);
      SetValue(cb.initValue(), rc.columns[k].value);
    }
  }
  auto words = capnp::messageToFlatArray(msg);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

Result<ChangeBatch> DecodeBatchBody(std::span<const uint8_t> body) {
  if (body.size() > kMaxBatchBodyBytes) {
    return Status::Corruption("change batch: " + std::to_string(body.size()) +
                              " bytes, more than the limit of " +
                              std::to_string(kMaxBatchBodyBytes));
  }
  if (body.size() % 8 != 0 || body.empty()) {
    return Status::Corruption("change batch: length " + std::to_string(body.size()) +
                              " is not a whole number of 8-byte words");
  }
  ChangeBatch out;
  kj::Maybe<kj::Exception> err = kj::runCatchingExceptions([&]() {
    auto words = Aligned(body);
    capnp::FlatArrayMessageReader reader(words, PeerLimits(body.size()));
    auto b = reader.getRoot<cp::ChangeBatch>();
    if (!CopyFixed(b.getOrigin(), &out.origin)) {
      KJ_FAIL_REQUIRE("origin is not 16 bytes");
    }
    auto scope = b.getScope();
    if (scope.size() == 0 || scope.size() > kMaxScopeBytes) {
      KJ_FAIL_REQUIRE("scope is empty or longer than 64 bytes");
    }
    out.scope.assign(scope.cStr(), scope.size());
    out.seq = b.getSeq();
    if (out.seq == 0) KJ_FAIL_REQUIRE("seq 0 is not a valid sequence number");
    if (!CopyFixed(b.getPrevHash(), &out.prev_hash)) {
      KJ_FAIL_REQUIRE("prevHash is not 32 bytes");
    }
    out.schema_version = b.getSchemaVersion();
    out.hlc = b.getHlc();
    auto rows = b.getRows();
    out.rows.reserve(rows.size());
    for (auto r : rows) {
      RowChange rc;
      rc.table = r.getTable();
      if (!CopyFixed(r.getId(), &rc.id)) KJ_FAIL_REQUIRE("row id is not 16 bytes");
      rc.causal_length = r.getCausalLength();
      if (rc.causal_length == 0) KJ_FAIL_REQUIRE("causal length 0");
      auto cols = r.getColumns();
      rc.columns.reserve(cols.size());
      for (auto c : cols) {
        auto v = GetValue(c.getValue());
        if (!v.ok()) KJ_FAIL_REQUIRE("value of unknown kind");
        rc.columns.push_back({c.getColumn(), c.getHlc(), std::move(*v)});
      }
      out.rows.push_back(std::move(rc));
    }
  });
  KJ_IF_MAYBE (e, err) {
    return Status::Corruption("change batch: " + std::string(e->getDescription().cStr()));
  }
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

Result<SignedBatch> DecodeSignedBatch(std::span<const uint8_t> bytes) {
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

size_t EstimateEncodedSize(const RowChange& row) {
  size_t n = 48;  // row struct, id, list header
  for (const auto& c : row.columns) {
    n += 40;  // column struct + value struct pointers
    if (auto* s = std::get_if<std::string>(&c.value)) n += (s->size() + 8) & ~size_t{7};
    if (auto* b = std::get_if<Bytes>(&c.value)) n += (b->size() + 7) & ~size_t{7};
  }
  return n;
}

}  // namespace outpost::sync
