#include "sync/wire.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <map>

#include "schema/sync.capnp.h"
#include "sync/aligned_words.h"

namespace outpost::sync {
namespace cp = ::outpost::schema::capnp;
namespace {

constexpr size_t kMaxScopesWanted = 256;
constexpr size_t kMaxZstdDictionaries = 64;

void FillVv(cp::VersionVector::Builder b, const VersionVector& vv) {
  std::map<NodeId, uint16_t> origins;
  std::map<std::string, uint16_t> scopes;
  for (const auto& [key, seq] : vv.seqs) {
    origins.emplace(key.first, 0);
    scopes.emplace(key.second, 0);
  }
  auto ol = b.initOrigins(static_cast<unsigned>(origins.size()));
  uint16_t i = 0;
  for (auto& [id, idx] : origins) {
    idx = i;
    ol.set(i++, kj::arrayPtr(id.data(), id.size()));
  }
  auto sl = b.initScopes(static_cast<unsigned>(scopes.size()));
  i = 0;
  for (auto& [name, idx] : scopes) {
    idx = i;
    sl.set(i++, capnp::Text::Reader(name.data(), name.size()));
  }
  auto el = b.initEntries(static_cast<unsigned>(vv.seqs.size()));
  unsigned k = 0;
  for (const auto& [key, seq] : vv.seqs) {
    auto e = el[k++];
    e.setOrigin(origins[key.first]);
    e.setScope(scopes[key.second]);
    e.setSeq(seq);
  }
}

Result<VersionVector> ReadVv(cp::VersionVector::Reader r, const char* field) {
  VersionVector vv;
  std::vector<NodeId> origins;
  for (auto d : r.getOrigins()) {
    if (d.size() != 16) {
      return Status::Corruption(std::string(field) + ".origins: an id of " +
                                std::to_string(d.size()) + " bytes (must be 16)");
    }
    NodeId id;
    std::memcpy(id.data(), d.begin(), 16);
    origins.push_back(id);
  }
  std::vector<std::string> scopes;
  for (auto t : r.getScopes()) {
    if (t.size() == 0 || t.size() > kMaxScopeBytes) {
      return Status::Corruption(std::string(field) + ".scopes: a scope of " +
                                std::to_string(t.size()) + " bytes (must be 1.." +
                                std::to_string(kMaxScopeBytes) + ")");
    }
    scopes.emplace_back(t.cStr(), t.size());
  }
  for (auto e : r.getEntries()) {
    if (e.getOrigin() >= origins.size() || e.getScope() >= scopes.size()) {
      return Status::Corruption(std::string(field) + ".entries: index out of range");
    }
    vv.Set(origins[e.getOrigin()], scopes[e.getScope()], e.getSeq());
  }
  return vv;
}

capnp::ReaderOptions Limits(size_t max_bytes) {
  capnp::ReaderOptions o;
  // Every word may be read at most about twice (list + element headers).
  o.traversalLimitInWords = max_bytes / 4 + 1024;
  o.nestingLimit = 8;
  return o;
}

Bytes Flatten(capnp::MessageBuilder& b) {
  auto words = capnp::messageToFlatArray(b);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// ---- Session messages -----------------------------------------------------
//
// One SessionMessage (schema/sync.capnp) per Noise frame; a union of:
//   hello       := protocolVersion u32 | nodeId (16 bytes) | versionVector
//                  | scopesWanted (<= kMaxScopesWanted texts of 1..kMaxScopeBytes)
//                  | wallClockMicros i64 | acceptsZstd bool
//                  | zstdDictionaries (<= kMaxZstdDictionaries u32 ids)
//   chunk       := number u64 | batches (List(Data), each an encoded SignedBatch)
//   ack         := number u64 | committed (versionVector) | refused u32
//   done        := (nothing)
//   error       := code u16 (0 or above kInternal reads as kInternal)
//                  | reason (text, the first 1000 bytes kept)
//   rotate      := statement (1..kMaxRotationBytes)
//   rotateReply := code u16 (a status code) | reason (the first 1000 bytes kept)
//                  | certificateFile (1..kMaxCertificateFileBytes exactly when code is 0)
//   versionVector := origins (16-byte ids) | scopes (1..kMaxScopeBytes)
//                  | entries (origin index, scope index, seq u64)
// Each message's encoder and decoder sit side by side below; a decoder runs
// inside DecodeMessage's kj::runCatchingExceptions, so a Cap'n Proto limit
// it trips becomes kCorruption there.

void Encode(cp::SessionMessage::Builder root, const HelloMsg& msg) {
  auto h = root.initHello();
  h.setProtocolVersion(msg.protocol_version);
  h.setNodeId(kj::arrayPtr(msg.node_id.data(), msg.node_id.size()));
  FillVv(h.initVersionVector(), msg.vv);
  auto sw = h.initScopesWanted(static_cast<unsigned>(msg.scopes_wanted.size()));
  for (unsigned i = 0; i < msg.scopes_wanted.size(); ++i) {
    sw.set(i, capnp::Text::Reader(msg.scopes_wanted[i].data(), msg.scopes_wanted[i].size()));
  }
  h.setWallClockMicros(msg.wall_clock_micros);
  h.setAcceptsZstd(msg.accepts_zstd);
  auto dicts = h.initZstdDictionaries(static_cast<unsigned>(msg.zstd_dictionaries.size()));
  for (unsigned i = 0; i < msg.zstd_dictionaries.size(); ++i)
    dicts.set(i, msg.zstd_dictionaries[i]);
}

Result<Message> DecodeHello(cp::Hello::Reader h) {
  HelloMsg m;
  m.protocol_version = h.getProtocolVersion();
  auto id = h.getNodeId();
  if (id.size() != 16) {
    return Status::Corruption("hello.nodeId: " + std::to_string(id.size()) + " bytes (must be 16)");
  }
  std::memcpy(m.node_id.data(), id.begin(), 16);
  auto vv = ReadVv(h.getVersionVector(), "hello.versionVector");
  if (!vv.ok()) return vv.status();
  m.vv = std::move(*vv);
  auto sw = h.getScopesWanted();
  if (sw.size() > kMaxScopesWanted) {
    return Status::Corruption("hello.scopesWanted: more than " + std::to_string(kMaxScopesWanted) +
                              " scopes");
  }
  for (auto t : sw) {
    if (t.size() == 0 || t.size() > kMaxScopeBytes) {
      return Status::Corruption("hello.scopesWanted: a scope of " + std::to_string(t.size()) +
                                " bytes");
    }
    m.scopes_wanted.emplace_back(t.cStr(), t.size());
  }
  m.wall_clock_micros = h.getWallClockMicros();
  m.accepts_zstd = h.getAcceptsZstd();
  auto dicts = h.getZstdDictionaries();
  if (dicts.size() > kMaxZstdDictionaries) {
    return Status::Corruption("hello.zstdDictionaries: more than " +
                              std::to_string(kMaxZstdDictionaries) + " ids");
  }
  for (uint32_t d : dicts) m.zstd_dictionaries.push_back(d);
  return Message(std::move(m));
}

void Encode(cp::SessionMessage::Builder root, const ChunkMsg& msg) {
  auto c = root.initChunk();
  c.setNumber(msg.number);
  auto l = c.initBatches(static_cast<unsigned>(msg.batches.size()));
  for (unsigned i = 0; i < msg.batches.size(); ++i) {
    l.set(i, kj::arrayPtr(msg.batches[i].data(), msg.batches[i].size()));
  }
}

Result<Message> DecodeChunk(cp::Chunk::Reader c) {
  ChunkMsg m;
  m.number = c.getNumber();
  for (auto d : c.getBatches()) m.batches.emplace_back(d.begin(), d.end());
  return Message(std::move(m));
}

void Encode(cp::SessionMessage::Builder root, const AckMsg& msg) {
  auto a = root.initAck();
  a.setNumber(msg.number);
  FillVv(a.initCommitted(), msg.committed);
  a.setRefused(msg.refused);
}

Result<Message> DecodeAck(cp::Ack::Reader a) {
  AckMsg m;
  m.number = a.getNumber();
  auto vv = ReadVv(a.getCommitted(), "ack.committed");
  if (!vv.ok()) return vv.status();
  m.committed = std::move(*vv);
  m.refused = a.getRefused();
  return Message(std::move(m));
}

void Encode(cp::SessionMessage::Builder root, const DoneMsg&) { root.initDone(); }

void Encode(cp::SessionMessage::Builder root, const ErrorMsg& msg) {
  auto e = root.initError();
  e.setCode(static_cast<uint16_t>(msg.code));
  std::string reason = msg.reason.substr(0, 1000);
  e.setReason(capnp::Text::Reader(reason.data(), reason.size()));
}

Result<Message> DecodeError(cp::Error::Reader e) {
  ErrorMsg m;
  uint16_t code = e.getCode();
  m.code = (code == 0 || code > static_cast<uint16_t>(Code::kInternal)) ? Code::kInternal
                                                                        : static_cast<Code>(code);
  auto r = e.getReason();
  m.reason.assign(r.cStr(), std::min<size_t>(r.size(), 1000));
  return Message(std::move(m));
}

void Encode(cp::SessionMessage::Builder root, const RotateMsg& msg) {
  root.initRotate().setStatement(kj::arrayPtr(msg.statement.data(), msg.statement.size()));
}

Result<Message> DecodeRotate(cp::Rotate::Reader r) {
  auto d = r.getStatement();
  if (d.size() == 0 || d.size() > kMaxRotationBytes) {
    return Status::Corruption("rotate.statement: " + std::to_string(d.size()) +
                              " bytes (must be 1.." + std::to_string(kMaxRotationBytes) + ")");
  }
  return Message(RotateMsg{Bytes(d.begin(), d.end())});
}

void Encode(cp::SessionMessage::Builder root, const RotateReplyMsg& msg) {
  auto r = root.initRotateReply();
  r.setCode(static_cast<uint16_t>(msg.code));
  std::string reason = msg.reason.substr(0, 1000);
  r.setReason(capnp::Text::Reader(reason.data(), reason.size()));
  r.setCertificateFile(kj::arrayPtr(msg.certificate_file.data(), msg.certificate_file.size()));
}

Result<Message> DecodeRotateReply(cp::RotateReply::Reader r) {
  RotateReplyMsg m;
  uint16_t code = r.getCode();
  if (code > static_cast<uint16_t>(Code::kInternal)) {
    return Status::Corruption("rotateReply.code: " + std::to_string(code) +
                              " is not a status code");
  }
  m.code = static_cast<Code>(code);
  auto reason = r.getReason();
  m.reason.assign(reason.cStr(), std::min<size_t>(reason.size(), 1000));
  auto f = r.getCertificateFile();
  if (f.size() > kMaxCertificateFileBytes || (m.code == Code::kOk) != (f.size() > 0)) {
    return Status::Corruption(
        "rotateReply.certificateFile: " + std::to_string(f.size()) + " bytes with code " +
        std::to_string(code) + " (a certificate file of 1.." +
        std::to_string(kMaxCertificateFileBytes) + " bytes exactly when the code is 0)");
  }
  m.certificate_file.assign(f.begin(), f.end());
  return Message(std::move(m));
}

// The message in `root`, by its union tag; may throw kj::Exception.
Result<Message> DecodeRoot(cp::SessionMessage::Reader root) {
  switch (root.which()) {
    case cp::SessionMessage::HELLO:
      return DecodeHello(root.getHello());
    case cp::SessionMessage::CHUNK:
      return DecodeChunk(root.getChunk());
    case cp::SessionMessage::ACK:
      return DecodeAck(root.getAck());
    case cp::SessionMessage::DONE:
      return Message(DoneMsg{});
    case cp::SessionMessage::ERROR:
      return DecodeError(root.getError());
    case cp::SessionMessage::ROTATE:
      return DecodeRotate(root.getRotate());
    case cp::SessionMessage::ROTATE_REPLY:
      return DecodeRotateReply(root.getRotateReply());
    default:
      return Status::Corruption("session message: unknown kind " +
                                std::to_string(static_cast<int>(root.which())));
  }
}

}  // namespace

Bytes EncodeMessage(const Message& m) {
  size_t words = 64;
  if (const auto* c = std::get_if<ChunkMsg>(&m)) {
    words += c->batches.size() + 16;
    for (const auto& b : c->batches) words += RoundUp8(b.size()) / 8;
  }
  capnp::MallocMessageBuilder builder(static_cast<unsigned>(words));
  auto root = builder.initRoot<cp::SessionMessage>();
  std::visit([&root](const auto& msg) { Encode(root, msg); }, m);
  return Flatten(builder);
}

Result<Message> DecodeMessage(std::span<const uint8_t> bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes || bytes.size() % 8 != 0 || bytes.empty()) {
    return Status::Corruption("session message: " + std::to_string(bytes.size()) +
                              " bytes is not a whole number of words up to " +
                              std::to_string(max_bytes));
  }
  auto words = Aligned(bytes);
  Result<Message> out = Status::Corruption("session message: empty");
  kj::Maybe<kj::Exception> ex = kj::runCatchingExceptions([&words, &out, max_bytes]() {
    capnp::FlatArrayMessageReader reader(words, Limits(max_bytes));
    out = DecodeRoot(reader.getRoot<cp::SessionMessage>());
  });
  KJ_IF_MAYBE (e, ex) {
    return Status::Corruption("session message: " + std::string(e->getDescription().cStr()));
  }
  return out;
}

Bytes EncodeBundlePayload(const BundlePayload& p) {
  size_t words = 256 + p.batches.size();
  for (const auto& b : p.batches) words += RoundUp8(b.size()) / 8;
  capnp::MallocMessageBuilder builder(static_cast<unsigned>(std::min<size_t>(words, 1u << 28)));
  auto root = builder.initRoot<cp::BundlePayload>();
  root.setFrom(kj::arrayPtr(p.from.data(), p.from.size()));
  root.setTo(kj::arrayPtr(p.to.data(), p.to.size()));
  root.setCreatedMicros(p.created_micros);
  FillVv(root.initSenderVersionVector(), p.sender_vv);
  auto l = root.initBatches(static_cast<unsigned>(p.batches.size()));
  for (unsigned i = 0; i < p.batches.size(); ++i) {
    l.set(i, kj::arrayPtr(p.batches[i].data(), p.batches[i].size()));
  }
  return Flatten(builder);
}

Result<BundlePayload> DecodeBundlePayload(std::span<const uint8_t> bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes || bytes.size() % 8 != 0 || bytes.empty()) {
    return Status::Corruption("bundle payload: " + std::to_string(bytes.size()) +
                              " bytes is not a whole number of words up to " +
                              std::to_string(max_bytes));
  }
  auto words = Aligned(bytes);
  Result<BundlePayload> out = Status::Corruption("bundle payload: empty");
  kj::Maybe<kj::Exception> ex = kj::runCatchingExceptions([&words, &out, max_bytes]() {
    capnp::FlatArrayMessageReader reader(words, Limits(max_bytes));
    auto r = reader.getRoot<cp::BundlePayload>();
    BundlePayload p;
    auto from = r.getFrom();
    auto to = r.getTo();
    if (from.size() != 16 || to.size() != 16) {
      out = Status::Corruption("bundle payload: from/to ids must be 16 bytes");
      return;
    }
    std::memcpy(p.from.data(), from.begin(), 16);
    std::memcpy(p.to.data(), to.begin(), 16);
    p.created_micros = r.getCreatedMicros();
    auto vv = ReadVv(r.getSenderVersionVector(), "bundle.senderVersionVector");
    if (!vv.ok()) {
      out = vv.status();
      return;
    }
    p.sender_vv = std::move(*vv);
    for (auto d : r.getBatches()) p.batches.emplace_back(d.begin(), d.end());
    out = std::move(p);
  });
  KJ_IF_MAYBE (e, ex) {
    return Status::Corruption("bundle payload: " + std::string(e->getDescription().cStr()));
  }
  return out;
}

}  // namespace outpost::sync
