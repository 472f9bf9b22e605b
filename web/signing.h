// A signing act from a page (publishing a ruleset, enrolling or revoking a
// node) unlocks the node's keys for that one request with the key
// passphrase the person types, in the JSON body's "key_passphrase". The
// web process never holds the node's keys between requests: a signed-in
// session alone cannot sign anything in HQ's name, and a stolen session
// cookie cannot either.
//
// Unlocking runs the key file's Argon2id (about a second at the production
// cost), during which the server's one thread answers nothing else; a
// signing act is rare (an admin at HQ), so this is accepted. Each attempt
// costs that second, which also bounds guessing through the page.
#ifndef OUTPOST_WEB_SIGNING_H_
#define OUTPOST_WEB_SIGNING_H_

#include <nlohmann/json.hpp>

#include "node/registry.h"
#include "node/store.h"
#include "web/app.h"

namespace outpost::web {

inline constexpr const char* kKeyPassphraseField = "key_passphrase";

// The node's keys unlocked with body["key_passphrase"]. On failure, the
// response to send: 422 when the field is missing or not a string, 403
// naming the field when the passphrase does not open the key file, 500 for
// anything else (a missing or damaged key file: the message says which).
Result<node::UnlockedKeys> UnlockForSigning(node::Store& store, const nlohmann::json& body,
                                            HttpResponse* refusal);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_SIGNING_H_
