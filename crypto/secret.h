// Secret key material in guarded memory, and the one-time libsodium set-up.
//
// Invariants:
//   1. Every byte of secret key material Outpost holds lives in a SecretBytes:
//      sodium_malloc'd (guard pages, canary, mlock'd where the OS allows) and
//      wiped by sodium_free when the owner dies.
//   2. SecretBytes is move-only: there is exactly one owner of each secret.
//   3. InitCrypto() has returned OK before any other outpost::crypto call.
#ifndef OUTPOST_CRYPTO_SECRET_H_
#define OUTPOST_CRYPTO_SECRET_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/status.h"

namespace outpost::crypto {

// Initialises libsodium (sodium_init). Call once at start-up, before any other
// function in outpost::crypto; further calls are cheap no-ops. Thread-safe.
// Returns kInternal if libsodium cannot initialise (no usable entropy source).
Status InitCrypto();

// True once InitCrypto() has succeeded. Used by assertions.
bool CryptoInitialized();

// A fixed-size buffer of secret bytes in sodium_malloc'd memory, zeroed on
// allocation and wiped on destruction. Move-only; a moved-from SecretBytes is
// empty. Not thread-safe: one owner uses it at a time.
class SecretBytes {
 public:
  SecretBytes() = default;
  // Allocates `size` zero bytes. Aborts on allocation failure, like operator
  // new: a node that cannot lock 100 bytes of key memory cannot run.
  explicit SecretBytes(size_t size);
  // A guarded copy of `bytes` (the caller wipes its own copy).
  static SecretBytes CopyOf(std::span<const uint8_t> bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  std::span<uint8_t> span() { return {data_, size_}; }
  std::span<const uint8_t> span() const { return {data_, size_}; }

  // An independent guarded copy. Explicit, so copies of secrets are visible.
  SecretBytes Clone() const { return CopyOf(span()); }

  // Constant-time comparison of contents (sizes must match to be equal).
  bool Equals(std::span<const uint8_t> other) const;

 private:
  void Release();

  uint8_t* data_ = nullptr;  // owned; sodium_malloc'd, or null when empty
  size_t size_ = 0;
};

// sodium_memzero: overwrites `size` bytes in a way the compiler keeps.
void Wipe(void* data, size_t size);

// A short-lived secret on the stack (a DH output, an HKDF block), wiped with
// sodium_memzero when it goes out of scope. For intermediates that live for
// one function call: sodium_malloc costs several system calls (mmap,
// mprotect, mlock), too many for the ~40 intermediates of one handshake.
// Anything kept in an object uses SecretBytes.
template <size_t N>
class StackSecret {
 public:
  StackSecret() { bytes_.fill(0); }
  StackSecret(const StackSecret&) = delete;
  StackSecret& operator=(const StackSecret&) = delete;
  ~StackSecret() { Wipe(bytes_.data(), N); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  std::span<uint8_t, N> span() { return bytes_; }
  std::span<const uint8_t, N> span() const { return bytes_; }

 private:
  std::array<uint8_t, N> bytes_;
};

}  // namespace outpost::crypto

#endif  // OUTPOST_CRYPTO_SECRET_H_
