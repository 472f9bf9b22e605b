#include "crypto/keys.h"

#include <cassert>
#include <cstring>

namespace outpost::crypto {

Result<VerifyKey> VerifyKey::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kPublicKeySize) {
    return Status::InvalidArgument("verify key: " + std::to_string(bytes.size()) +
                                   " bytes, an Ed25519 public key is 32");
  }
  PublicKeyBytes b;
  std::memcpy(b.data(), bytes.data(), b.size());
  return VerifyKey(b);
}

Status VerifyKey::Verify(std::span<const uint8_t> message,
                         std::span<const uint8_t> signature) const {
  if (signature.size() != kSignatureSize) {
    return Status::InvalidArgument("signature: " + std::to_string(signature.size()) +
                                   " bytes, an Ed25519 signature is 64");
  }
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                  bytes_.data()) != 0) {
    return Status::Unauthenticated("signature does not verify with key " + Fingerprint(bytes_));
  }
  return Status::Ok();
}

SigningKey SigningKey::Generate(Random& random) {
  SecretBytes seed(kSigningSeedSize);
  random.Fill(seed.span());
  return std::move(FromSeed(seed.span())).value();  // the size is right by construction
}

Result<SigningKey> SigningKey::FromSeed(std::span<const uint8_t> seed) {
  if (seed.size() != kSigningSeedSize) {
    return Status::InvalidArgument("signing key seed: " + std::to_string(seed.size()) +
                                   " bytes, an Ed25519 seed is 32");
  }
  SecretBytes secret(crypto_sign_SECRETKEYBYTES);
  PublicKeyBytes pub;
  crypto_sign_seed_keypair(pub.data(), secret.data(), seed.data());
  return SigningKey(std::move(secret), pub);
}

Signature SigningKey::Sign(std::span<const uint8_t> message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

KxKeyPair KxKeyPair::Generate(Random& random) {
  // One guarded allocation: the scalar is drawn straight into the memory the
  // pair keeps (each sodium_malloc costs several system calls).
  SecretBytes secret(crypto_scalarmult_SCALARBYTES);
  random.Fill(secret.span());
  PublicKeyBytes pub;
  crypto_scalarmult_base(pub.data(), secret.data());
  return KxKeyPair(std::move(secret), pub);
}

Result<KxKeyPair> KxKeyPair::FromSecret(std::span<const uint8_t> secret) {
  if (secret.size() != crypto_scalarmult_SCALARBYTES) {
    return Status::InvalidArgument("x25519 secret: " + std::to_string(secret.size()) +
                                   " bytes, an X25519 secret is 32");
  }
  SecretBytes s = SecretBytes::CopyOf(secret);
  PublicKeyBytes pub;
  crypto_scalarmult_base(pub.data(), s.data());
  return KxKeyPair(std::move(s), pub);
}

Result<Hash> KxPossessionTag(const KxKeyPair& own, const PublicKeyBytes& peer,
                             std::span<const uint8_t> context) {
  SecretBytes dh(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(dh.data(), own.Secret().data(), peer.data()) != 0) {
    return Status::Unauthenticated("x25519 key " + Fingerprint(peer) +
                                   ": a low-order point, no shared secret");
  }
  SecretBytes key(crypto_generichash_KEYBYTES);
  crypto_generichash(key.data(), key.size(), dh.data(), dh.size(), nullptr, 0);
  Hash tag;
  crypto_generichash(tag.data(), tag.size(), context.data(), context.size(), key.data(),
                     key.size());
  return tag;
}

Hash Hash256(std::span<const uint8_t> data) {
  Hash h;
  crypto_generichash(h.data(), h.size(), data.data(), data.size(), nullptr, 0);
  return h;
}

Hasher::Hasher() { crypto_generichash_init(&state_, nullptr, 0, kHashSize); }

Hasher& Hasher::Update(std::span<const uint8_t> data) {
  assert(!finished_ && "Hasher::Update after Finish");
  crypto_generichash_update(&state_, data.data(), data.size());
  return *this;
}

Hash Hasher::Finish() {
  assert(!finished_ && "Hasher::Finish called twice");
  finished_ = true;
  Hash h;
  crypto_generichash_final(&state_, h.data(), h.size());
  return h;
}

namespace {
std::array<uint8_t, kFingerprintBytes> FingerprintBytes(std::span<const uint8_t> key) {
  Hash h = Hash256(key);
  std::array<uint8_t, kFingerprintBytes> out;
  std::memcpy(out.data(), h.data(), out.size());
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr size_t kGroups = kFingerprintBytes / 2;                // 8 groups of 2 bytes
constexpr size_t kFingerprintChars = kGroups * 4 + kGroups - 1;  // 39
}  // namespace

std::string Fingerprint(std::span<const uint8_t> public_key) {
  std::string hex = ToHex(FingerprintBytes(public_key));
  std::string out;
  out.reserve(kFingerprintChars);
  for (size_t g = 0; g < kGroups; ++g) {
    if (g > 0) out.push_back('-');
    out.append(hex, g * 4, 4);
  }
  return out;
}

Result<std::array<uint8_t, kFingerprintBytes>> ParseFingerprint(std::string_view text) {
  if (text.size() != kFingerprintChars) {
    return Status::InvalidArgument("fingerprint: \"" + std::string(text) + "\" has " +
                                   std::to_string(text.size()) +
                                   " characters, expected 39 (8 groups of 4 hex digits "
                                   "joined by '-')");
  }
  std::array<uint8_t, kFingerprintBytes> out{};
  size_t nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 5 == 4) {
      if (text[i] != '-') {
        return Status::InvalidArgument("fingerprint: expected '-' at position " +
                                       std::to_string(i) + " of \"" + std::string(text) + "\"");
      }
      continue;
    }
    int v = HexDigit(text[i]);
    if (v < 0) {
      return Status::InvalidArgument("fingerprint: '" + std::string(1, text[i]) + "' at position " +
                                     std::to_string(i) + " of \"" + std::string(text) +
                                     "\" is not a hex digit");
    }
    out[nibble / 2] = static_cast<uint8_t>(out[nibble / 2] | (nibble % 2 ? v : v << 4));
    ++nibble;
  }
  return out;
}

bool MatchesFingerprint(std::span<const uint8_t> public_key, std::string_view fingerprint) {
  auto parsed = ParseFingerprint(fingerprint);
  return parsed.ok() && *parsed == FingerprintBytes(public_key);
}

}  // namespace outpost::crypto
