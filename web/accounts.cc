#include "web/accounts.h"

#include <sodium.h>

#include "base/passphrase.h"

namespace outpost::web {
namespace {

constexpr const char* kAccountSchema = R"sql(
CREATE TABLE IF NOT EXISTS web_account(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  break_glass INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  changed INTEGER NOT NULL,
  language TEXT NOT NULL DEFAULT 'en')
)sql";

// Stores made before accounts had a language get the column (default 'en').
constexpr const char* kAddLanguage =
    "ALTER TABLE web_account ADD COLUMN language TEXT NOT NULL DEFAULT 'en'";
constexpr const char* kColumns = "name, role, disabled, break_glass, created, changed, language";

constexpr size_t kMaxPasswordBytes = 1024;

Account AccountFromRow(Stmt& s) {
  Account a;
  a.name = std::string(s.Text(0));
  auto role = ParseRole(s.Text(1));
  a.role = role.ok() ? *role : Role::kOfficer;
  a.disabled = s.Int(2) != 0;
  a.break_glass = s.Int(3) != 0;
  a.created = s.Int(4);
  a.changed = s.Int(5);
  a.language = std::string(s.Text(6));
  return a;
}

Status CheckPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return Status::InvalidArgument("password: longer than " + std::to_string(kMaxPasswordBytes) +
                                   " bytes");
  }
  Status s = CheckPassphraseStrength(password);
  if (s.ok()) return s;
  // The rule's message says "passphrase"; here it is an account's password.
  std::string m = s.message();
  if (m.rfind("passphrase:", 0) == 0) m = "password:" + m.substr(11);
  return Status::InvalidArgument(m);
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kOfficer:
      return "officer";
    case Role::kSupervisor:
      return "supervisor";
    case Role::kAnalyst:
      return "analyst";
    case Role::kAdmin:
      return "admin";
  }
  return "officer";
}

Result<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::kOfficer, Role::kSupervisor, Role::kAnalyst, Role::kAdmin}) {
    if (RoleName(r) == text) return r;
  }
  return Status::InvalidArgument("role: \"" + std::string(text.substr(0, 64)) +
                                 "\" is not one of officer, supervisor, analyst, admin");
}

PasswordCost PasswordCost::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}
PasswordCost PasswordCost::Cheapest() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Status ValidateAccountName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) {
    ok = ok &&
         ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-');
  }
  if (ok) return Status::Ok();
  std::string shown(name.substr(0, 64));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  }
  return Status::InvalidArgument("name: \"" + shown +
                                 "\" must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
}

Status ValidateLanguage(std::string_view code) {
  for (std::string_view l : kLanguages) {
    if (l == code) return Status::Ok();
  }
  std::string shown(code.substr(0, 16));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  }
  return Status::InvalidArgument("language: \"" + shown +
                                 "\" is not one of en (English), bs (Bosnian/Croatian/Serbian)");
}

Result<Accounts> Accounts::Open(Db& db, PasswordCost cost) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  OUTPOST_RETURN_IF_ERROR(db.Exec(kAccountSchema));
  OUTPOST_ASSIGN_OR_RETURN(auto info, db.Prepare("SELECT 1 FROM pragma_table_info('web_account') "
                                                 "WHERE name='language'"));
  OUTPOST_ASSIGN_OR_RETURN(bool has_language, info->Step());
  if (!has_language) OUTPOST_RETURN_IF_ERROR(db.Exec(kAddLanguage));
  return Accounts(db, cost);
}

Result<std::string> Accounts::Hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), cost_.opslimit, cost_.memlimit) !=
      0) {
    return Status::Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

Status Accounts::Add(std::string_view name, Role role, std::string_view password, int64_t now,
                     bool break_glass, std::string_view language) {
  OUTPOST_RETURN_IF_ERROR(ValidateAccountName(name));
  OUTPOST_RETURN_IF_ERROR(ValidateLanguage(language));
  OUTPOST_RETURN_IF_ERROR(CheckPassword(password));
  OUTPOST_ASSIGN_OR_RETURN(auto existing, Find(name));
  if (existing) {
    return Status::AlreadyExists("name: \"" + std::string(name) + "\" is already an account");
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string hash, Hash(password));
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("INSERT INTO web_account(name, role, hash, disabled, "
                          "break_glass, created, changed, language) VALUES(?,?,?,0,?,?,?,?)"));
  s->Bind(1, name).Bind(2, RoleName(role)).Bind(3, hash);
  s->Bind(4, int64_t{break_glass ? 1 : 0}).Bind(5, now).Bind(6, now).Bind(7, language);
  return s->Run();
}

Status Accounts::SetPassword(std::string_view name, std::string_view password, int64_t now) {
  OUTPOST_RETURN_IF_ERROR(CheckPassword(password));
  OUTPOST_ASSIGN_OR_RETURN(std::string hash, Hash(password));
  OUTPOST_ASSIGN_OR_RETURN(auto s,
                           db_->Cached("UPDATE web_account SET hash=?, changed=? WHERE name=?"));
  s->Bind(1, hash).Bind(2, now).Bind(3, name);
  OUTPOST_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("name: \"" + std::string(name) + "\" is not an account");
  }
  return Status::Ok();
}

Status Accounts::SetLanguage(std::string_view name, std::string_view language, int64_t now) {
  OUTPOST_RETURN_IF_ERROR(ValidateLanguage(language));
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("UPDATE web_account SET language=?, changed=? WHERE name=?"));
  s->Bind(1, language).Bind(2, now).Bind(3, name);
  OUTPOST_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("name: \"" + std::string(name) + "\" is not an account");
  }
  return Status::Ok();
}

Status Accounts::SetDisabled(std::string_view name, bool disabled, int64_t now) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("UPDATE web_account SET disabled=?, changed=? WHERE name=?"));
  s->Bind(1, int64_t{disabled ? 1 : 0}).Bind(2, now).Bind(3, name);
  OUTPOST_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("name: \"" + std::string(name) + "\" is not an account");
  }
  return Status::Ok();
}

Result<std::vector<Account>> Accounts::List() {
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached(std::string("SELECT ") + kColumns + " FROM web_account ORDER BY name"));
  std::vector<Account> out;
  while (true) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(AccountFromRow(*s));
  }
  return out;
}

Result<std::optional<Account>> Accounts::Find(std::string_view name) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached(std::string("SELECT ") + kColumns + " FROM web_account WHERE name=?"));
  s->Bind(1, name);
  OUTPOST_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Account>();
  return std::optional<Account>(AccountFromRow(*s));
}

Result<std::optional<Account>> Accounts::Verify(std::string_view name, std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return std::optional<Account>();
  std::string hash;
  std::optional<Account> account;
  {
    OUTPOST_ASSIGN_OR_RETURN(auto s, db_->Cached(std::string("SELECT ") + kColumns +
                                                 ", hash FROM web_account WHERE name=?"));
    s->Bind(1, name);
    OUTPOST_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      account = AccountFromRow(*s);
      hash = std::string(s->Text(7));
    }
  }
  if (!account) {
    // Invariant 4: the same work for an unknown name.
    static_cast<void>(Hash(password));
    return std::optional<Account>();
  }
  bool match = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  if (!match || account->disabled) return std::optional<Account>();
  return account;
}

}  // namespace outpost::web
