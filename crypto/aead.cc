#include "crypto/aead.h"

#include <sodium.h>

#include <cstring>
#include <string>

namespace outpost::crypto {

namespace {

constexpr uint8_t kBoxMagic[4] = {'O', 'P', 'B', 'X'};
constexpr uint8_t kBoxVersion = 1;
constexpr uint8_t kFlagSender = 0x01;
constexpr char kBoxKdfContext[] = "outpost/box/1";
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kAeadNonceSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kAeadTagSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kAeadKeySize);

Status CheckKey(std::span<const uint8_t> key) {
  if (key.size() != kAeadKeySize) {
    return Status::InvalidArgument("aead key: " + std::to_string(key.size()) +
                                   " bytes, XChaCha20-Poly1305 keys are 32");
  }
  return Status::Ok();
}

size_t BoxHeaderSize(bool with_sender) {
  return 4 + 1 + 1 + kPublicKeySize + (with_sender ? kPublicKeySize : 0) + kAeadNonceSize;
}

// Derives the box key. Returns false if a DH output is all zero (low-order
// point), in which case there is no shared secret to use.
bool DeriveBoxKey(const SecretBytes& ours_for_recipient_dh, const PublicKeyBytes& dh_peer,
                  const SecretBytes* sender_secret, const PublicKeyBytes* sender_dh_peer,
                  const PublicKeyBytes& eph_pub, const PublicKeyBytes& recipient_pub,
                  const PublicKeyBytes* sender_pub, SecretBytes& key_out) {
  SecretBytes dh(crypto_scalarmult_BYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kAeadKeySize);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kBoxKdfContext),
                            sizeof(kBoxKdfContext) - 1);
  if (crypto_scalarmult(dh.data(), ours_for_recipient_dh.data(), dh_peer.data()) != 0) {
    return false;
  }
  crypto_generichash_update(&st, dh.data(), dh.size());
  if (sender_secret != nullptr) {
    if (crypto_scalarmult(dh.data(), sender_secret->data(), sender_dh_peer->data()) != 0) {
      return false;
    }
    crypto_generichash_update(&st, dh.data(), dh.size());
  }
  crypto_generichash_update(&st, eph_pub.data(), eph_pub.size());
  crypto_generichash_update(&st, recipient_pub.data(), recipient_pub.size());
  if (sender_pub != nullptr) crypto_generichash_update(&st, sender_pub->data(), sender_pub->size());
  crypto_generichash_final(&st, key_out.data(), key_out.size());
  sodium_memzero(&st, sizeof st);
  return true;
}

Bytes HeaderAndAd(std::span<const uint8_t> header, std::span<const uint8_t> ad) {
  Bytes full(header.begin(), header.end());
  full.insert(full.end(), ad.begin(), ad.end());
  return full;
}

}  // namespace

SecretBytes NewAeadKey(Random& random) {
  SecretBytes key(kAeadKeySize);
  random.Fill(key.span());
  return key;
}

Result<Bytes> AeadSeal(std::span<const uint8_t> key, std::span<const uint8_t> plaintext,
                       std::span<const uint8_t> ad, Random& random) {
  OUTPOST_RETURN_IF_ERROR(CheckKey(key));
  Bytes out(kAeadNonceSize + plaintext.size() + kAeadTagSize);
  random.Fill(std::span<uint8_t>(out.data(), kAeadNonceSize));
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kAeadNonceSize, nullptr, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr,
                                             out.data(), key.data());
  return out;
}

Result<Bytes> AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> sealed,
                       std::span<const uint8_t> ad) {
  OUTPOST_RETURN_IF_ERROR(CheckKey(key));
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return Status::Corruption("sealed data: " + std::to_string(sealed.size()) +
                              " bytes is shorter than nonce + tag (40)");
  }
  Bytes out(sealed.size() - kAeadNonceSize - kAeadTagSize);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), nullptr, nullptr, sealed.data() + kAeadNonceSize,
          sealed.size() - kAeadNonceSize, ad.data(), ad.size(), sealed.data(), key.data()) != 0) {
    return Status::Unauthenticated(
        "sealed data does not authenticate (wrong key, wrong "
        "associated data, or altered bytes)");
  }
  return out;
}

Result<Bytes> SealToRecipient(std::span<const uint8_t> plaintext, const PublicKeyBytes& recipient,
                              Random& random, const KxKeyPair* sender,
                              std::span<const uint8_t> ad) {
  const bool with_sender = sender != nullptr;
  const size_t header_size = BoxHeaderSize(with_sender);
  KxKeyPair eph = KxKeyPair::Generate(random);

  Bytes out(header_size + plaintext.size() + kAeadTagSize);
  uint8_t* p = out.data();
  std::memcpy(p, kBoxMagic, 4);
  p[4] = kBoxVersion;
  p[5] = with_sender ? kFlagSender : 0;
  size_t at = 6;
  std::memcpy(p + at, eph.PublicKey().data(), kPublicKeySize);
  at += kPublicKeySize;
  if (with_sender) {
    std::memcpy(p + at, sender->PublicKey().data(), kPublicKeySize);
    at += kPublicKeySize;
  }
  uint8_t* nonce = p + at;
  random.Fill(std::span<uint8_t>(nonce, kAeadNonceSize));

  SecretBytes key(kAeadKeySize);
  if (!DeriveBoxKey(eph.Secret(), recipient, with_sender ? &sender->Secret() : nullptr, &recipient,
                    eph.PublicKey(), recipient, with_sender ? &sender->PublicKey() : nullptr,
                    key)) {
    return Status::InvalidArgument("recipient key " + ToHex(recipient) +
                                   " is a low-order point: no shared secret");
  }
  Bytes full_ad = HeaderAndAd(std::span<const uint8_t>(p, header_size), ad);
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + header_size, nullptr, plaintext.data(),
                                             plaintext.size(), full_ad.data(), full_ad.size(),
                                             nullptr, nonce, key.data());
  return out;
}

Result<OpenedBox> OpenFromSender(std::span<const uint8_t> sealed, const KxKeyPair& recipient,
                                 const PublicKeyBytes* expected_sender,
                                 std::span<const uint8_t> ad) {
  if (sealed.size() < 6 || std::memcmp(sealed.data(), kBoxMagic, 4) != 0) {
    return Status::Corruption("box: missing magic \"OPBX\" (not an Outpost box)");
  }
  if (sealed[4] != kBoxVersion) {
    return Status::Corruption("box: unknown format version " + std::to_string(sealed[4]) +
                              " (this build reads 1)");
  }
  if ((sealed[5] & ~kFlagSender) != 0) {
    return Status::Corruption("box: unknown flags " + std::to_string(sealed[5]));
  }
  const bool with_sender = (sealed[5] & kFlagSender) != 0;
  const size_t header_size = BoxHeaderSize(with_sender);
  if (sealed.size() < header_size + kAeadTagSize) {
    return Status::Corruption("box: truncated at " + std::to_string(sealed.size()) +
                              " bytes (at least " + std::to_string(header_size + kAeadTagSize) +
                              " expected)");
  }
  PublicKeyBytes eph_pub, sender_pub;
  size_t at = 6;
  std::memcpy(eph_pub.data(), &sealed[at], kPublicKeySize);
  at += kPublicKeySize;
  if (with_sender) {
    std::memcpy(sender_pub.data(), &sealed[at], kPublicKeySize);
    at += kPublicKeySize;
  }
  const uint8_t* nonce = &sealed[at];

  if (expected_sender != nullptr && (!with_sender || sender_pub != *expected_sender)) {
    return Status::Unauthenticated("box: not sealed by the expected sender " +
                                   Fingerprint(*expected_sender));
  }

  SecretBytes key(kAeadKeySize);
  // The recipient computes the same DHs from the other side:
  // DH(r, e_pub) == DH(e, R) and DH(r, S_pub) == DH(S, R).
  if (!DeriveBoxKey(recipient.Secret(), eph_pub, with_sender ? &recipient.Secret() : nullptr,
                    &sender_pub, eph_pub, recipient.PublicKey(),
                    with_sender ? &sender_pub : nullptr, key)) {
    return Status::Unauthenticated("box: low-order key in header, no shared secret");
  }
  Bytes full_ad = HeaderAndAd(sealed.first(header_size), ad);
  OpenedBox box;
  box.plaintext.resize(sealed.size() - header_size - kAeadTagSize);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          box.plaintext.data(), nullptr, nullptr, &sealed[header_size], sealed.size() - header_size,
          full_ad.data(), full_ad.size(), nonce, key.data()) != 0) {
    return Status::Unauthenticated(
        "box: does not authenticate (not for this recipient, "
        "wrong associated data, or altered bytes)");
  }
  if (with_sender) box.sender = sender_pub;
  return box;
}

}  // namespace outpost::crypto
