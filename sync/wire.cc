#include "sync/wire.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>
#include <map>

#include "schema/sync.capnp.h"

namespace outpost::sync {
namespace cp = ::outpost::schema::capnp;
namespace {

constexpr size_t kMaxScopesWanted = 256;

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

// Copies untrusted bytes into aligned words (FlatArrayMessageReader needs a
// multiple of 8, aligned).
kj::Array<capnp::word> Aligned(std::span<const uint8_t> bytes) {
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), words.size() * sizeof(capnp::word));
  return words;
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

}  // namespace

Bytes EncodeMessage(const Message& m) {
  size_t words = 64;
  if (const auto* c = std::get_if<ChunkMsg>(&m)) {
    words += c->batches.size() + 16;
    for (const auto& b : c->batches) words += RoundUp8(b.size()) / 8;
  }
  capnp::MallocMessageBuilder builder(static_cast<unsigned>(words));
  auto root = builder.initRoot<cp::SessionMessage>();
  std::visit(
      [&root](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, HelloMsg>) {
          auto h = root.initHello();
          h.setProtocolVersion(msg.protocol_version);
          h.setNodeId(kj::arrayPtr(msg.node_id.data(), msg.node_id.size()));
          FillVv(h.initVersionVector(), msg.vv);
          auto sw = h.initScopesWanted(static_cast<unsigned>(msg.scopes_wanted.size()));
          for (unsigned i = 0; i < msg.scopes_wanted.size(); ++i) {
            sw.set(i,
                   capnp::Text::Reader(msg.scopes_wanted[i].data(), msg.scopes_wanted[i].size()));
          }
          h.setWallClockMicros(msg.wall_clock_micros);
        } else if constexpr (std::is_same_v<T, ChunkMsg>) {
          auto c = root.initChunk();
          c.setNumber(msg.number);
          auto l = c.initBatches(static_cast<unsigned>(msg.batches.size()));
          for (unsigned i = 0; i < msg.batches.size(); ++i) {
            l.set(i, kj::arrayPtr(msg.batches[i].data(), msg.batches[i].size()));
          }
        } else if constexpr (std::is_same_v<T, AckMsg>) {
          auto a = root.initAck();
          a.setNumber(msg.number);
          FillVv(a.initCommitted(), msg.committed);
          a.setRefused(msg.refused);
        } else if constexpr (std::is_same_v<T, DoneMsg>) {
          root.initDone();
        } else if constexpr (std::is_same_v<T, RotateMsg>) {
          root.initRotate().setStatement(kj::arrayPtr(msg.statement.data(), msg.statement.size()));
        } else if constexpr (std::is_same_v<T, RotateReplyMsg>) {
          auto r = root.initRotateReply();
          r.setCode(static_cast<uint16_t>(msg.code));
          std::string reason = msg.reason.substr(0, 1000);
          r.setReason(capnp::Text::Reader(reason.data(), reason.size()));
          r.setCertificateFile(
              kj::arrayPtr(msg.certificate_file.data(), msg.certificate_file.size()));
        } else {
          auto e = root.initError();
          e.setCode(static_cast<uint16_t>(msg.code));
          std::string reason = msg.reason.substr(0, 1000);
          e.setReason(capnp::Text::Reader(reason.data(), reason.size()));
        }
      },
      m);
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
    auto root = reader.getRoot<cp::SessionMessage>();
    switch (root.which()) {
      case cp::SessionMessage::HELLO: {
        auto h = root.getHello();
        HelloMsg m;
        m.protocol_version = h.getProtocolVersion();
        auto id = h.getNodeId();
        if (id.size() != 16) {
          out = Status::Corruption("hello.nodeId: " + std::to_string(id.size()) +
                                   " bytes (must be 16)");
          return;
        }
        std::memcpy(m.node_id.data(), id.begin(), 16);
        auto vv = ReadVv(h.getVersionVector(), "hello.versionVector");
        if (!vv.ok()) {
          out = vv.status();
          return;
        }
        m.vv = std::move(*vv);
        auto sw = h.getScopesWanted();
        if (sw.size() > kMaxScopesWanted) {
          out = Status::Corruption("hello.scopesWanted: more than " +
                                   std::to_string(kMaxScopesWanted) + " scopes");
          return;
        }
        for (auto t : sw) {
          if (t.size() == 0 || t.size() > kMaxScopeBytes) {
            out = Status::Corruption("hello.scopesWanted: a scope of " + std::to_string(t.size()) +
                                     " bytes");
            return;
          }
          m.scopes_wanted.emplace_back(t.cStr(), t.size());
        }
        m.wall_clock_micros = h.getWallClockMicros();
        out = Message(std::move(m));
        return;
      }
      case cp::SessionMessage::CHUNK: {
        auto c = root.getChunk();
        ChunkMsg m;
        m.number = c.getNumber();
        for (auto d : c.getBatches()) m.batches.emplace_back(d.begin(), d.end());
        out = Message(std::move(m));
        return;
      }
      case cp::SessionMessage::ACK: {
        auto a = root.getAck();
        AckMsg m;
        m.number = a.getNumber();
        auto vv = ReadVv(a.getCommitted(), "ack.committed");
        if (!vv.ok()) {
          out = vv.status();
          return;
        }
        m.committed = std::move(*vv);
        m.refused = a.getRefused();
        out = Message(std::move(m));
        return;
      }
      case cp::SessionMessage::DONE:
        out = Message(DoneMsg{});
        return;
      case cp::SessionMessage::ERROR: {
        auto e = root.getError();
        ErrorMsg m;
        uint16_t code = e.getCode();
        m.code = (code == 0 || code > static_cast<uint16_t>(Code::kInternal))
                     ? Code::kInternal
                     : static_cast<Code>(code);
        auto r = e.getReason();
        m.reason.assign(r.cStr(), std::min<size_t>(r.size(), 1000));
        out = Message(std::move(m));
        return;
      }
      case cp::SessionMessage::ROTATE: {
        auto d = root.getRotate().getStatement();
        if (d.size() == 0 || d.size() > kMaxRotationBytes) {
          out = Status::Corruption("rotate.statement: " + std::to_string(d.size()) +
                                   " bytes (must be 1.." + std::to_string(kMaxRotationBytes) + ")");
          return;
        }
        out = Message(RotateMsg{Bytes(d.begin(), d.end())});
        return;
      }
      case cp::SessionMessage::ROTATE_REPLY: {
        auto r = root.getRotateReply();
        RotateReplyMsg m;
        uint16_t code = r.getCode();
        if (code > static_cast<uint16_t>(Code::kInternal)) {
          out = Status::Corruption("rotateReply.code: " + std::to_string(code) +
                                   " is not a status code");
          return;
        }
        m.code = static_cast<Code>(code);
        auto reason = r.getReason();
        m.reason.assign(reason.cStr(), std::min<size_t>(reason.size(), 1000));
        auto f = r.getCertificateFile();
        if (f.size() > kMaxCertificateFileBytes || (m.code == Code::kOk) != (f.size() > 0)) {
          out = Status::Corruption(
              "rotateReply.certificateFile: " + std::to_string(f.size()) + " bytes with code " +
              std::to_string(code) + " (a certificate file of 1.." +
              std::to_string(kMaxCertificateFileBytes) + " bytes exactly when the code is 0)");
          return;
        }
        m.certificate_file.assign(f.begin(), f.end());
        out = Message(std::move(m));
        return;
      }
      default:
        out = Status::Corruption("session message: unknown kind " +
                                 std::to_string(static_cast<int>(root.which())));
        return;
    }
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
