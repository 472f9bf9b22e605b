#include "crypto/keystore.h"

#include <sodium.h>

#include <cstring>
#include <string>

#include "crypto/keystore_internal.h"

namespace outpost::crypto {

namespace {

constexpr uint8_t kMagic[4] = {'O', 'P', 'K', 'S'};
constexpr size_t kSaltSize = crypto_pwhash_SALTBYTES;                        // 16
constexpr size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kKeySize = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;     // 32
constexpr size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
// Header layout offsets.
constexpr size_t kVersionAt = 4;
constexpr size_t kOpsAt = 5;
constexpr size_t kMemAt = 13;
constexpr size_t kSaltAt = 21;
constexpr size_t kNonceAt = kSaltAt + kSaltSize;  // 37
static_assert(kNonceAt + kNonceSize == kKeyFileHeaderSize);
static_assert(kSaltSize == 16 && kNonceSize == 24 && kKeySize == 32);

constexpr uint8_t kSecretsMagic[4] = {'O', 'P', 'N', 'S'};
constexpr uint8_t kSecretsVersion = 1;
constexpr size_t kSecretsSize = 4 + 1 + kSigningSeedSize + 32;

void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

std::string ParamsText(const PwhashParams& p) {
  return "opslimit " + std::to_string(p.opslimit) + ", memlimit " + std::to_string(p.memlimit);
}

// Refuses work factors outside [floor, Max]. `what` names the source.
Status CheckParams(const PwhashParams& p, const PwhashParams& lo, Code code,
                   std::string_view what) {
  PwhashParams hi = PwhashParams::Max();
  if (p.opslimit < lo.opslimit || p.memlimit < lo.memlimit) {
    return Status(code, std::string(what) + ": Argon2id " + ParamsText(p) +
                            " is below the minimum (" + ParamsText(lo) + ")");
  }
  if (p.opslimit > hi.opslimit || p.memlimit > hi.memlimit) {
    return Status(code, std::string(what) + ": Argon2id " + ParamsText(p) +
                            " is above the maximum (" + ParamsText(hi) + ")");
  }
  return Status::Ok();
}

Result<SecretBytes> DeriveKey(std::string_view passphrase, const uint8_t* salt,
                              const PwhashParams& p) {
  SecretBytes key(kKeySize);
  if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(), salt, p.opslimit,
                    static_cast<size_t>(p.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("key file: Argon2id failed with " + ParamsText(p) +
                            " (out of memory?)");
  }
  return key;
}

Status CheckHeader(std::span<const uint8_t> sealed) {
  if (sealed.size() < 4 || std::memcmp(sealed.data(), kMagic, 4) != 0) {
    return Status::Corruption("key file: missing magic \"OPKS\" (not an Outpost key file)");
  }
  if (sealed.size() < kKeyFileHeaderSize + kTagSize) {
    return Status::Corruption("key file: truncated at " + std::to_string(sealed.size()) +
                              " bytes (at least " + std::to_string(kKeyFileHeaderSize + kTagSize) +
                              " expected)");
  }
  if (sealed[kVersionAt] != kKeyFileVersion) {
    return Status::Corruption("key file: unknown format version " +
                              std::to_string(sealed[kVersionAt]) + " (this build reads 1)");
  }
  return Status::Ok();
}

}  // namespace

PwhashParams PwhashParams::Moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
PwhashParams PwhashParams::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
PwhashParams PwhashParams::Max() { return {16, crypto_pwhash_MEMLIMIT_SENSITIVE}; }

Result<Bytes> SealWithPassphrase(std::span<const uint8_t> secret, std::string_view passphrase,
                                 const PwhashParams& params) {
  return detail::SealWithPassphraseFloor(secret, passphrase, params, PwhashParams::Interactive());
}

Result<SecretBytes> OpenWithPassphrase(std::span<const uint8_t> sealed,
                                       std::string_view passphrase) {
  return detail::OpenWithPassphraseFloor(sealed, passphrase, PwhashParams::Interactive());
}

Result<Bytes> detail::SealWithPassphraseFloor(std::span<const uint8_t> secret,
                                              std::string_view passphrase,
                                              const PwhashParams& params,
                                              const PwhashParams& floor) {
  if (passphrase.empty()) {
    return Status::InvalidArgument("key file: an empty passphrase is refused");
  }
  OUTPOST_RETURN_IF_ERROR(CheckParams(params, floor, Code::kInvalidArgument, "key file"));

  Bytes out(kKeyFileHeaderSize + secret.size() + kTagSize);
  std::memcpy(out.data(), kMagic, 4);
  out[kVersionAt] = kKeyFileVersion;
  PutU64(&out[kOpsAt], params.opslimit);
  PutU64(&out[kMemAt], params.memlimit);
  randombytes_buf(&out[kSaltAt], kSaltSize);
  randombytes_buf(&out[kNonceAt], kNonceSize);

  OUTPOST_ASSIGN_OR_RETURN(SecretBytes key, DeriveKey(passphrase, &out[kSaltAt], params));
  crypto_aead_xchacha20poly1305_ietf_encrypt(&out[kKeyFileHeaderSize], nullptr, secret.data(),
                                             secret.size(), out.data(), kKeyFileHeaderSize, nullptr,
                                             &out[kNonceAt], key.data());
  return out;
}

Result<PwhashParams> ReadKeyFileParams(std::span<const uint8_t> sealed) {
  OUTPOST_RETURN_IF_ERROR(CheckHeader(sealed));
  return PwhashParams{GetU64(&sealed[kOpsAt]), GetU64(&sealed[kMemAt])};
}

Result<SecretBytes> detail::OpenWithPassphraseFloor(std::span<const uint8_t> sealed,
                                                    std::string_view passphrase,
                                                    const PwhashParams& floor) {
  OUTPOST_ASSIGN_OR_RETURN(PwhashParams params, ReadKeyFileParams(sealed));
  OUTPOST_RETURN_IF_ERROR(CheckParams(params, floor, Code::kCorruption, "key file"));

  OUTPOST_ASSIGN_OR_RETURN(SecretBytes key, DeriveKey(passphrase, &sealed[kSaltAt], params));
  const size_t body = sealed.size() - kKeyFileHeaderSize;
  SecretBytes secret(body - kTagSize);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          secret.data(), nullptr, nullptr, &sealed[kKeyFileHeaderSize], body, sealed.data(),
          kKeyFileHeaderSize, &sealed[kNonceAt], key.data()) != 0) {
    return Status::Unauthenticated("wrong passphrase or damaged key file");
  }
  return secret;
}

SecretBytes SerializeNodeSecrets(const NodeSecrets& secrets) {
  SecretBytes out(kSecretsSize);
  uint8_t* p = out.data();
  std::memcpy(p, kSecretsMagic, 4);
  p[4] = kSecretsVersion;
  std::memcpy(p + 5, secrets.signing.Seed().data(), kSigningSeedSize);
  std::memcpy(p + 5 + kSigningSeedSize, secrets.kx.Secret().data(), 32);
  return out;
}

Result<NodeSecrets> ParseNodeSecrets(std::span<const uint8_t> blob) {
  if (blob.size() != kSecretsSize) {
    return Status::Corruption("node secrets: " + std::to_string(blob.size()) + " bytes, expected " +
                              std::to_string(kSecretsSize));
  }
  if (std::memcmp(blob.data(), kSecretsMagic, 4) != 0) {
    return Status::Corruption("node secrets: missing magic \"OPNS\"");
  }
  if (blob[4] != kSecretsVersion) {
    return Status::Corruption("node secrets: unknown format version " + std::to_string(blob[4]) +
                              " (this build reads 1)");
  }
  OUTPOST_ASSIGN_OR_RETURN(SigningKey signing, SigningKey::FromSeed(blob.subspan(5, 32)));
  OUTPOST_ASSIGN_OR_RETURN(KxKeyPair kx, KxKeyPair::FromSecret(blob.subspan(37, 32)));
  return NodeSecrets{std::move(signing), std::move(kx)};
}

Result<Bytes> SealNodeSecrets(const NodeSecrets& secrets, std::string_view passphrase,
                              const PwhashParams& params) {
  SecretBytes blob = SerializeNodeSecrets(secrets);
  return SealWithPassphrase(blob.span(), passphrase, params);
}

Result<NodeSecrets> OpenNodeSecrets(std::span<const uint8_t> sealed, std::string_view passphrase) {
  OUTPOST_ASSIGN_OR_RETURN(SecretBytes blob, OpenWithPassphrase(sealed, passphrase));
  return ParseNodeSecrets(blob.span());
}

}  // namespace outpost::crypto
