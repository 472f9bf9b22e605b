// Search over movements by plate, document number, person name, container
// number or consignee (issue 19), case- and diacritic-insensitive, and
// script-insensitive for Serbian/Macedonian Cyrillic: a query is folded by
// the watchlists' own normalisation (risk/normalise.h), so "nikolic",
// "NIKOLIC" and "Николић" all find "Nikolić".
//
// Matching: the query is split on white space; every word must match the
// movement, either as a name token (NormaliseName of the word; a prefix of a
// token of the driver's or another listed person's name, or of the
// consignee's name) or as a code (NormalisePlate of the word, equal to a
// plate, container number, person document number, transport document number
// or declaration). The whole query as one code also matches ("SA 123-BC"
// finds plate "SA-123 BC").
//
// Index (docs/search.md): node-local tables search_token (token, time,
// movement), search_link (row, movement: the rows each movement's tokens were
// read from or that it names) and search_state, never replicated. Before each
// search the index is compared with the replica's ChangeCount
// (sync/replica.h), which moves on every local write and every merge that
// applied a batch (sync sessions, bundles, imports alike). When it moved,
// the index asks the replica's change journal (Replica::ChangedRowsSince)
// which rows changed since it was built, and re-indexes, from the live
// views, just the movements those rows belong to or are linked to (dropping
// their old tokens first), in one transaction. It rebuilds everything when
// the journal cannot tell (the first build, an index of an older format, a
// journal that no longer reaches back, more than 20,000 movements touched).
// So rows that arrived by sync are found, and deleted or erased ones are
// not; the index equals what a rebuild would make (search_test's
// incremental property).
//
// Results: newest first (time, then id), `limit` per page; a page is chosen
// by number or by the cursor of the previous page's last row. Each result
// carries a summary (time, plates, driver, containers, consignees, lane),
// never an id alone. A search reads personal data: it is audited (consult,
// with the query's word count and the actor's reason), as `record list` is.
#ifndef OUTPOST_NODE_SEARCH_H_
#define OUTPOST_NODE_SEARCH_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "node/records.h"
#include "node/store.h"

namespace outpost::node {

inline constexpr int64_t kMaxSearchLimit = 200;
inline constexpr size_t kMinSearchQuery = 2;

struct SearchQuery {
  std::string text;
  int64_t limit = 20;                 // 1..kMaxSearchLimit
  int64_t page = 1;                   // 1-based; ignored when `before` is set
  std::optional<std::string> before;  // a cursor from an earlier result
};

// {"query", "page", "limit", "total", "results": [{"id", "time", "plate",
//   "trailer_plate", "driver", "containers": [...], "consignees": [...],
//   "lane"}], "next_cursor"} -- next_cursor is null on the last page.
// kInvalidArgument naming "q" for a query shorter than kMinSearchQuery
// characters (after trimming), "limit", "page" or "before" when out of range.
Result<nlohmann::json> Search(Store& store, const SearchQuery& query, const Actor& actor);

struct SearchRefresh {
  bool refreshed = false;  // the index changed
  bool full = false;       // by a rebuild from scratch
  int64_t movements = 0;   // movements re-indexed (an incremental refresh)
};

// Brings the index up to date if the replica changed since it was built:
// incrementally, or by a rebuild (see above). Search calls it; exposed for
// tests and timing. kBusy if another process holds the write lock past the
// busy timeout; SQLite's errors otherwise (the index is then as it was).
Result<SearchRefresh> RefreshSearchIndex(Store& store);

}  // namespace outpost::node

#endif  // OUTPOST_NODE_SEARCH_H_
