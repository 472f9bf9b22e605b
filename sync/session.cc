#include "sync/session.h"

#include <algorithm>
#include <cstring>

namespace outpost::sync {
namespace {

constexpr size_t kRefillBytes = 1 << 20;

// The entries of `after` that moved past `before`.
VersionVector Moved(const VersionVector& before, const VersionVector& after) {
  VersionVector out;
  for (const auto& [key, seq] : after.seqs) {
    if (seq > before.Get(key.first, key.second)) out.Set(key.first, key.second, seq);
  }
  return out;
}

}  // namespace

Session::Session(SessionRole role, SessionEnv env, crypto::KxKeyPair local,
                 std::optional<crypto::PublicKeyBytes> pinned, SessionOptions options)
    : role_(role),
      env_(env),
      local_(std::move(local)),
      pinned_(pinned),
      options_(std::move(options)) {}

Result<std::unique_ptr<Session>> Session::Create(
    SessionRole role, SessionEnv env, const crypto::KxKeyPair& local_static,
    std::optional<crypto::PublicKeyBytes> pinned_remote, SessionOptions options) {
  if (!env.replica || !env.policy || !env.clock || !env.random) {
    return Status::InvalidArgument("session: replica, policy, clock and random are required");
  }
  if (role == SessionRole::kResponder && pinned_remote) {
    return Status::InvalidArgument("session: a responder does not pin the initiator's key");
  }
  if (options.max_unacked_chunks == 0) {
    return Status::InvalidArgument("session.max_unacked_chunks: must be at least 1");
  }
  if (options.max_chunk_bytes < 1024 || options.max_chunk_bytes > kMaxMessageBytes) {
    return Status::InvalidArgument(
        "session.max_chunk_bytes: " + std::to_string(options.max_chunk_bytes) +
        " is outside 1024.." + std::to_string(kMaxMessageBytes));
  }
  return std::unique_ptr<Session>(
      new Session(role, env, local_static.Clone(), pinned_remote, std::move(options)));
}

Status Session::Fail(Status s) {
  if (state_ == SessionState::kFailed) return failure_;
  state_ = SessionState::kFailed;
  failure_ = std::move(s);
  hs_.reset();
  // A responder charges the failure to the peer only once it proved its
  // keys: a replayed IK first message names a node that is not there.
  if (env_.ledger && peer_ && (proven_ || role_ == SessionRole::kInitiator)) {
    (void)env_.ledger->RecordError(*peer_, env_.clock->NowMicros(), failure_.ToString());
  }
  return failure_;
}

Status Session::Protocol(const std::string& what) {
  Status s = Status::InvalidArgument("protocol violation: " + what);
  if (ts_) (void)Send(ErrorMsg{s.code(), s.message()});
  return Fail(s);
}

Status Session::Start() {
  if (role_ == SessionRole::kResponder || state_ != SessionState::kStart) return Status::Ok();
  Bytes prologue = crypto::OutpostPrologue(options_.protocol_version);
  auto pattern = pinned_ ? crypto::NoisePattern::kIK : crypto::NoisePattern::kXX;
  if (pinned_) OUTPOST_RETURN_IF_ERROR(Authorize(*pinned_));
  auto hs = crypto::HandshakeState::Initiator(pattern, local_, pinned_, prologue, *env_.random);
  if (!hs.ok()) return Fail(hs.status());
  hs_.emplace(std::move(*hs));
  Bytes pre = EncodePreamble(Preamble{options_.protocol_version, pinned_ ? 'I' : 'X'});
  out_.insert(out_.end(), pre.begin(), pre.end());
  auto msg = hs_->WriteMessage({});
  if (!msg.ok()) return Fail(msg.status());
  AppendFrame(out_, *msg);
  ++stats_.frames_out;
  state_ = SessionState::kHandshake;
  return Status::Ok();
}

Status Session::Authorize(const crypto::PublicKeyBytes& key) {
  auto id = env_.policy->AuthorizePeer(key);
  if (!id.ok()) {
    return Fail(id.status().WithContext("peer key " + crypto::Fingerprint(key) + " refused"));
  }
  remote_static_ = key;
  peer_ = *id;
  return Status::Ok();
}

Status Session::Receive(std::span<const uint8_t> bytes) {
  if (state_ == SessionState::kFailed) return failure_;
  if (state_ == SessionState::kComplete) return Status::Ok();
  stats_.bytes_in += bytes.size();
  in_.Feed(bytes);

  if (state_ == SessionState::kStart) {  // responder: the preamble first
    OUTPOST_RETURN_IF_ERROR(ReadPreamble());
    if (state_ == SessionState::kStart) return Status::Ok();  // not all of it yet
  }
  if (state_ == SessionState::kHandshake && role_ == SessionRole::kInitiator) {
    if (auto answer = CheckResponderAnswer()) return *answer;
  }
  while (state_ == SessionState::kHandshake || state_ == SessionState::kOpen) {
    auto frame = in_.Next();
    if (!frame.ok()) return Fail(frame.status());
    if (!frame->has_value()) break;
    ++stats_.frames_in;
    if (state_ == SessionState::kHandshake) {
      OUTPOST_RETURN_IF_ERROR(HandleHandshakeFrame(**frame));
      continue;
    }
    OUTPOST_RETURN_IF_ERROR(HandleTransportFrame(**frame));
  }
  return state_ == SessionState::kFailed ? failure_ : Status::Ok();
}

Status Session::ReadPreamble() {
  auto raw = in_.TakeRaw(kPreambleBytes);
  if (!raw) return Status::Ok();
  auto pre = DecodePreamble(*raw);
  if (!pre.ok()) return Fail(pre.status());
  if (pre->version != options_.protocol_version) {
    // Tell the initiator which version we speak, in clear, then stop.
    Bytes ours = EncodePreamble(Preamble{options_.protocol_version, pre->pattern});
    out_.insert(out_.end(), ours.begin(), ours.end());
    return Fail(Status::FailedPrecondition(
        "preamble.version: peer speaks unknown protocol version " + std::to_string(pre->version) +
        " (this node speaks " + std::to_string(options_.protocol_version) + ")"));
  }
  Bytes prologue = crypto::OutpostPrologue(options_.protocol_version);
  auto hs = crypto::HandshakeState::Responder(
      pre->pattern == 'I' ? crypto::NoisePattern::kIK : crypto::NoisePattern::kXX, local_, prologue,
      *env_.random);
  if (!hs.ok()) return Fail(hs.status());
  hs_.emplace(std::move(*hs));
  state_ = SessionState::kHandshake;
  return Status::Ok();
}

std::optional<Status> Session::CheckResponderAnswer() {
  // A responder that refuses our version answers with its own preamble.
  auto head = in_.Peek();
  if (head.size() >= 4 && std::memcmp(head.data(), "OPST", 4) == 0) {
    if (head.size() < kPreambleBytes) return Status::Ok();
    auto pre = DecodePreamble(head.first(kPreambleBytes));
    return Fail(Status::FailedPrecondition(
        "peer refused protocol version " + std::to_string(options_.protocol_version) +
        (pre.ok() ? "; it speaks version " + std::to_string(pre->version) : std::string())));
  }
  // Something else answered: an operator needs "wrong service on that
  // port", not a frame length. (The peer's bytes are not echoed.)
  if (stats_.frames_in == 0 && head.size() >= 4) {
    const std::string who =
        options_.peer_label.empty() ? "the peer" : "the peer at " + options_.peer_label;
    if (std::memcmp(head.data(), "HTTP", 4) == 0) {
      return Fail(Status::FailedPrecondition(
          who +
          " is not an Outpost node (it answered like an HTTP server): check the address "
          "and port (HQ's is the one given to `init --hq-address`)"));
    }
    uint32_t n = (uint32_t{head[0]} << 24) | (uint32_t{head[1]} << 16) | (uint32_t{head[2]} << 8) |
                 uint32_t{head[3]};
    bool text = std::all_of(head.begin(), head.begin() + 4,
                            [](uint8_t c) { return c >= 0x20 && c < 0x7f; });
    if (text && (n == 0 || n > kMaxFrameBytes)) {
      return Fail(Status::FailedPrecondition(
          who +
          " is not an Outpost node (it answered with text, not an Outpost handshake): "
          "check the address and port"));
    }
  }
  return std::nullopt;
}

Status Session::HandleTransportFrame(std::span<const uint8_t> frame) {
  auto plain = ts_->Decrypt(frame);
  if (!plain.ok()) {
    return Fail(plain.status().WithContext("transport frame " + std::to_string(stats_.frames_in)));
  }
  proven_ = true;
  auto msg = DecodeMessage(*plain, kMaxMessageBytes);
  if (!msg.ok()) {
    Status s = msg.status();
    (void)Send(ErrorMsg{s.code(), s.message()});
    return Fail(s);
  }
  return HandleMessage(std::move(*msg));
}

Status Session::HandleHandshakeFrame(std::span<const uint8_t> frame) {
  auto payload = hs_->ReadMessage(frame);
  if (!payload.ok()) return Fail(payload.status().WithContext("handshake"));
  if (!payload->empty()) return Fail(Status::Corruption("handshake: unexpected payload"));
  // The peer's static key is known once the message carrying it decrypted:
  // refuse an unknown or revoked peer before saying anything more.
  if (!peer_ && hs_->RemoteStatic()) {
    const crypto::PublicKeyBytes key = *hs_->RemoteStatic();
    auto id = env_.policy->AuthorizePeer(key);
    if (!id.ok()) {
      Status refused = id.status().WithContext("peer key " + crypto::Fingerprint(key) + " refused");
      // An enrolled node that is revoked or expired (kPermissionDenied) has
      // just proved it holds its key: finish the handshake and tell it why,
      // in one encrypted Error, so its operator reads the reason instead of
      // "connection closed". An unknown key learns nothing.
      if (role_ == SessionRole::kResponder && refused.code() == Code::kPermissionDenied) {
        return RefuseAfterHandshake(std::move(refused));
      }
      return Fail(std::move(refused));
    }
    remote_static_ = key;
    peer_ = *id;
  }
  if (hs_->IsMyTurn()) {
    auto msg = hs_->WriteMessage({});
    if (!msg.ok()) return Fail(msg.status());
    AppendFrame(out_, *msg);
    ++stats_.frames_out;
  }
  if (hs_->Complete()) {
    if (!peer_) return Fail(Status::Internal("handshake complete without the peer's key"));
    auto ts = hs_->Split(options_.rekey_interval);
    if (!ts.ok()) return Fail(ts.status());
    ts_.emplace(std::move(*ts));
    hs_.reset();
    return Open();
  }
  return Status::Ok();
}

Status Session::RefuseAfterHandshake(Status refused) {
  if (hs_->IsMyTurn()) {
    auto msg = hs_->WriteMessage({});
    if (!msg.ok()) return Fail(msg.status());
    AppendFrame(out_, *msg);
    ++stats_.frames_out;
  }
  if (hs_->Complete()) {
    auto ts = hs_->Split(options_.rekey_interval);
    if (!ts.ok()) return Fail(ts.status());
    ts_.emplace(std::move(*ts));
    hs_.reset();
    (void)Send(ErrorMsg{refused.code(), refused.message()});
  }
  return Fail(std::move(refused));
}

Status Session::Open() {
  state_ = SessionState::kOpen;
  // Hello carries what this node holds, its own writes sealed and signed.
  if (Status s = SealOwn(); !s.ok()) return Fail(s);
  auto mine = env_.replica->GetVersionVector();
  if (!mine.ok()) return Fail(mine.status());
  mine_ = std::move(*mine);
  HelloMsg h;
  h.protocol_version = options_.protocol_version;
  h.node_id = env_.policy->SelfId();
  h.vv = mine_;
  h.scopes_wanted = options_.scopes_wanted;
  h.wall_clock_micros = env_.clock->NowMicros();
  if (options_.compress) {
    h.accepts_zstd = true;
    if (options_.dictionaries) h.zstd_dictionaries = options_.dictionaries->Ids();
  }
  OUTPOST_RETURN_IF_ERROR(Send(h));
  if (role_ == SessionRole::kInitiator) {
    if (auto statement = env_.policy->PendingRotation(*peer_)) {
      rotation_awaited_ = true;
      return Send(RotateMsg{std::move(*statement)});
    }
  }
  return Status::Ok();
}

Status Session::Send(const Message& m) {
  Bytes plain = EncodeMessage(m);
  if (plain.size() > kMaxMessageBytes) {
    return Fail(Status::Internal("session message of " + std::to_string(plain.size()) +
                                 " bytes exceeds one frame"));
  }
  auto ct = ts_->Encrypt(plain);
  if (!ct.ok()) return Fail(ct.status());
  size_t before = out_.size();
  AppendFrame(out_, *ct);
  stats_.bytes_out += out_.size() - before;
  ++stats_.frames_out;
  return Status::Ok();
}

Bytes Session::TakeOutput() {
  Bytes out;
  out.swap(out_);
  return out;
}

Status Session::Reauthorize() {
  if (!remote_static_ || state_ == SessionState::kFailed || state_ == SessionState::kComplete)
    return Status::Ok();
  auto id = env_.policy->AuthorizePeer(*remote_static_);
  if (id.ok() && *id == *peer_) return Status::Ok();
  Status s = id.ok() ? Status::Unauthenticated("peer key now belongs to another node")
                     : id.status().WithContext("peer no longer authorized");
  if (ts_) (void)Send(ErrorMsg{s.code(), s.message()});
  return Fail(s);
}

Status Session::HandleMessage(Message m) {
  if (auto* e = std::get_if<ErrorMsg>(&m)) {
    return Fail(Status(e->code, "peer reported: " + e->reason));
  }
  if (!hello_received_ && !std::holds_alternative<HelloMsg>(m)) {
    return Protocol("a message before Hello");
  }
  if (auto* h = std::get_if<HelloMsg>(&m)) return OnHello(std::move(*h));
  if (auto* c = std::get_if<ChunkMsg>(&m)) return OnChunk(std::move(*c));
  if (auto* a = std::get_if<AckMsg>(&m)) return OnAck(std::move(*a));
  if (auto* r = std::get_if<RotateMsg>(&m)) return OnRotate(std::move(*r));
  if (auto* r = std::get_if<RotateReplyMsg>(&m)) return OnRotateReply(std::move(*r));
  // Done.
  if (done_received_) return Protocol("a second Done");
  done_received_ = true;
  MaybeComplete();
  return Status::Ok();
}

Status Session::OnHello(HelloMsg h) {
  if (hello_received_) return Protocol("a second Hello");
  if (h.protocol_version != options_.protocol_version) {
    Status s = Status::FailedPrecondition(
        "hello.protocolVersion: " + std::to_string(h.protocol_version) + " (this node speaks " +
        std::to_string(options_.protocol_version) + ")");
    (void)Send(ErrorMsg{s.code(), s.message()});
    return Fail(s);
  }
  if (h.node_id != *peer_) {
    Status s = Status::Unauthenticated("hello.nodeId: " + UuidToString(h.node_id) +
                                       " is not the authenticated peer " + UuidToString(*peer_));
    (void)Send(ErrorMsg{s.code(), s.message()});
    return Fail(s);
  }
  hello_received_ = true;
  stats_.peer_clock_offset_micros = h.wall_clock_micros - env_.clock->NowMicros();
  peer_wants_ = std::move(h.scopes_wanted);
  to_peer_ = ChooseCompression(h);
  send_view_ = h.vv;
  if (env_.ledger) {
    Status s = env_.ledger->Advance(*peer_, h.vv);
    if (!s.ok()) return Fail(s);
  }
  return Pump();
}

BatchCompression Session::ChooseCompression(const HelloMsg& h) const {
  BatchCompression how;
  if (!options_.compress || !h.accepts_zstd) return how;  // a peer built before compression
  how.method = Compression::kZstd;
  const uint32_t want = options_.preferred_dictionary;
  if (want != 0 && options_.dictionaries && options_.dictionaries->Find(want) &&
      std::find(h.zstd_dictionaries.begin(), h.zstd_dictionaries.end(), want) !=
          h.zstd_dictionaries.end()) {
    how.method = Compression::kZstdDictionary;
    how.dictionary = want;
  }
  return how;
}

bool Session::Allowed(const std::string& scope) {
  if (!peer_wants_.empty() &&
      std::find(peer_wants_.begin(), peer_wants_.end(), scope) == peer_wants_.end()) {
    return false;
  }
  return env_.policy->MayRead(*peer_, scope);
}

Status Session::SealOwn() {
  PeerPolicy* policy = env_.policy;
  return env_.replica
      ->Seal([policy](std::span<const uint8_t> input) { return policy->Sign(input); })
      .status();
}

Status Session::Refill() {
  // Our own writes committed since the last look (by any process) go too.
  if (Status s = SealOwn(); !s.ok()) return Fail(s);
  auto batches = env_.replica->BatchesFor(
      send_view_, [this](const std::string& scope) { return Allowed(scope); }, kRefillBytes);
  if (!batches.ok()) return Fail(batches.status());
  if (batches->empty()) exhausted_ = true;
  for (auto& b : *batches) queue_.push_back(std::move(b));
  return Status::Ok();
}

Status Session::Pump() {
  const size_t budget = options_.max_chunk_bytes;
  while (state_ == SessionState::kOpen && hello_received_ && !done_sent_ &&
         unacked_.size() < options_.max_unacked_chunks) {
    ChunkMsg chunk;
    size_t size = ChunkOverhead(0);
    for (;;) {
      if (queue_.empty() && !exhausted_) OUTPOST_RETURN_IF_ERROR(Refill());
      if (queue_.empty()) break;
      OutgoingBatch& b = queue_.front();
      auto packed = EncodeSignedBatch(b.batch, codec_, to_peer_, options_.dictionaries);
      if (!packed.ok()) return Fail(packed.status());
      Bytes enc = std::move(*packed);
      size_t add = RoundUp8(enc.size()) + 8;
      if (size + add > budget) {
        if (chunk.batches.empty()) {
          return Fail(Status::FailedPrecondition(
              "batch " + std::to_string(b.seq) + " of " + UuidToString(b.origin) + " in " +
              b.scope + " is " + std::to_string(enc.size()) + " bytes, more than a chunk holds"));
        }
        break;
      }
      send_view_.Set(b.origin, b.scope, b.seq);
      stats_.batch_bytes_sent += enc.size();
      stats_.batch_raw_bytes_sent += b.batch.body.size() + b.batch.signature.size();
      chunk.batches.push_back(std::move(enc));
      size += add;
      queue_.pop_front();
    }
    if (chunk.batches.empty()) {
      if (unacked_.empty()) {
        done_sent_ = true;
        OUTPOST_RETURN_IF_ERROR(Send(DoneMsg{}));
        MaybeComplete();
      }
      break;
    }
    chunk.number = ++last_chunk_out_;
    unacked_.push_back(chunk.number);
    ++stats_.chunks_sent;
    stats_.batches_sent += chunk.batches.size();
    OUTPOST_RETURN_IF_ERROR(Send(chunk));
  }
  return state_ == SessionState::kFailed ? failure_ : Status::Ok();
}

Status Session::OnChunk(ChunkMsg c) {
  if (done_received_) return Protocol("a Chunk after Done");
  if (c.number != last_chunk_in_ + 1) {
    return Protocol("chunk " + std::to_string(c.number) + " where " +
                    std::to_string(last_chunk_in_ + 1) + " was due");
  }
  if (c.batches.empty()) return Protocol("an empty Chunk");
  last_chunk_in_ = c.number;
  std::vector<SignedBatch> batches;
  batches.reserve(c.batches.size());
  // A chunk expands to at most kMaxChunkRawBytes of bodies, however they
  // were compressed: a chunk of small bombs is refused, not held in memory.
  size_t budget = kMaxChunkRawBytes;
  for (const Bytes& b : c.batches) {
    auto sb = DecodeSignedBatch(b, codec_, options_.dictionaries, budget);
    if (sb.ok()) budget -= std::min(budget, sb->body.size());
    if (!sb.ok()) {
      Status s = sb.status().WithContext("chunk " + std::to_string(c.number));
      (void)Send(ErrorMsg{s.code(), s.message()});
      return Fail(s);
    }
    batches.push_back(std::move(*sb));
  }
  PeerPolicy* policy = env_.policy;
  auto report = env_.replica->Merge(
      batches, [policy](const ChangeBatch& batch, const SignedBatch& signed_batch) -> Status {
        if (!policy->MayRead(policy->SelfId(), batch.scope)) {
          return Status::PermissionDenied("scope " + batch.scope + " is not this node's to hold");
        }
        return policy->VerifyBatch(batch, signed_batch);
      });
  if (!report.ok()) {
    Status s = report.status().WithContext("merging chunk " + std::to_string(c.number));
    (void)Send(ErrorMsg{Code::kUnavailable, "receiver could not commit: " + s.message()});
    return Fail(s);
  }
  ++stats_.chunks_received;
  stats_.batches_received += batches.size();
  stats_.applied += report->applied;
  stats_.duplicates += report->duplicates;
  stats_.refused += report->refused.size();
  stats_.column_changes += report->column_changes;
  if (!report->refused.empty()) stats_.last_refusal = report->refused.back().ToString();
  auto after = env_.replica->GetVersionVector();
  if (!after.ok()) return Fail(after.status());
  AckMsg ack;
  ack.number = c.number;
  ack.committed = Moved(mine_, *after);
  ack.refused = static_cast<uint32_t>(report->refused.size());
  mine_ = std::move(*after);
  return Send(ack);
}

Status Session::OnAck(AckMsg a) {
  if (unacked_.empty() || unacked_.front() != a.number) {
    return Protocol("ack of chunk " + std::to_string(a.number) + " that is not outstanding");
  }
  unacked_.pop_front();
  if (env_.ledger) {
    Status s = env_.ledger->Advance(*peer_, a.committed);
    if (!s.ok()) return Fail(s);
  }
  return Pump();
}

Status Session::OnRotate(RotateMsg m) {
  if (role_ != SessionRole::kResponder) return Protocol("a Rotate sent to the initiator");
  if (rotate_received_) return Protocol("a second Rotate");
  if (done_received_) return Protocol("a Rotate after Done");
  rotate_received_ = true;
  auto answer = env_.policy->HandleRotation(*peer_, m.statement);
  RotateReplyMsg reply;
  if (answer.ok()) {
    reply.certificate_file = std::move(*answer);
    stats_.rotation = "certificate issued";
    stats_.rotation_ok = true;
  } else {
    reply.code = answer.status().code();
    reply.reason = answer.status().message();
    stats_.rotation = "refused: " + answer.status().ToString();
  }
  return Send(reply);
}

Status Session::OnRotateReply(RotateReplyMsg m) {
  if (!rotation_awaited_) return Protocol("a RotateReply to no Rotate");
  rotation_awaited_ = false;
  Result<Bytes> answer =
      m.code == Code::kOk ? Result<Bytes>(std::move(m.certificate_file))
                          : Result<Bytes>(Status(m.code, "peer refused the rotation: " + m.reason));
  auto outcome = env_.policy->OnRotationReply(*peer_, std::move(answer));
  stats_.rotation_ok = outcome.ok();
  stats_.rotation = outcome.ok() ? *outcome : outcome.status().ToString();
  MaybeComplete();
  return Status::Ok();
}

void Session::MaybeComplete() {
  if (state_ != SessionState::kOpen || !done_sent_ || !done_received_ || rotation_awaited_) return;
  state_ = SessionState::kComplete;
  if (env_.ledger) (void)env_.ledger->RecordSuccess(*peer_, env_.clock->NowMicros());
}

}  // namespace outpost::sync
