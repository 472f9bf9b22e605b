// What tests and benchmarks of the search index (node/search.h) need and
// users do not: a forced rebuild, and the index as stored beside the index a
// rebuild would make now.
#ifndef OUTPOST_NODE_SEARCH_INTERNAL_H_
#define OUTPOST_NODE_SEARCH_INTERNAL_H_

#include <set>
#include <string>
#include <tuple>

#include "node/search.h"

namespace outpost::node::internal {

// (token, time, movement id as 16 bytes), as search_token holds them.
using IndexEntry = std::tuple<std::string, int64_t, std::string>;

// Rebuilds the whole index from the live views (the fallback path), whatever
// the watermark says, in one transaction. Returns the number of tokens.
Result<int64_t> RebuildSearchIndex(Store& store);

// The index a rebuild would make now, computed in memory; the store is not
// changed.
Result<std::set<IndexEntry>> ScratchIndex(Store& store);

// The index as search_token holds it now.
Result<std::set<IndexEntry>> StoredIndex(Store& store);

}  // namespace outpost::node::internal

#endif  // OUTPOST_NODE_SEARCH_INTERNAL_H_
