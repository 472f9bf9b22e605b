#include "web/sessions.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "base/bytes.h"

namespace outpost::web {
namespace {

std::string HashId(std::string_view id) {
  std::array<uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(id.data()), id.size(),
                     nullptr, 0);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

std::string Sessions::RandomHex() {
  std::array<uint8_t, 32> b{};
  random_.Fill(b);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t x : b) {
    out += kHex[x >> 4];
    out += kHex[x & 15];
  }
  return out;
}

std::string Sessions::Create(const std::string& account, Role role, Session* out) {
  int64_t now = clock_.NowMicros();
  while (by_hash_.size() >= limits_.max_sessions && !by_hash_.empty()) {
    auto oldest = std::min_element(by_hash_.begin(), by_hash_.end(), [](auto& a, auto& b) {
      return a.second.created < b.second.created;
    });
    by_hash_.erase(oldest);
  }
  std::string id = RandomHex();
  Session s{account, role, RandomHex(), now, now};
  by_hash_[HashId(id)] = s;
  if (out) *out = s;
  return id;
}

std::optional<Session> Sessions::Touch(std::string_view id) {
  if (id.size() != 64) return std::nullopt;
  auto it = by_hash_.find(HashId(id));
  if (it == by_hash_.end()) return std::nullopt;
  int64_t now = clock_.NowMicros();
  Session& s = it->second;
  if (now - s.last_seen > limits_.idle_micros || now - s.created > limits_.absolute_micros) {
    by_hash_.erase(it);
    return std::nullopt;
  }
  s.last_seen = std::max(s.last_seen, now);
  return s;
}

void Sessions::Remove(std::string_view id) { by_hash_.erase(HashId(id)); }

void Sessions::RemoveAccount(std::string_view account) {
  std::erase_if(by_hash_, [&](const auto& kv) { return kv.second.account == account; });
}

bool LoginRateLimiter::Blocked(const std::string& key, int max, int64_t now, int64_t* retry) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now - it->second.last > limits_.window_micros) {
    entries_.erase(it);
    return false;
  }
  if (it->second.failures < max) return false;
  int64_t wait = it->second.last + limits_.window_micros - now;
  *retry = std::max(*retry, (wait + 999'999) / 1'000'000);
  return true;
}

bool LoginRateLimiter::Allowed(const std::string& account, const std::string& address,
                               int64_t* retry_after_seconds) {
  int64_t now = clock_.NowMicros();
  int64_t retry = 0;
  bool blocked = Blocked("a:" + account, limits_.max_failures_per_account, now, &retry);
  blocked = Blocked("i:" + address, limits_.max_failures_per_address, now, &retry) || blocked;
  if (retry_after_seconds) *retry_after_seconds = retry;
  return !blocked;
}

void LoginRateLimiter::Count(const std::string& key, int64_t now) {
  if (entries_.size() >= kMaxTrackedKeys && !entries_.contains(key)) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](auto& a, auto& b) { return a.second.last < b.second.last; });
    entries_.erase(oldest);
  }
  Entry& e = entries_[key];
  if (now - e.last > limits_.window_micros) e.failures = 0;
  ++e.failures;
  e.last = now;
}

void LoginRateLimiter::Failed(const std::string& account, const std::string& address) {
  int64_t now = clock_.NowMicros();
  Count("a:" + account, now);
  Count("i:" + address, now);
}

void LoginRateLimiter::Succeeded(const std::string& account) { entries_.erase("a:" + account); }

}  // namespace outpost::web
