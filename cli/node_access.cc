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
  OUTPOST_ASSIGN_OR_RETURN(std::string pass, ctx.Passphrase());
  return node::UnlockNodeKeys(*store, pass);
}

}  // namespace outpost::cli
