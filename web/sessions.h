// Signed-in sessions and the sign-in rate limit, both in memory: a node
// restart signs everyone out, which is the safe direction.
//
// Sessions (OWASP session management):
//  1. A session id is 32 bytes from the Random seam, sent to the browser
//     once (the cookie) and kept here only as its BLAKE2b hash.
//  2. A session ends `idle` after its last request and `absolute` after
//     sign-in, whichever comes first, measured on the Clock seam.
//  3. Each session has its own CSRF token (32 random bytes); every
//     state-changing request must echo it (App compares in constant time).
//  4. At most `max_sessions`: the oldest is dropped to make room.
//
// Rate limit: each failed sign-in counts against the account name and the
// remote address; once `max_failures_per_account` (or `..._per_address`)
// failures fall within `window`, that key is refused until the window has
// passed since its last failure. A success clears the account's count.
// At most kMaxTrackedKeys keys are remembered (the oldest go first).
// Neither class is thread-safe: the server calls them from its one thread.
#ifndef OUTPOST_WEB_SESSIONS_H_
#define OUTPOST_WEB_SESSIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "web/accounts.h"

namespace outpost::web {

struct SessionLimits {
  int64_t idle_micros = 15LL * 60 * 1'000'000;        // 15 minutes
  int64_t absolute_micros = 12LL * 3600 * 1'000'000;  // a 12-hour shift
  size_t max_sessions = 1000;
};

struct Session {
  std::string account;
  Role role = Role::kOfficer;
  std::string csrf;  // hex
  int64_t created = 0;
  int64_t last_seen = 0;
};

class Sessions {
 public:
  Sessions(Clock& clock, Random& random, SessionLimits limits)
      : clock_(clock), random_(random), limits_(limits) {}

  // A new session; returns its id (hex, for the cookie) and fills *out.
  std::string Create(const std::string& account, Role role, Session* out);
  // The live session with this id, its idle timer restarted; nullopt when
  // unknown or expired (an expired one is removed).
  std::optional<Session> Touch(std::string_view id);
  void Remove(std::string_view id);
  // Ends every session of `account` (disabled, password changed).
  void RemoveAccount(std::string_view account);
  size_t size() const { return by_hash_.size(); }
  const SessionLimits& limits() const { return limits_; }

 private:
  std::string RandomHex();

  Clock& clock_;
  Random& random_;
  SessionLimits limits_;
  std::map<std::string, Session> by_hash_;
};

struct RateLimits {
  int max_failures_per_account = 5;
  int max_failures_per_address = 20;
  int64_t window_micros = 15LL * 60 * 1'000'000;
};

class LoginRateLimiter {
 public:
  static constexpr size_t kMaxTrackedKeys = 10'000;
  LoginRateLimiter(Clock& clock, RateLimits limits) : clock_(clock), limits_(limits) {}

  // Whether a sign-in for `account` from `address` may be tried now; when
  // not, *retry_after_seconds says when it may.
  bool Allowed(const std::string& account, const std::string& address,
               int64_t* retry_after_seconds);
  void Failed(const std::string& account, const std::string& address);
  void Succeeded(const std::string& account);

 private:
  struct Entry {
    int failures = 0;
    int64_t last = 0;
  };
  bool Blocked(const std::string& key, int max, int64_t now, int64_t* retry);
  void Count(const std::string& key, int64_t now);

  Clock& clock_;
  RateLimits limits_;
  std::map<std::string, Entry> entries_;
};

}  // namespace outpost::web

#endif  // OUTPOST_WEB_SESSIONS_H_
