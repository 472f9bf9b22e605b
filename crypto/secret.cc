#include "crypto/secret.h"

#include <sodium.h>

#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace outpost::crypto {

namespace {
// The only process-wide state in this library: whether sodium_init() has run.
// libsodium itself keeps a global "initialised" flag; this mirrors it so that
// assertions can catch a missing InitCrypto() instead of a crash inside
// sodium_malloc.
std::atomic<bool> g_initialized{false};
}  // namespace

Status InitCrypto() {
  // sodium_init() is thread-safe and returns 1 when already initialised.
  if (sodium_init() < 0) {
    return Status::Internal("sodium_init failed: libsodium could not initialise");
  }
  g_initialized.store(true, std::memory_order_release);
  return Status::Ok();
}

bool CryptoInitialized() { return g_initialized.load(std::memory_order_acquire); }

SecretBytes::SecretBytes(size_t size) : size_(size) {
  assert(CryptoInitialized() && "call outpost::crypto::InitCrypto() first");
  if (size == 0) return;
  data_ = static_cast<uint8_t*>(sodium_malloc(size));
  if (data_ == nullptr) {
    std::fprintf(stderr, "outpost: sodium_malloc(%zu) failed: out of lockable memory\n", size);
    std::abort();
  }
  sodium_memzero(data_, size);
}

SecretBytes SecretBytes::CopyOf(std::span<const uint8_t> bytes) {
  SecretBytes s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SecretBytes::~SecretBytes() { Release(); }

void SecretBytes::Release() {
  // sodium_free wipes the memory before unmapping it.
  if (data_ != nullptr) sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
}

void Wipe(void* data, size_t size) { sodium_memzero(data, size); }

bool SecretBytes::Equals(std::span<const uint8_t> other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

}  // namespace outpost::crypto
