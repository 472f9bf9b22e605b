#include "cli/node_access.h"

#include "node/keys.h"

namespace outpost::cli {

Clock& ProcessClock() {
  static SystemClock clock;
  return clock;
}

Random& ProcessRandom() {
  static SystemRandom random;
  return random;
}

Result<std::unique_ptr<node::Store>> OpenStore(Context& ctx) {
  return node::Store::Open(ctx.data_dir, ProcessClock(), ProcessRandom());
}

namespace {

Status WrongPassphrase(Context& ctx, const std::string& key_file) {
  // Retrying cannot help (and each try costs an Argon2id run): say where
  // the passphrase came from, and let the unit stop.
  ctx.wrong_passphrase = true;
  const std::string& src = ctx.passphrase_source();
  std::string from = src == "file"  ? "the passphrase file " + ctx.passphrase_file
                     : src == "env" ? std::string("$OUTPOST_PASSPHRASE")
                                    : std::string("the passphrase typed");
  return Status::Unauthenticated(
      "the key file " + key_file + " does not open with " + from +
      " (wrong passphrase, or a damaged key file): put the right passphrase there (on a "
      "packaged node /etc/outpost/passphrase, then `systemctl restart outpost`), or restore "
      "node.key from a backup");
}

}  // namespace

Result<crypto::NodeSecrets> UnlockKeyFile(Context& ctx, const std::string& path) {
  OUTPOST_ASSIGN_OR_RETURN(std::string_view pass, ctx.Passphrase());
  auto keys = node::ReadKeyFile(path, pass);
  if (keys.status().code() == Code::kUnauthenticated) return WrongPassphrase(ctx, path);
  return keys;
}

Result<std::set<std::string>> KnownScopes(node::Store& store) {
  std::set<std::string> known{"shared"};
  if (store.identity().role == node::Role::kSite) known.insert("site:" + store.identity().site);
  OUTPOST_RETURN_IF_ERROR(node::EnsureKeyTables(store.db()));
  OUTPOST_ASSIGN_OR_RETURN(auto entries, node::ListRegistry(store));
  for (const auto& e : entries) {
    if (e.role == node::Role::kSite) known.insert("site:" + e.site);
  }
  OUTPOST_ASSIGN_OR_RETURN(auto held, store.replica().ScopeNames());
  known.insert(held.begin(), held.end());
  return known;
}

Result<node::UnlockedKeys> UnlockNodeKeys(Context& ctx) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  return UnlockNodeKeys(ctx, *store);
}

Result<node::UnlockedKeys> UnlockNodeKeys(Context& ctx, node::Store& store) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(std::string_view pass, ctx.Passphrase());
  auto keys = node::UnlockNodeKeys(store, pass);
  if (keys.status().code() == Code::kUnauthenticated) {
    return WrongPassphrase(ctx, node::KeyFilePath(store.dir()));
  }
  return keys;
}

}  // namespace outpost::cli
