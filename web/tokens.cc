#include "web/tokens.h"

#include <sodium.h>

#include <array>

#include "base/bytes.h"

namespace outpost::web {
namespace {

constexpr const char* kTokenSchema = R"sql(
CREATE TABLE IF NOT EXISTS web_token(
  name TEXT PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  hash BLOB NOT NULL,
  created INTEGER NOT NULL,
  revoked INTEGER)
)sql";

constexpr std::string_view kPrefix = "opt_";
constexpr size_t kIdHex = 16;
constexpr size_t kSecretBytes = 32;

using Digest = std::array<uint8_t, crypto_generichash_BYTES>;

Digest HashSecret(std::string_view secret_hex) {
  Digest d{};
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const uint8_t*>(secret_hex.data()),
                     secret_hex.size(), nullptr, 0);
  return d;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Grammar: "opt_" id "_" secret; id = 16 lower hex, secret = 64 lower hex.
// Splits `token` into id and secret, or false.
bool ParseToken(std::string_view token, std::string_view* id, std::string_view* secret) {
  if (token.size() != kPrefix.size() + kIdHex + 1 + 2 * kSecretBytes) return false;
  if (token.substr(0, kPrefix.size()) != kPrefix || token[kPrefix.size() + kIdHex] != '_') {
    return false;
  }
  *id = token.substr(kPrefix.size(), kIdHex);
  *secret = token.substr(kPrefix.size() + kIdHex + 1);
  return IsLowerHex(*id) && IsLowerHex(*secret);
}

TokenInfo TokenFromRow(Stmt& s) {
  TokenInfo t;
  t.name = std::string(s.Text(0));
  auto role = ParseRole(s.Text(1));
  t.role = role.ok() ? *role : Role::kOfficer;
  t.created = s.Int(2);
  if (!s.IsNull(3)) t.revoked = s.Int(3);
  return t;
}

}  // namespace

std::string TokenActor(std::string_view name) { return "token:" + std::string(name); }

Result<Tokens> Tokens::Open(Db& db) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  OUTPOST_RETURN_IF_ERROR(db.Exec(kTokenSchema));
  return Tokens(db);
}

Result<std::string> Tokens::Issue(std::string_view name, Role role, Random& random, int64_t now) {
  OUTPOST_RETURN_IF_ERROR(ValidateAccountName(name));
  OUTPOST_ASSIGN_OR_RETURN(auto find, db_->Cached("SELECT 1 FROM web_token WHERE name=?"));
  find->Bind(1, name);
  OUTPOST_ASSIGN_OR_RETURN(bool taken, find->Step());
  if (taken) {
    return Status::AlreadyExists("name: \"" + std::string(name) +
                                 "\" is already a token (revoked names stay taken)");
  }
  std::array<uint8_t, kIdHex / 2> id{};
  std::array<uint8_t, kSecretBytes> secret{};
  random.Fill(id);
  random.Fill(secret);
  std::string id_hex = ToHex(id), secret_hex = ToHex(secret);
  Digest hash = HashSecret(secret_hex);
  OUTPOST_ASSIGN_OR_RETURN(auto s, db_->Cached("INSERT INTO web_token(name, id, role, hash, "
                                               "created) VALUES(?,?,?,?,?)"));
  s->Bind(1, name).Bind(2, id_hex).Bind(3, RoleName(role));
  s->BindBlob(4, hash).Bind(5, now);
  OUTPOST_RETURN_IF_ERROR(s->Run());
  return std::string(kPrefix) + id_hex + "_" + secret_hex;
}

Status Tokens::Revoke(std::string_view name, int64_t now) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("UPDATE web_token SET revoked=coalesce(revoked, ?) WHERE name=?"));
  s->Bind(1, now).Bind(2, name);
  OUTPOST_RETURN_IF_ERROR(s->Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("name: \"" + std::string(name) + "\" is not a token");
  }
  return Status::Ok();
}

Result<std::vector<TokenInfo>> Tokens::List() {
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("SELECT name, role, created, revoked FROM web_token ORDER BY name"));
  std::vector<TokenInfo> out;
  while (true) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(TokenFromRow(*s));
  }
  return out;
}

Result<std::optional<TokenInfo>> Tokens::Verify(std::string_view bearer) {
  std::string_view id, secret;
  if (!ParseToken(bearer, &id, &secret)) return std::optional<TokenInfo>();
  OUTPOST_ASSIGN_OR_RETURN(
      auto s, db_->Cached("SELECT name, role, created, revoked, hash FROM web_token WHERE id=?"));
  s->Bind(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<TokenInfo>();
  TokenInfo t = TokenFromRow(*s);
  std::span<const uint8_t> stored = s->Blob(4);
  Digest given = HashSecret(secret);
  bool match = stored.size() == given.size() &&
               sodium_memcmp(stored.data(), given.data(), given.size()) == 0;
  if (!match || t.revoked) return std::optional<TokenInfo>();
  return std::optional<TokenInfo>(std::move(t));
}

}  // namespace outpost::web
