// The session handshake: Noise Protocol Framework, revision 34, as a pure
// state machine (no sockets, no clocks). Two patterns:
//
//   Noise_XX_25519_ChaChaPoly_BLAKE2b      first contact; neither side knows
//     -> e                                 the other's static key in advance.
//     <- e, ee, s, es
//     -> s, se
//
//   Noise_IK_25519_ChaChaPoly_BLAKE2b      reconnect; the initiator already
//     <- s                                 knows the responder's static key
//     ...                                  (e.g. the HQ key pinned at
//     -> e, es, s, ss                      enrolment). One round trip.
//     <- e, ee, se
//
// DH is X25519 (crypto_scalarmult), the cipher ChaCha20-Poly1305 IETF with
// nonce = 4 zero bytes || 64-bit little-endian counter, the hash BLAKE2b-512
// (crypto_generichash), HMAC per RFC 2104 over it (128-byte block) and HKDF
// as defined by Noise. Fresh ephemeral keys on both sides give forward
// secrecy: recording a session and later stealing both static keys does not
// reveal it.
//
// Invariants:
//   1. A HandshakeState is used for one handshake. Any error from
//      ReadMessage/WriteMessage (other than calling out of turn) poisons it;
//      every later call returns kInvalidArgument. Start a new one.
//   2. Each side's ephemeral key is drawn from `random` when the state is
//      created, so a responder fed a replayed first message answers with a
//      new ephemeral: the replayer cannot complete or read the session.
//   3. A CipherState never encrypts two messages under one nonce: the counter
//      only moves forward, a failed decrypt does not advance it, and nonce
//      2^64-1 is refused. A reordered, duplicated, dropped or altered frame
//      therefore fails to decrypt; after a lost frame every later one fails
//      too, so the session layer ends the session on the first failure.
//   4. The caller's prologue is hashed into h; both sides must pass the same
//      bytes (OutpostPrologue) or the first encrypted field fails, which
//      defeats protocol-version downgrades.
//
// State diagram (each arrow names the call that makes the transition):
//
//   XX initiator: start -Write(1)-> wait -Read(2)-> send -Write(3)-> Complete
//   XX responder: start -Read(1)-> send -Write(2)-> wait -Read(3)-> Complete
//   IK initiator: start -Write(1)-> wait -Read(2)-> Complete
//   IK responder: start -Read(1)-> send -Write(2)-> Complete
//   any state -error from Read/Write-> Failed (terminal; Failed() is true)
//   Complete -Split()-> spent, returning TransportState {send, recv}
//
// Thread safety: none; one session's event loop owns its states.
// Requires InitCrypto().
#ifndef OUTPOST_CRYPTO_NOISE_H_
#define OUTPOST_CRYPTO_NOISE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/secret.h"

namespace outpost::crypto {

enum class NoisePattern { kXX, kIK };

// "Noise_XX_25519_ChaChaPoly_BLAKE2b" or "Noise_IK_25519_ChaChaPoly_BLAKE2b".
std::string_view NoiseProtocolName(NoisePattern pattern);

inline constexpr size_t kNoiseKeySize = 32;
inline constexpr size_t kNoiseHashSize = 64;
inline constexpr size_t kNoiseTagSize = 16;
inline constexpr size_t kNoiseMaxMessageSize = 65535;
// TransportState rekeys each direction after this many frames (see Rekey).
inline constexpr uint64_t kNoiseRekeyInterval = uint64_t{1} << 20;

// The prologue Outpost binds into every handshake: "outpost/1" followed by
// the 4-byte big-endian sync protocol version.
Bytes OutpostPrologue(uint32_t protocol_version);

namespace detail {
struct CipherStateTestAccess;
}
class HandshakeState;

// One direction of an encrypted channel: a 32-byte key and a 64-bit counter
// nonce. Move-only.
class CipherState {
 public:
  CipherState() = default;  // no key: Encrypt/Decrypt refuse
  // `key` must be 32 bytes (asserted: callers derive it, no user input).
  explicit CipherState(std::span<const uint8_t> key);

  CipherState(CipherState&&) noexcept = default;
  CipherState& operator=(CipherState&&) noexcept = default;

  bool HasKey() const { return !k_.empty(); }
  // The nonce the next Encrypt/Decrypt will use.
  uint64_t nonce() const { return n_; }

  // Encrypts with the next nonce and advances it. Returns ciphertext || tag.
  // kInvalidArgument: no key, or the result would exceed 65535 bytes.
  // kFailedPrecondition: the nonce space is used up (n = 2^64-1); the
  //   session must end.
  Result<Bytes> EncryptWithAd(std::span<const uint8_t> ad, std::span<const uint8_t> plaintext);
  // Decrypts with the next nonce; advances it only on success.
  // kInvalidArgument: no key, shorter than the tag, longer than 65535.
  // kUnauthenticated: the tag does not verify (altered, reordered, replayed,
  //   or a frame before it was dropped).
  // kFailedPrecondition: nonce space used up.
  Result<Bytes> DecryptWithAd(std::span<const uint8_t> ad, std::span<const uint8_t> ciphertext);

  // Noise REKEY: k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero
  // bytes). The nonce is unchanged. Both ends must rekey at the same point in
  // the stream. No-op without a key.
  void Rekey();

 private:
  friend struct detail::CipherStateTestAccess;
  friend class HandshakeState;
  // Noise InitializeKey: sets the key and resets the nonce to 0.
  void InitializeKey(std::span<const uint8_t> key);

  SecretBytes k_;  // empty when there is no key
  uint64_t n_ = 0;
};

// The two directions after a handshake, with Outpost's rekey rule built in:
// after every kNoiseRekeyInterval frames in a direction, both ends rekey
// that direction (each counts its own frames, so no signal is sent).
class TransportState {
 public:
  // `rekey_interval` > 0 (asserted); tests pass small values.
  TransportState(CipherState send, CipherState recv, uint64_t rekey_interval = kNoiseRekeyInterval);

  // As CipherState::EncryptWithAd / DecryptWithAd with empty ad, plus the
  // rekey rule.
  Result<Bytes> Encrypt(std::span<const uint8_t> plaintext);
  Result<Bytes> Decrypt(std::span<const uint8_t> frame);

  CipherState& send() { return send_; }
  CipherState& recv() { return recv_; }
  const CipherState& send() const { return send_; }
  const CipherState& recv() const { return recv_; }

 private:
  CipherState send_;
  CipherState recv_;
  uint64_t rekey_interval_;
};

class HandshakeState {
 public:
  // The side that sends the first message. `local_static` is copied (into
  // guarded memory). `remote_static` is required for IK (the responder's
  // pinned key) and refused for XX. The ephemeral secret is drawn from
  // `random` now; `random` is not kept.
  // kInvalidArgument: remote_static missing for IK or given for XX.
  static Result<HandshakeState> Initiator(NoisePattern pattern, const KxKeyPair& local_static,
                                          std::optional<PublicKeyBytes> remote_static,
                                          std::span<const uint8_t> prologue, Random& random);
  // The side that receives the first message.
  static Result<HandshakeState> Responder(NoisePattern pattern, const KxKeyPair& local_static,
                                          std::span<const uint8_t> prologue, Random& random);

  HandshakeState(HandshakeState&&) noexcept = default;
  HandshakeState& operator=(HandshakeState&&) noexcept = default;

  // Produces the next handshake message carrying `payload` (encrypted once a
  // key exists; the first XX message's payload travels in clear, and the
  // first IK message's payload can be replayed to the responder -- send
  // nothing there that must not be repeated).
  // kInvalidArgument: not this side's turn, handshake complete or failed, or
  //   message would exceed 65535 bytes.
  // kUnauthenticated: the peer's key is a low-order point (DH is all zero).
  Result<Bytes> WriteMessage(std::span<const uint8_t> payload);
  // Consumes the peer's next handshake message; returns its payload.
  // kInvalidArgument: not this side's turn, complete or failed, wrong length.
  // kUnauthenticated: an encrypted field fails to decrypt (wrong keys,
  //   different prologue, altered bytes) or the peer sent a low-order key.
  Result<Bytes> ReadMessage(std::span<const uint8_t> message);

  bool Complete() const;
  bool Failed() const { return failed_; }
  // True when the next call should be WriteMessage (false when complete).
  bool IsMyTurn() const;
  // The peer's static public key once it is known (IK initiator: from the
  // start; otherwise after the message carrying it decrypts).
  std::optional<PublicKeyBytes> RemoteStatic() const { return rs_; }
  // The 64-byte handshake hash h. Equal on both sides once Complete(); use
  // it for channel binding (e.g. sign it to bind an Ed25519 identity).
  // The span is valid while *this lives.
  std::span<const uint8_t> HandshakeHash() const { return h_; }

  // Derives the transport keys. kInvalidArgument unless Complete() and not
  // already split. Afterwards this state holds no key material.
  Result<TransportState> Split(uint64_t rekey_interval = kNoiseRekeyInterval);

 private:
  enum class Token : uint8_t { kE, kS, kEE, kES, kSE, kSS };
  using MessagePattern = std::vector<Token>;

  HandshakeState(NoisePattern pattern, bool initiator, const KxKeyPair& local_static,
                 std::optional<PublicKeyBytes> remote_static, std::span<const uint8_t> prologue,
                 Random& random);

  void MixHash(std::span<const uint8_t> data);
  void MixKey(std::span<const uint8_t> ikm);
  Status MixDh(Token token);
  Result<Bytes> EncryptAndHash(std::span<const uint8_t> plaintext);
  Result<Bytes> DecryptAndHash(std::span<const uint8_t> ciphertext);
  Status Fail(Status status);

  bool initiator_;
  std::vector<MessagePattern> messages_;
  size_t next_message_ = 0;  // index into messages_
  bool failed_ = false;
  bool split_ = false;

  // SymmetricState.
  SecretBytes ck_;                         // chaining key, 64 bytes
  std::array<uint8_t, kNoiseHashSize> h_;  // handshake hash
  CipherState cipher_;

  KxKeyPair s_;                       // local static
  KxKeyPair e_;                       // local ephemeral
  std::optional<PublicKeyBytes> rs_;  // remote static
  std::optional<PublicKeyBytes> re_;  // remote ephemeral
};

}  // namespace outpost::crypto

#endif  // OUTPOST_CRYPTO_NOISE_H_
