// Fuzz target: the pending names of crdt_pending (sync/pending_names.h),
// bytes read back from the store's own file, which a damaged disk controls.
// Decoding never crashes; what decodes re-encodes to bytes that decode to
// the same names.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "sync/pending_names.h"

using namespace outpost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sync::PendingNamesDecoder d(std::span<const uint8_t>(data, size));
  std::vector<sync::PendingName> names;
  sync::PendingName n;
  while (d.Next(&n)) names.push_back(n);
  if (!d.status().ok() && d.status().code() != Code::kCorruption) std::abort();
  sync::PendingNamesEncoder enc;
  for (const auto& x : names) enc.Add(x.table, x.id, x.cl);
  sync::PendingNamesDecoder again(enc.bytes());
  size_t i = 0;
  while (again.Next(&n)) {
    if (i >= names.size() || !(n == names[i])) std::abort();
    ++i;
  }
  if (!again.status().ok() || i != names.size()) std::abort();
  return 0;
}
