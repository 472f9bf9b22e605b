// Accounts of the people who sign in to the node's pages and API, each with
// one role. Node-local for now: the table `web_account` in the store's
// database, not replicated (docs/api.md, "Accounts", says how they will
// reach the crossings from HQ by sync).
//
// Invariants:
//  1. A password is stored only as libsodium's Argon2id string
//     (crypto_pwhash_str: algorithm, cost, salt and hash in one string).
//  2. A new password passes base/passphrase.h's strength rule.
//  3. A disabled account never signs in; its sessions end at their next
//     request (App checks the account on every request).
//  4. Verify costs one Argon2id computation whether or not the account
//     exists, so a wrong name and a wrong password take the same time.
// Not thread-safe: one Accounts per Store, used from one thread.
#ifndef OUTPOST_WEB_ACCOUNTS_H_
#define OUTPOST_WEB_ACCOUNTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sqlite.h"
#include "base/status.h"

namespace outpost::web {

enum class Role { kOfficer, kSupervisor, kAnalyst, kAdmin };
std::string_view RoleName(Role r);
// "officer", "supervisor", "analyst" or "admin"; kInvalidArgument otherwise.
Result<Role> ParseRole(std::string_view text);

// Argon2id cost. The default is libsodium's INTERACTIVE (64 MiB, 2 passes);
// tests pass Cheapest() so that hundreds of hashes take milliseconds.
struct PasswordCost {
  unsigned long long opslimit;
  size_t memlimit;
  static PasswordCost Interactive();
  static PasswordCost Cheapest();
};

struct Account {
  std::string name;
  Role role = Role::kOfficer;
  bool disabled = false;
  bool break_glass = false;  // a crossing's local emergency account
  int64_t created = 0;       // microseconds, UTC
  int64_t changed = 0;
  std::string language = "en";  // the pages' language (kLanguages)
};

// The languages the pages speak: English, and Bosnian/Croatian/Serbian in
// Latin script (one catalogue: the officers of all three read it alike).
inline constexpr std::string_view kLanguages[] = {"en", "bs"};
// kInvalidArgument naming the field `language` unless `code` is in kLanguages.
Status ValidateLanguage(std::string_view code);

class Accounts {
 public:
  // Creates the table if missing. kIoError from SQLite.
  static Result<Accounts> Open(Db& db, PasswordCost cost = PasswordCost::Interactive());

  // kInvalidArgument: a name that is not 1-64 of [a-z0-9._-] (lower case),
  // a weak password, a language not in kLanguages; kAlreadyExists: the name
  // is taken.
  Status Add(std::string_view name, Role role, std::string_view password, int64_t now,
             bool break_glass = false, std::string_view language = "en");
  // kNotFound: no such account; kInvalidArgument: a weak password.
  Status SetPassword(std::string_view name, std::string_view password, int64_t now);
  // kNotFound: no such account; kInvalidArgument: not in kLanguages.
  Status SetLanguage(std::string_view name, std::string_view language, int64_t now);
  // kNotFound: no such account.
  Status SetDisabled(std::string_view name, bool disabled, int64_t now);
  Result<std::vector<Account>> List();
  // The account, or nullopt.
  Result<std::optional<Account>> Find(std::string_view name);
  // The enabled account whose password this is, or nullopt (wrong name,
  // wrong password, or disabled: the caller cannot tell which, on purpose).
  Result<std::optional<Account>> Verify(std::string_view name, std::string_view password);

 private:
  Accounts(Db& db, PasswordCost cost) : db_(&db), cost_(cost) {}
  Result<std::string> Hash(std::string_view password) const;

  Db* db_;
  PasswordCost cost_;
};

// Checks an account name: 1-64 characters of a-z, 0-9, '.', '_', '-'.
Status ValidateAccountName(std::string_view name);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_ACCOUNTS_H_
