// API tokens for machine clients (another agency's system, a reporting job):
// an admin issues one with a name and a role, the client sends it as
// `Authorization: Bearer TOKEN`, the admin revokes it. Node-local, in the
// table `web_token` of the node's database, beside web_account.
//
// A token is "opt_" + 16 hex digits (its id, for lookup) + "_" + 64 hex
// digits (32 random bytes, its secret). Shown once, at issue.
//
// Invariants:
//  1. Only a BLAKE2b-256 hash of the secret is stored (the secret is 256
//     random bits, so a fast hash is enough: there is nothing to guess).
//  2. Verify compares hashes in constant time (sodium_memcmp) and never
//     accepts a revoked token; a revoked name stays taken (its audit entries
//     keep meaning one client).
//  3. A token's name shares the rule of account names; its audit officer is
//     "token:NAME", so the log tells a machine client from a person.
// Not thread-safe: one Tokens per Store, used from one thread.
#ifndef OUTPOST_WEB_TOKENS_H_
#define OUTPOST_WEB_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/sqlite.h"
#include "base/status.h"
#include "web/accounts.h"

namespace outpost::web {

struct TokenInfo {
  std::string name;
  Role role = Role::kOfficer;
  int64_t created = 0;  // microseconds, UTC
  std::optional<int64_t> revoked;
};

class Tokens {
 public:
  // Creates the table if missing. kIoError from SQLite.
  static Result<Tokens> Open(Db& db);

  // A new token for `name`: the whole token, to be shown once.
  // kInvalidArgument: a bad name; kAlreadyExists: the name is taken (also by a
  // revoked token).
  Result<std::string> Issue(std::string_view name, Role role, Random& random, int64_t now);
  // kNotFound: no such token. Revoking twice is not an error.
  Status Revoke(std::string_view name, int64_t now);
  Result<std::vector<TokenInfo>> List();
  // The live token `bearer` is, or nullopt (malformed, unknown, wrong secret,
  // revoked: the caller cannot tell which, on purpose).
  Result<std::optional<TokenInfo>> Verify(std::string_view bearer);

 private:
  explicit Tokens(Db& db) : db_(&db) {}
  Db* db_;
};

// "token:NAME": the officer a token's requests are recorded under.
std::string TokenActor(std::string_view name);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_TOKENS_H_
