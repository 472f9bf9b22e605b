#include "crypto/noise.h"

#include <sodium.h>

#include <cassert>
#include <cstring>
#include <string>

#include "crypto/noise_internal.h"

namespace outpost::crypto {

namespace {

constexpr size_t kBlockSize = 128;  // BLAKE2b block, the HMAC block size
constexpr uint64_t kMaxNonce = ~uint64_t{0};
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == kNoiseKeySize);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == kNoiseTagSize);
static_assert(crypto_generichash_BYTES_MAX == kNoiseHashSize);

// Noise ChaChaPoly nonce: 32 bits of zeros, then the counter little-endian.
std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> NonceBytes(uint64_t n) {
  std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES> out{};
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return out;
}

std::string Pos(uint64_t n) { return std::to_string(n); }

}  // namespace

namespace detail {

void HmacBlake2b(std::span<const uint8_t> key,
                 std::initializer_list<std::span<const uint8_t>> parts,
                 std::span<uint8_t, kNoiseHashSize> out) {
  assert(key.size() <= kBlockSize);
  StackSecret<kBlockSize> pad;
  std::memcpy(pad.data(), key.data(), key.size());
  for (size_t i = 0; i < kBlockSize; ++i) pad.data()[i] ^= 0x36;

  StackSecret<kNoiseHashSize> inner;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kNoiseHashSize);
  crypto_generichash_update(&st, pad.data(), kBlockSize);
  for (auto part : parts) crypto_generichash_update(&st, part.data(), part.size());
  crypto_generichash_final(&st, inner.data(), inner.size());

  // Turn the inner pad (K ^ 0x36) into the outer pad (K ^ 0x5c).
  for (size_t i = 0; i < kBlockSize; ++i) pad.data()[i] ^= 0x36 ^ 0x5c;
  crypto_generichash_init(&st, nullptr, 0, kNoiseHashSize);
  crypto_generichash_update(&st, pad.data(), kBlockSize);
  crypto_generichash_update(&st, inner.data(), inner.size());
  crypto_generichash_final(&st, out.data(), out.size());
  Wipe(&st, sizeof st);
}

void NoiseHkdf(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm, int num_outputs,
               std::span<uint8_t> out) {
  assert((num_outputs == 2 || num_outputs == 3) &&
         out.size() == kNoiseHashSize * static_cast<size_t>(num_outputs));
  StackSecret<kNoiseHashSize> temp_key;
  HmacBlake2b(chaining_key, {ikm}, temp_key.span());
  const uint8_t one = 0x01;
  HmacBlake2b(temp_key.span(), {std::span<const uint8_t>(&one, 1)},
              out.subspan<0, kNoiseHashSize>());
  for (int i = 2; i <= num_outputs; ++i) {
    const uint8_t index = static_cast<uint8_t>(i);
    std::span<const uint8_t> previous = out.subspan((i - 2) * kNoiseHashSize, kNoiseHashSize);
    HmacBlake2b(temp_key.span(), {previous, std::span<const uint8_t>(&index, 1)},
                out.subspan((i - 1) * kNoiseHashSize).first<kNoiseHashSize>());
  }
}

}  // namespace detail

std::string_view NoiseProtocolName(NoisePattern pattern) {
  switch (pattern) {
    case NoisePattern::kXX:
      return "Noise_XX_25519_ChaChaPoly_BLAKE2b";
    case NoisePattern::kIK:
      return "Noise_IK_25519_ChaChaPoly_BLAKE2b";
  }
  return "";
}

Bytes OutpostPrologue(uint32_t protocol_version) {
  static constexpr std::string_view kTag = "outpost/1";
  Bytes out(kTag.begin(), kTag.end());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(protocol_version >> (8 * i)));
  return out;
}

// ---------------------------------------------------------------- CipherState

CipherState::CipherState(std::span<const uint8_t> key) { InitializeKey(key); }

void CipherState::InitializeKey(std::span<const uint8_t> key) {
  assert(key.size() == kNoiseKeySize);
  // Reuse the guarded allocation: a handshake rekeys its cipher several times.
  if (k_.empty()) k_ = SecretBytes(kNoiseKeySize);
  std::memcpy(k_.data(), key.data(), kNoiseKeySize);
  n_ = 0;
}

Result<Bytes> CipherState::EncryptWithAd(std::span<const uint8_t> ad,
                                         std::span<const uint8_t> plaintext) {
  if (!HasKey()) return Status::InvalidArgument("noise: encrypt with no key");
  if (plaintext.size() > kNoiseMaxMessageSize - kNoiseTagSize) {
    return Status::InvalidArgument("noise: plaintext of " + Pos(plaintext.size()) +
                                   " bytes exceeds the 65519-byte frame limit");
  }
  if (n_ == kMaxNonce) {
    return Status::FailedPrecondition("noise: nonce space exhausted; start a new session");
  }
  auto nonce = NonceBytes(n_);
  Bytes out(plaintext.size() + kNoiseTagSize);
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), nullptr, plaintext.data(), plaintext.size(),
                                            ad.data(), ad.size(), nullptr, nonce.data(), k_.data());
  ++n_;
  return out;
}

Result<Bytes> CipherState::DecryptWithAd(std::span<const uint8_t> ad,
                                         std::span<const uint8_t> ciphertext) {
  if (!HasKey()) return Status::InvalidArgument("noise: decrypt with no key");
  if (ciphertext.size() < kNoiseTagSize || ciphertext.size() > kNoiseMaxMessageSize) {
    return Status::InvalidArgument("noise: frame of " + Pos(ciphertext.size()) +
                                   " bytes (must be 16..65535)");
  }
  if (n_ == kMaxNonce) {
    return Status::FailedPrecondition("noise: nonce space exhausted; start a new session");
  }
  auto nonce = NonceBytes(n_);
  Bytes out(ciphertext.size() - kNoiseTagSize);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), nullptr, nullptr, ciphertext.data(),
                                                ciphertext.size(), ad.data(), ad.size(),
                                                nonce.data(), k_.data()) != 0) {
    return Status::Unauthenticated("noise: frame " + Pos(n_) +
                                   " fails to decrypt (altered, reordered, replayed or a "
                                   "frame was lost)");
  }
  ++n_;
  return out;
}

void CipherState::Rekey() {
  if (!HasKey()) return;
  auto nonce = NonceBytes(kMaxNonce);
  uint8_t zeros[kNoiseKeySize] = {};
  StackSecret<kNoiseKeySize + kNoiseTagSize> out;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), nullptr, zeros, sizeof zeros, nullptr, 0,
                                            nullptr, nonce.data(), k_.data());
  std::memcpy(k_.data(), out.data(), kNoiseKeySize);
}

// ------------------------------------------------------------- TransportState

TransportState::TransportState(CipherState send, CipherState recv, uint64_t rekey_interval)
    : send_(std::move(send)), recv_(std::move(recv)), rekey_interval_(rekey_interval) {
  assert(rekey_interval_ > 0);
}

Result<Bytes> TransportState::Encrypt(std::span<const uint8_t> plaintext) {
  OUTPOST_ASSIGN_OR_RETURN(Bytes frame, send_.EncryptWithAd({}, plaintext));
  if (send_.nonce() % rekey_interval_ == 0) send_.Rekey();
  return frame;
}

Result<Bytes> TransportState::Decrypt(std::span<const uint8_t> frame) {
  OUTPOST_ASSIGN_OR_RETURN(Bytes plaintext, recv_.DecryptWithAd({}, frame));
  if (recv_.nonce() % rekey_interval_ == 0) recv_.Rekey();
  return plaintext;
}

// ------------------------------------------------------------- HandshakeState

HandshakeState::HandshakeState(NoisePattern pattern, bool initiator, const KxKeyPair& local_static,
                               std::optional<PublicKeyBytes> remote_static,
                               std::span<const uint8_t> prologue, Random& random)
    : initiator_(initiator),
      ck_(kNoiseHashSize),
      s_(local_static.Clone()),
      e_(KxKeyPair::Generate(random)),
      rs_(remote_static) {
  using T = Token;
  if (pattern == NoisePattern::kXX) {
    messages_ = {{T::kE}, {T::kE, T::kEE, T::kS, T::kES}, {T::kS, T::kSE}};
  } else {
    messages_ = {{T::kE, T::kES, T::kS, T::kSS}, {T::kE, T::kEE, T::kSE}};
  }
  // InitializeSymmetric: the name fits in HASHLEN, so h = name zero-padded.
  std::string_view name = NoiseProtocolName(pattern);
  h_.fill(0);
  std::memcpy(h_.data(), name.data(), name.size());
  std::memcpy(ck_.data(), h_.data(), h_.size());
  MixHash(prologue);
  // IK pre-message "<- s": both sides hash the responder's static key.
  if (pattern == NoisePattern::kIK) {
    MixHash(initiator_ ? std::span<const uint8_t>(*rs_) : s_.PublicKey());
  }
}

Result<HandshakeState> HandshakeState::Initiator(NoisePattern pattern,
                                                 const KxKeyPair& local_static,
                                                 std::optional<PublicKeyBytes> remote_static,
                                                 std::span<const uint8_t> prologue,
                                                 Random& random) {
  if (pattern == NoisePattern::kIK && !remote_static) {
    return Status::InvalidArgument("noise IK initiator: the responder's static key is required");
  }
  if (pattern == NoisePattern::kXX && remote_static) {
    return Status::InvalidArgument(
        "noise XX initiator: a remote static key is learnt in the handshake, not given");
  }
  return HandshakeState(pattern, true, local_static, remote_static, prologue, random);
}

Result<HandshakeState> HandshakeState::Responder(NoisePattern pattern,
                                                 const KxKeyPair& local_static,
                                                 std::span<const uint8_t> prologue,
                                                 Random& random) {
  return HandshakeState(pattern, false, local_static, std::nullopt, prologue, random);
}

bool HandshakeState::Complete() const { return next_message_ == messages_.size() && !failed_; }

bool HandshakeState::IsMyTurn() const {
  if (failed_ || next_message_ >= messages_.size()) return false;
  // Message 0 is the initiator's, 1 the responder's, and so on.
  return (next_message_ % 2 == 0) == initiator_;
}

void HandshakeState::MixHash(std::span<const uint8_t> data) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kNoiseHashSize);
  crypto_generichash_update(&st, h_.data(), h_.size());
  crypto_generichash_update(&st, data.data(), data.size());
  crypto_generichash_final(&st, h_.data(), h_.size());
}

void HandshakeState::MixKey(std::span<const uint8_t> ikm) {
  StackSecret<2 * kNoiseHashSize> out;
  detail::NoiseHkdf(ck_.span(), ikm, 2, out.span());
  std::memcpy(ck_.data(), out.data(), kNoiseHashSize);
  // HASHLEN is 64: the cipher key is the first 32 bytes of the second output.
  cipher_.InitializeKey(out.span().subspan(kNoiseHashSize, kNoiseKeySize));
}

Status HandshakeState::MixDh(Token token) {
  // Which of our keys meets which of theirs, per Noise section 7.
  const KxKeyPair* ours = nullptr;
  const std::optional<PublicKeyBytes>* theirs = nullptr;
  switch (token) {
    case Token::kEE:
      ours = &e_, theirs = &re_;
      break;
    case Token::kSS:
      ours = &s_, theirs = &rs_;
      break;
    case Token::kES:  // initiator's ephemeral with responder's static
      ours = initiator_ ? &e_ : &s_, theirs = initiator_ ? &rs_ : &re_;
      break;
    case Token::kSE:  // initiator's static with responder's ephemeral
      ours = initiator_ ? &s_ : &e_, theirs = initiator_ ? &re_ : &rs_;
      break;
    default:
      assert(false && "not a DH token");
  }
  assert(theirs->has_value() && "pattern tables guarantee the key was read first");
  StackSecret<crypto_scalarmult_BYTES> dh;
  if (crypto_scalarmult(dh.data(), ours->Secret().data(), (*theirs)->data()) != 0) {
    return Status::Unauthenticated("noise: peer key is a low-order point (DH output is zero)");
  }
  MixKey(dh.span());
  return Status::Ok();
}

Result<Bytes> HandshakeState::EncryptAndHash(std::span<const uint8_t> plaintext) {
  Bytes out;
  if (cipher_.HasKey()) {
    OUTPOST_ASSIGN_OR_RETURN(out, cipher_.EncryptWithAd(h_, plaintext));
  } else {
    out.assign(plaintext.begin(), plaintext.end());
  }
  MixHash(out);
  return out;
}

Result<Bytes> HandshakeState::DecryptAndHash(std::span<const uint8_t> ciphertext) {
  Bytes out;
  if (cipher_.HasKey()) {
    OUTPOST_ASSIGN_OR_RETURN(out, cipher_.DecryptWithAd(h_, ciphertext));
  } else {
    out.assign(ciphertext.begin(), ciphertext.end());
  }
  MixHash(ciphertext);
  return out;
}

Status HandshakeState::Fail(Status status) {
  failed_ = true;
  // Drop the key material now; the state can never be used again.
  ck_ = SecretBytes();
  cipher_ = CipherState();
  return status;
}

Result<Bytes> HandshakeState::WriteMessage(std::span<const uint8_t> payload) {
  if (failed_) return Status::InvalidArgument("noise: handshake already failed");
  if (next_message_ >= messages_.size()) {
    return Status::InvalidArgument("noise: handshake already complete");
  }
  if (!IsMyTurn()) return Status::InvalidArgument("noise: not our turn to write");
  // Upper bound on this message's size: 48 per static key, 32 per ephemeral,
  // 16 for the payload tag.
  if (payload.size() > kNoiseMaxMessageSize - 48 - 32 - 16) {
    return Status::InvalidArgument("noise: handshake payload of " + Pos(payload.size()) +
                                   " bytes is too large");
  }
  Bytes out;
  for (Token t : messages_[next_message_]) {
    switch (t) {
      case Token::kE:
        out.insert(out.end(), e_.PublicKey().begin(), e_.PublicKey().end());
        MixHash(e_.PublicKey());
        break;
      case Token::kS: {
        auto enc = EncryptAndHash(s_.PublicKey());
        if (!enc.ok()) return Fail(enc.status());
        out.insert(out.end(), enc->begin(), enc->end());
        break;
      }
      default: {
        Status st = MixDh(t);
        if (!st.ok()) return Fail(st);
      }
    }
  }
  auto enc = EncryptAndHash(payload);
  if (!enc.ok()) return Fail(enc.status());
  out.insert(out.end(), enc->begin(), enc->end());
  ++next_message_;
  return out;
}

Result<Bytes> HandshakeState::ReadMessage(std::span<const uint8_t> message) {
  if (failed_) return Status::InvalidArgument("noise: handshake already failed");
  if (next_message_ >= messages_.size()) {
    return Status::InvalidArgument("noise: handshake already complete");
  }
  if (IsMyTurn()) return Status::InvalidArgument("noise: not our turn to read");
  if (message.size() > kNoiseMaxMessageSize) {
    return Fail(Status::InvalidArgument("noise: handshake message of " + Pos(message.size()) +
                                        " bytes exceeds 65535"));
  }
  const size_t message_number = next_message_ + 1;
  auto too_short = [&](std::string_view field) {
    return Fail(Status::InvalidArgument("noise: handshake message " + Pos(message_number) + " of " +
                                        Pos(message.size()) + " bytes is too short for " +
                                        std::string(field)));
  };
  size_t at = 0;
  for (Token t : messages_[next_message_]) {
    switch (t) {
      case Token::kE: {
        if (message.size() - at < kPublicKeySize) return too_short("the ephemeral key");
        PublicKeyBytes re;
        std::memcpy(re.data(), &message[at], re.size());
        at += re.size();
        re_ = re;
        MixHash(re);
        break;
      }
      case Token::kS: {
        const size_t len = kPublicKeySize + (cipher_.HasKey() ? kNoiseTagSize : 0);
        if (message.size() - at < len) return too_short("the static key");
        auto dec = DecryptAndHash(message.subspan(at, len));
        if (!dec.ok()) {
          return Fail(Status::Unauthenticated("noise: handshake message " + Pos(message_number) +
                                              ": static key fails to decrypt"));
        }
        at += len;
        PublicKeyBytes rs;
        std::memcpy(rs.data(), dec->data(), rs.size());
        rs_ = rs;
        break;
      }
      default: {
        Status st = MixDh(t);
        if (!st.ok()) return Fail(st);
      }
    }
  }
  if (cipher_.HasKey() && message.size() - at < kNoiseTagSize) return too_short("the payload tag");
  auto payload = DecryptAndHash(message.subspan(at));
  if (!payload.ok()) {
    return Fail(Status::Unauthenticated("noise: handshake message " + Pos(message_number) +
                                        ": payload fails to decrypt"));
  }
  ++next_message_;
  return payload;
}

Result<TransportState> HandshakeState::Split(uint64_t rekey_interval) {
  if (!Complete()) return Status::InvalidArgument("noise: split before the handshake completed");
  if (split_) return Status::InvalidArgument("noise: handshake already split");
  split_ = true;
  StackSecret<2 * kNoiseHashSize> out;
  detail::NoiseHkdf(ck_.span(), {}, 2, out.span());
  // c1 takes over the handshake cipher's guarded allocation (InitializeKey
  // overwrites the key in place), so Split costs one sodium_malloc, not two.
  CipherState c1 = std::move(cipher_);
  c1.InitializeKey(out.span().subspan(0, kNoiseKeySize));
  CipherState c2(out.span().subspan(kNoiseHashSize, kNoiseKeySize));
  ck_ = SecretBytes();
  cipher_ = CipherState();
  if (initiator_) return TransportState(std::move(c1), std::move(c2), rekey_interval);
  return TransportState(std::move(c2), std::move(c1), rekey_interval);
}

}  // namespace outpost::crypto
