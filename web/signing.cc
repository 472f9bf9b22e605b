#include "web/signing.h"

#include <string>

namespace outpost::web {

Result<node::UnlockedKeys> UnlockForSigning(node::Store& store, const nlohmann::json& body,
                                            HttpResponse* refusal) {
  auto field = body.find(kKeyPassphraseField);
  if (field == body.end() || !field->is_string() || field->get<std::string>().empty()) {
    *refusal = Fail(422, kKeyPassphraseField, "", "required",
                    "key_passphrase: the node's key passphrase is required to sign");
    return Status::InvalidArgument("key_passphrase missing");
  }
  auto keys = node::UnlockNodeKeys(store, field->get<std::string>());
  if (keys.ok()) return keys;
  if (keys.status().code() == Code::kUnauthenticated) {
    *refusal = Fail(403, kKeyPassphraseField, "", "opens the node's key file",
                    "key_passphrase: does not open this node's key file");
  } else {
    *refusal = Fail(500, kKeyPassphraseField, "", "key file readable",
                    "the node's keys could not be unlocked: " + keys.status().message());
  }
  return keys.status();
}

}  // namespace outpost::web
