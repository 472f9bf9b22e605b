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

Result<node::UnlockedKeys> UnlockNodeKeys(Context& ctx) {
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(std::string_view pass, ctx.Passphrase());
  return node::UnlockNodeKeys(*store, pass);
}

}  // namespace outpost::cli
