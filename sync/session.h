// One sync session with one peer, both directions, as a state machine fed
// with bytes and producing bytes: no sockets, no clocks, no threads
// (sync/transport.h runs it over TCP; tests pump bytes between two).
// Protocol and formats: docs/protocol.md.
//
// Invariants:
//   1. No peer byte reaches the replica before it decrypted under the
//      session's Noise keys and the peer's static key passed
//      PeerPolicy::AuthorizePeer. Any decrypt, framing or decoding failure
//      ends the session (kUnauthenticated / kCorruption); nothing later is
//      read, so a flipped byte can never be merged.
//   2. A chunk is merged in one transaction (Replica::Merge) and committed
//      before its Ack is produced: an acked batch survives a crash.
//   3. The sender's knowledge of the peer (PeerLedger) moves only on the
//      peer's Hello and Acks, never on sending.
//   4. At most `max_unacked_chunks` chunks are in flight per direction, so
//      a cut loses (and the next session re-sends) at most that many; the
//      next session starts from the version vectors, nothing else.
//   5. Every batch sent is in a scope PeerPolicy::MayRead allows the peer
//      (and, if the peer listed scopes, one it asked for); every batch
//      received passes PeerPolicy::VerifyBatch and MayRead(self, scope).
//
// State diagram (transitions name the function that makes them):
//
//   initiator: kStart -Start()-> kHandshake (preamble, Noise msg 1 sent)
//   responder: kStart -Receive(preamble): ReadPreamble()-> kHandshake
//   kHandshake -Receive(last Noise msg) / AuthorizePeer ok-> kOpen (Hello sent)
//   kOpen: (initiator, PeerPolicy::PendingRotation) Rotate sent after Hello
//          Receive(Rotate)      -> PeerPolicy::HandleRotation -> RotateReply
//          Receive(RotateReply) -> PeerPolicy::OnRotationReply
//          Receive(Hello) -> Pump(): Chunk ... while the peer lacks batches
//          Receive(Chunk) -> Merge, commit -> Ack
//          Receive(Ack)   -> Pump()
//          nothing to send and all acked -> Done sent
//   kOpen -Done sent, Done received, no RotateReply awaited-> kComplete
//   any -error, peer Error, Reauthorize() refused-> kFailed (terminal)
//
// Thread safety: none; one io_context thread (or one test) owns a session.
#ifndef OUTPOST_SYNC_SESSION_H_
#define OUTPOST_SYNC_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/noise.h"
#include "sync/compression.h"
#include "sync/frame.h"
#include "sync/peer_ledger.h"
#include "sync/peer_policy.h"
#include "sync/replica.h"
#include "sync/wire.h"

namespace outpost::sync {

enum class SessionRole { kInitiator, kResponder };
enum class SessionState { kStart, kHandshake, kOpen, kComplete, kFailed };

// The most a received chunk's batch bodies may expand to, in all (256x a
// chunk): compressed bodies beyond it are refused (kCorruption) unopened.
inline constexpr size_t kMaxChunkRawBytes = size_t{16} << 20;

struct SessionOptions {
  // Bound on an encoded Chunk message (≤ kMaxMessageBytes, i.e. one frame).
  size_t max_chunk_bytes = kMaxMessageBytes;
  // Chunks sent and not yet acknowledged, per direction (>= 1).
  size_t max_unacked_chunks = 1;
  // Scopes this node asks for; empty: everything the peer may send it.
  std::vector<std::string> scopes_wanted;
  uint64_t rekey_interval = crypto::kNoiseRekeyInterval;
  // Protocol version offered and accepted (tests change it).
  uint32_t protocol_version = kProtocolVersion;
  // How error messages name the peer, e.g. its HOST:PORT ("" : "the peer").
  std::string peer_label;
  // Batch compression (docs/protocol.md, "Compression"): with `compress`,
  // the Hello offers zstd and lists `dictionaries`; batches to a peer that
  // offered zstd are compressed, with `preferred_dictionary` when the peer
  // lists it, else plain zstd. Not owned; outlives the session.
  bool compress = true;
  const ZstdDictionaries* dictionaries = nullptr;
  uint32_t preferred_dictionary = 0;
};

struct SessionStats {
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t frames_in = 0, frames_out = 0;
  uint64_t chunks_sent = 0, chunks_received = 0;
  uint64_t batches_sent = 0, batches_received = 0;
  uint64_t batch_bytes_sent = 0;      // encoded SignedBatch bytes inside chunks
  uint64_t batch_raw_bytes_sent = 0;  // the same batches' raw bodies + signatures
  uint64_t applied = 0, duplicates = 0, refused = 0, column_changes = 0;
  int64_t peer_clock_offset_micros = 0;  // peer's wall clock minus ours at Hello
  std::string last_refusal;              // reason of the last refused batch
  // A key rotation in this session: what became of it ("" if none): the
  // initiator's OnRotationReply result, or the responder's answer.
  std::string rotation;
  bool rotation_ok = false;
};

// What a session needs from its surroundings; all referenced objects must
// outlive the session. `ledger` may be null (nothing is recorded).
struct SessionEnv {
  Replica* replica = nullptr;
  PeerPolicy* policy = nullptr;
  PeerLedger* ledger = nullptr;
  Clock* clock = nullptr;
  Random* random = nullptr;
};

class Session {
 public:
  // `local_static` is this node's Noise static key (copied). An initiator
  // with `pinned_remote` uses Noise IK to that key, else XX; a responder
  // accepts either. kInvalidArgument for a responder given a pinned key.
  static Result<std::unique_ptr<Session>> Create(
      SessionRole role, SessionEnv env, const crypto::KxKeyPair& local_static,
      std::optional<crypto::PublicKeyBytes> pinned_remote, SessionOptions options = {});

  // Initiator: queues the preamble and the first handshake message (IK:
  // after AuthorizePeer accepted the pinned key). Responder: nothing.
  Status Start();

  // Consumes bytes read from the link and queues any reply. Returns the
  // session's failure (also kept in failure()) once it failed:
  //   kCorruption        bad preamble, frame length, message or batch bytes
  //   kUnauthenticated   a handshake or transport frame failed to decrypt;
  //                      the peer's key is not enrolled; Hello from another id
  //   kPermissionDenied  the peer is revoked
  //   kFailedPrecondition unknown protocol version (either side)
  //   kInvalidArgument   a message out of turn (protocol violation)
  //   others             the peer's Error, or the store failed
  // Bytes after completion are ignored.
  Status Receive(std::span<const uint8_t> bytes);

  // Bytes to write to the link, in order; moves them out. After failure it
  // may still hold an Error frame (best effort) worth flushing.
  Bytes TakeOutput();
  bool HasOutput() const { return !out_.empty(); }

  // Asks the policy again about the peer (revocation during a long
  // session); on refusal sends Error and fails. OK before the handshake.
  Status Reauthorize();

  SessionState state() const { return state_; }
  bool complete() const { return state_ == SessionState::kComplete; }
  bool failed() const { return state_ == SessionState::kFailed; }
  const Status& failure() const { return failure_; }
  // The peer its handshake named, once that passed AuthorizePeer. Before
  // peer_proven() this may be a replayed IK first message, not the peer.
  const std::optional<NodeId>& peer() const { return peer_; }
  // A transport frame from the peer decrypted: the peer holds the keys the
  // handshake named (a replayed handshake never gets this far).
  bool peer_proven() const { return proven_; }
  const SessionStats& stats() const { return stats_; }

 private:
  Session(SessionRole role, SessionEnv env, crypto::KxKeyPair local,
          std::optional<crypto::PublicKeyBytes> pinned, SessionOptions options);

  Status Fail(Status s);
  Status Protocol(const std::string& what);  // kInvalidArgument failure
  // Responder, kStart: reads the initiator's preamble once it is all in and
  // starts the handshake (kHandshake); refuses another protocol version.
  Status ReadPreamble();
  // Initiator, kHandshake: the responder's first bytes are its preamble
  // (it refused our version) or not an Outpost node's. A Status to return
  // from Receive (Ok: wait for the rest of the preamble), or nullopt to read
  // the bytes as handshake frames.
  std::optional<Status> CheckResponderAnswer();
  Status HandleHandshakeFrame(std::span<const uint8_t> frame);
  // kOpen: decrypts one frame (the peer is then proven), decodes and
  // handles its message; a message that does not decode is answered with
  // an Error.
  Status HandleTransportFrame(std::span<const uint8_t> frame);
  Status Authorize(const crypto::PublicKeyBytes& key);
  Status Open();
  // Responder, peer refused with kPermissionDenied (revoked, expired):
  // completes the handshake, sends one Error naming `refused`, and fails.
  Status RefuseAfterHandshake(Status refused);
  Status Send(const Message& m);
  Status HandleMessage(Message m);
  Status OnHello(HelloMsg m);
  Status OnChunk(ChunkMsg m);
  Status OnAck(AckMsg m);
  Status OnRotate(RotateMsg m);
  Status OnRotateReply(RotateReplyMsg m);
  Status Pump();
  // Seals this node's pending writes, signed with the policy's key
  // (Replica::Seal), so the log the session reads holds only signed batches.
  Status SealOwn();
  Status Refill();
  bool Allowed(const std::string& scope);
  // How to compress batches for a peer whose Hello is `h`.
  BatchCompression ChooseCompression(const HelloMsg& h) const;
  void MaybeComplete();

  SessionRole role_;
  SessionEnv env_;
  crypto::KxKeyPair local_;
  std::optional<crypto::PublicKeyBytes> pinned_;
  SessionOptions options_;

  SessionState state_ = SessionState::kStart;
  Status failure_;
  FrameDecoder in_;
  Bytes out_;
  std::optional<crypto::HandshakeState> hs_;
  std::optional<crypto::TransportState> ts_;
  std::optional<crypto::PublicKeyBytes> remote_static_;
  std::optional<NodeId> peer_;
  bool proven_ = false;
  SessionStats stats_;

  // Receiving side.
  VersionVector mine_;  // our version vector after the last commit
  uint64_t last_chunk_in_ = 0;
  bool done_received_ = false;
  bool rotate_received_ = false;
  bool rotation_awaited_ = false;  // initiator: Rotate sent, no reply yet

  // Sending side.
  bool hello_received_ = false;
  std::vector<std::string> peer_wants_;
  BatchCompression to_peer_;  // how batches to this peer are compressed
  ZstdCodec codec_;
  VersionVector send_view_;  // peer's Hello plus everything queued since
  std::deque<OutgoingBatch> queue_;
  bool exhausted_ = false;
  std::deque<uint64_t> unacked_;
  uint64_t last_chunk_out_ = 0;
  bool done_sent_ = false;
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_SESSION_H_
