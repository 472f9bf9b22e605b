// What command handlers share to reach the node. The CLI is the composition
// root: here, and only here, the real clock and random source are chosen.
#ifndef OUTPOST_CLI_NODE_ACCESS_H_
#define OUTPOST_CLI_NODE_ACCESS_H_

#include <memory>
#include <set>
#include <string>

#include "base/clock.h"
#include "cli/context.h"
#include "crypto/keystore.h"
#include "node/registry.h"
#include "node/store.h"

namespace outpost::cli {

// The process's wall clock and CSPRNG (both stateless wrappers).
Clock& ProcessClock();
Random& ProcessRandom();

// Opens the store in ctx.data_dir (kNotFound with the hint to run
// `outpost init` when there is none).
Result<std::unique_ptr<node::Store>> OpenStore(Context& ctx);

// Initialises libsodium and unlocks the node's keys in ctx.data_dir with the
// passphrase (asked for now if not yet resolved), through
// node::UnlockNodeKeys: also the keys of a pending rotation, and an
// interrupted rotation finished.
Result<node::UnlockedKeys> UnlockNodeKeys(Context& ctx);
// The same for a store the command already opened. Every command that signs
// with the node's keys unlocks them here, so a rotation a crash interrupted
// is finished before anything is signed with the old key.
Result<node::UnlockedKeys> UnlockNodeKeys(Context& ctx, node::Store& store);

// Opens one key file with the passphrase (asked for now if not yet
// resolved). Both this and UnlockNodeKeys answer a passphrase that does not
// open the file with kUnauthenticated naming the file, where the passphrase
// came from and what to do, and set ctx.wrong_passphrase (exit status 3).
Result<crypto::NodeSecrets> UnlockKeyFile(Context& ctx, const std::string& path);
// The scopes this node knows: "shared", its own crossing's, every crossing
// in the registry, and every scope it holds rows of. `digest --scope` and
// `risk report --site` refuse any other as unknown rather than answer zeros.
Result<std::set<std::string>> KnownScopes(node::Store& store);

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_NODE_ACCESS_H_
