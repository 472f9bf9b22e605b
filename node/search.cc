#include "node/search.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "node/audit.h"
#include "node/search_internal.h"
#include "risk/normalise.h"
#include "sync/live_rows.h"

namespace outpost::node {
namespace {

using nlohmann::json;
using Blob = std::span<const uint8_t>;

// Bump when the tokens change: a store indexed by an older outpost rebuilds.
// 2: search_link, so the index refreshes incrementally.
constexpr int64_t kIndexFormat = 2;

// Above this many movements to re-index, one rebuild is cheaper.
constexpr size_t kMaxIncremental = 20000;

constexpr std::string_view kSearchSchema = R"(
  CREATE TABLE IF NOT EXISTS search_token(
    token TEXT NOT NULL, time INTEGER NOT NULL, movement BLOB NOT NULL,
    PRIMARY KEY(token, time, movement)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS search_link(
    row BLOB NOT NULL, movement BLOB NOT NULL, PRIMARY KEY(row, movement)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS search_state(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
)";

// Built after a full rebuild's inserts (faster than keeping them up to date
// row by row); the incremental path deletes through them.
constexpr std::string_view kByMovement = R"(
  CREATE INDEX IF NOT EXISTS search_token_by_movement ON search_token(movement);
  CREATE INDEX IF NOT EXISTS search_link_by_movement ON search_link(movement);
)";

std::vector<std::string> NameTokens(std::string_view text) {
  std::vector<std::string> out;
  std::string norm = risk::NormaliseName(text);
  size_t start = 0;
  while (start < norm.size()) {
    size_t end = norm.find(' ', start);
    if (end == std::string::npos) end = norm.size();
    if (end > start) out.push_back(norm.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string CodeToken(std::string_view text) {
  std::string c = risk::NormalisePlate(text);
  return c.empty() ? c : "c:" + c;
}

// Where the tokens of a movement come from: each query gives the movement's
// id, its time, then text columns read as names or as codes, then the ids of
// the rows the movement's tokens depend on (its links: whatever row they
// name, live or not, so a row that appears, changes or goes later finds the
// movement). Each query names the movement `m`, so " WHERE m.id = ?" picks
// one movement's rows.
struct Source {
  const char* sql;
  std::vector<int> name_cols;
  std::vector<int> code_cols;
  std::vector<int> link_cols;
};

const std::vector<Source>& Sources() {
  static const std::vector<Source> kSources = {
      {"SELECT m.id, m.time, v.plate, t.plate, m.declaration, m.id, m.vehicle, m.trailer, "
       "m.driver FROM live_movement m "
       "LEFT JOIN live_vehicle v ON v.id = m.vehicle LEFT JOIN live_vehicle t ON t.id = m.trailer",
       {},
       {2, 3, 4},
       {5, 6, 7, 8}},
      {"SELECT m.id, m.time, coalesce(p.family_name, '') || ' ' || coalesce(p.given_names, ''), "
       "p.document_number FROM live_movement m JOIN live_person p ON p.id = m.driver",
       {2},
       {3},
       {}},
      // LEFT JOIN: the link to a person not (yet, or no longer) live.
      {"SELECT m.id, m.time, CASE WHEN p.id IS NULL THEN NULL ELSE coalesce(p.family_name, '') "
       "|| ' ' || coalesce(p.given_names, '') END, p.document_number, mp.id, mp.person "
       "FROM live_movement_person mp JOIN live_movement m ON m.id = mp.movement "
       "LEFT JOIN live_person p ON p.id = mp.person",
       {2},
       {3},
       {4, 5}},
      {"SELECT m.id, m.time, e.number, e.id FROM live_equipment e "
       "JOIN live_movement m ON m.id = e.movement",
       {},
       {2},
       {3}},
      {"SELECT m.id, m.time, pa.name, c.transport_doc_number, c.id, c.consignee "
       "FROM live_consignment c JOIN live_movement m ON m.id = c.movement "
       "LEFT JOIN live_party pa ON pa.id = c.consignee",
       {2},
       {3},
       {4, 5}},
  };
  return kSources;
}

// Receives what the sources yield.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Token(const std::string& token, int64_t time, Blob movement) = 0;
  virtual Status Link(Blob row, Blob movement) = 0;
};

// Writes into search_token and search_link.
class TableSink : public Sink {
 public:
  static Result<TableSink> Make(Db& db) {
    TableSink s;
    OUTPOST_ASSIGN_OR_RETURN(s.token_,
                             db.Prepare("INSERT OR IGNORE INTO search_token VALUES(?, ?, ?)"));
    OUTPOST_ASSIGN_OR_RETURN(s.link_, db.Prepare("INSERT OR IGNORE INTO search_link VALUES(?, ?)"));
    return s;
  }
  Status Token(const std::string& token, int64_t time, Blob movement) override {
    token_->Reset();
    token_->Bind(1, std::string_view(token)).Bind(2, time).BindBlob(3, movement);
    return token_->Run();
  }
  Status Link(Blob row, Blob movement) override {
    link_->Reset();
    link_->BindBlob(1, row).BindBlob(2, movement);
    return link_->Run();
  }

 private:
  std::unique_ptr<Stmt> token_, link_;
};

Status IndexRows(Stmt& st, const Source& src, Sink& sink) {
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const Blob movement = st.Blob(0);
    const int64_t time = st.Int(1);
    for (int c : src.name_cols) {
      if (st.IsNull(c)) continue;
      for (auto& t : NameTokens(st.Text(c))) {
        OUTPOST_RETURN_IF_ERROR(sink.Token("n:" + t, time, movement));
      }
    }
    for (int c : src.code_cols) {
      if (st.IsNull(c)) continue;
      if (std::string t = CodeToken(st.Text(c)); !t.empty()) {
        OUTPOST_RETURN_IF_ERROR(sink.Token(t, time, movement));
      }
    }
    for (int c : src.link_cols) {
      if (!st.IsNull(c)) OUTPOST_RETURN_IF_ERROR(sink.Link(st.Blob(c), movement));
    }
  }
  return Status::Ok();
}

// Every movement's tokens and links, from the live views.
Status IndexAll(Db& db, Sink& sink) {
  for (const Source& src : Sources()) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare(src.sql));
    OUTPOST_RETURN_IF_ERROR(IndexRows(*st, src, sink));
  }
  return Status::Ok();
}

// The fallback: drops the index and builds it from the live views.
Status RebuildAll(Db& db) {
  OUTPOST_RETURN_IF_ERROR(
      db.Exec("DROP INDEX IF EXISTS search_token_by_movement; DROP INDEX IF EXISTS "
              "search_link_by_movement; DELETE FROM search_token; DELETE FROM search_link;"));
  OUTPOST_ASSIGN_OR_RETURN(TableSink sink, TableSink::Make(db));
  OUTPOST_RETURN_IF_ERROR(IndexAll(db, sink));
  return db.Exec(kByMovement);
}

// Drops one movement's tokens and links and indexes it again from the live
// views (nothing, if it is no longer live).
Status Reindex(Db& db, const std::string& movement, TableSink& sink) {
  const Blob id(reinterpret_cast<const uint8_t*>(movement.data()), movement.size());
  for (const char* sql : {"DELETE FROM search_token WHERE movement = ?",
                          "DELETE FROM search_link WHERE movement = ?"}) {
    OUTPOST_ASSIGN_OR_RETURN(auto del, db.Cached(sql));
    del->BindBlob(1, id);
    OUTPOST_RETURN_IF_ERROR(del->Run());
  }
  for (const Source& src : Sources()) {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached(std::string(src.sql) + " WHERE m.id = ?"));
    st->BindBlob(1, id);
    OUTPOST_RETURN_IF_ERROR(IndexRows(*st, src, sink));
  }
  return Status::Ok();
}

// Adds the movements a changed row's current state names: a movement
// itself; the movement a live child row (person on it, equipment,
// consignment) belongs to.
Status AddOwnMovement(Db& db, const schema::Table& t, const Uuid& id, std::set<std::string>& out) {
  if (t.name == "movement") {
    out.emplace(id.begin(), id.end());
    return Status::Ok();
  }
  if (t.name != "movement_person" && t.name != "equipment" && t.name != "consignment") {
    return Status::Ok();  // found through search_link, if a movement names it
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT movement FROM " + sync::LiveView(t.name) +
                                              " WHERE id = ? AND movement IS NOT NULL"));
  st->BindBlob(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (row) {
    auto b = st->Blob(0);
    out.emplace(b.begin(), b.end());
  }
  return Status::Ok();
}

// The movements whose tokens may differ from what the index holds for them
// after `changed` rows changed: those the index linked to the rows (what
// they were), and those the rows now name (what they are).
Result<std::set<std::string>> Affected(Db& db, const schema::Catalogue& cat,
                                       const std::vector<sync::ChangedRow>& changed) {
  std::set<std::string> out;
  std::set<std::pair<uint16_t, Uuid>> seen;
  for (const auto& r : changed) {
    if (!seen.emplace(r.table, r.id).second) continue;
    OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT movement FROM search_link WHERE row = ?"));
    st->BindBlob(1, r.id);
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      auto b = st->Blob(0);
      out.emplace(b.begin(), b.end());
    }
    if (const schema::Table* t = cat.FindById(r.table)) {
      OUTPOST_RETURN_IF_ERROR(AddOwnMovement(db, *t, r.id, out));
    }
  }
  return out;
}

Result<int64_t> StateValue(Db& db, std::string_view key) {
  return db.QueryInt("SELECT coalesce((SELECT value FROM search_state WHERE key = '" +
                     std::string(key) + "'), -1)");
}

struct Hit {
  int64_t time;
  std::string id;  // 16 bytes
};

// Movements holding a token equal to `token` (or starting with it, if
// `prefix`), as id -> time.
Result<std::unordered_map<std::string, int64_t>> Lookup(Db& db, const std::string& token,
                                                        bool prefix) {
  std::unordered_map<std::string, int64_t> out;
  std::string hi = token;
  if (prefix) hi.push_back('\x7f');
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached(prefix ? "SELECT time, movement FROM search_token WHERE token >= ? AND "
                                  "token < ?"
                                : "SELECT time, movement FROM search_token WHERE token = ? AND "
                                  "token = ?"));
  st->Bind(1, std::string_view(token)).Bind(2, std::string_view(prefix ? hi : token));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(1);
    out.emplace(std::string(b.begin(), b.end()), st->Int(0));
  }
  return out;
}

using HitMap = std::unordered_map<std::string, int64_t>;

void IntersectInto(HitMap& acc, const HitMap& other) {
  for (auto it = acc.begin(); it != acc.end();) {
    it = other.count(it->first) ? std::next(it) : acc.erase(it);
  }
}

// The movements one query word matches: its code, or all its name tokens.
Result<HitMap> MatchWord(Db& db, std::string_view word) {
  HitMap hits;
  if (std::string code = CodeToken(word); !code.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(hits, Lookup(db, code, false));
  }
  std::vector<std::string> names = NameTokens(word);
  if (names.empty()) return hits;
  std::optional<HitMap> by_name;
  for (const auto& n : names) {
    OUTPOST_ASSIGN_OR_RETURN(HitMap h, Lookup(db, "n:" + n, true));
    if (!by_name) {
      by_name = std::move(h);
    } else {
      IntersectInto(*by_name, h);
    }
  }
  for (auto& [id, t] : *by_name) hits.emplace(id, t);
  return hits;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<std::vector<Hit>> Match(Db& db, const std::vector<std::string>& words,
                               std::string_view whole) {
  std::optional<HitMap> acc;
  for (const auto& w : words) {
    OUTPOST_ASSIGN_OR_RETURN(HitMap h, MatchWord(db, w));
    if (!acc) {
      acc = std::move(h);
    } else {
      IntersectInto(*acc, h);
    }
  }
  if (words.size() > 1) {  // "SA 123-BC" as one plate
    if (std::string code = CodeToken(whole); !code.empty()) {
      OUTPOST_ASSIGN_OR_RETURN(HitMap h, Lookup(db, code, false));
      for (auto& [id, t] : h) acc->emplace(id, t);
    }
  }
  std::vector<Hit> hits;
  for (auto& [id, t] : *acc) hits.push_back({t, id});
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.time != b.time ? a.time > b.time : a.id > b.id;
  });
  return hits;
}

std::string Cursor(const Hit& h) {
  Uuid u{};
  std::copy(h.id.begin(), h.id.end(), u.begin());
  return std::to_string(h.time) + "_" + UuidToString(u);
}

Result<Hit> ParseCursor(std::string_view text) {
  size_t us = text.find('_');
  auto bad = Status::InvalidArgument("before: \"" + std::string(text) +
                                     "\" is not a cursor from an earlier search");
  if (us == std::string_view::npos || us == 0) return bad;
  Hit h{};
  try {
    size_t used = 0;
    h.time = std::stoll(std::string(text.substr(0, us)), &used);
    if (used != us) return bad;
  } catch (...) {
    return bad;
  }
  auto id = ParseUuid(text.substr(us + 1));
  if (!id.ok()) return bad;
  h.id.assign(id->begin(), id->end());
  return h;
}

std::optional<std::string> TextAt(Stmt& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return std::string(st.Text(col));
}

Result<std::vector<std::string>> Column(Db& db, const std::string& sql, const std::string& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached(sql));
  st->BindBlob(1, std::span(reinterpret_cast<const uint8_t*>(id.data()), id.size()));
  std::vector<std::string> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (!st->IsNull(0)) out.emplace_back(st->Text(0));
  }
  return out;
}

json OrNull(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

std::string FullName(const std::string& joined) {
  // "family\x1fgiven" -> "Given Family" as printed on the desk.
  size_t sep = joined.find('\x1f');
  if (sep == std::string::npos) return joined;
  std::string family = joined.substr(0, sep), given = joined.substr(sep + 1);
  if (given.empty()) return family;
  return family.empty() ? given : given + " " + family;
}

// The summary an officer reads: plates, names and times, never an id alone.
Result<json> Summary(Db& db, const Hit& h) {
  const std::string kName =
      "coalesce(p.family_name, '') || char(31) || coalesce(p.given_names, '')";
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("SELECT m.lane, v.plate, t.plate, " + kName +
                         " FROM live_movement m LEFT JOIN live_vehicle v ON v.id = m.vehicle "
                         "LEFT JOIN live_vehicle t ON t.id = m.trailer "
                         "LEFT JOIN live_person p ON p.id = m.driver WHERE m.id = ?"));
  st->BindBlob(1, std::span(reinterpret_cast<const uint8_t*>(h.id.data()), h.id.size()));
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status::NotFound("movement vanished during the search");
  Uuid u{};
  std::copy(h.id.begin(), h.id.end(), u.begin());
  json j{{"id", UuidToString(u)},
         {"time", FormatUtcMicros(h.time)},
         {"time_micros", h.time},
         {"plate", OrNull(TextAt(*st, 1))},
         {"trailer_plate", OrNull(TextAt(*st, 2))}};
  std::optional<std::string> lane = TextAt(*st, 0);
  std::string driver = FullName(std::string(st->Text(3)));
  st->Reset();
  if (driver.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(auto d, Column(db,
                                            "SELECT " + kName +
                                                " FROM live_movement_person mp JOIN live_person p "
                                                "ON p.id = mp.person WHERE mp.movement = ? AND "
                                                "mp.role = 'driver' LIMIT 1",
                                            h.id));
    if (!d.empty()) driver = FullName(d[0]);
  }
  j["driver"] = driver.empty() ? json(nullptr) : json(driver);
  OUTPOST_ASSIGN_OR_RETURN(
      j["containers"], Column(db, "SELECT number FROM live_equipment WHERE movement = ?", h.id));
  OUTPOST_ASSIGN_OR_RETURN(j["consignees"],
                           Column(db,
                                  "SELECT pa.name FROM live_consignment c JOIN live_party pa ON "
                                  "pa.id = c.consignee WHERE c.movement = ?",
                                  h.id));
  // The lane: the officer's latest decision, else the latest assessment.
  OUTPOST_ASSIGN_OR_RETURN(
      auto decided,
      Column(db,
             "SELECT lane FROM (SELECT lane, decided_at AS at FROM live_risk_decision "
             "WHERE movement = ?1 UNION ALL SELECT lane, assessed_at + 0 FROM "
             "live_risk_assessment WHERE movement = ?1 ORDER BY at DESC LIMIT 1)",
             h.id));
  if (!decided.empty()) lane = decided[0];
  j["lane"] = OrNull(lane);
  return j;
}

Status CheckQuery(const SearchQuery& q, const std::vector<std::string>& words) {
  size_t chars = 0;
  for (const auto& w : words) {
    for (unsigned char c : w) chars += (c & 0xC0) != 0x80;  // code points
  }
  if (words.empty() || chars < kMinSearchQuery) {
    return Status::InvalidArgument("q: a search needs at least " + std::to_string(kMinSearchQuery) +
                                   " characters");
  }
  if (q.limit < 1 || q.limit > kMaxSearchLimit) {
    return Status::InvalidArgument("limit: " + std::to_string(q.limit) + " is not in 1.." +
                                   std::to_string(kMaxSearchLimit));
  }
  if (q.page < 1 || q.page > 1000000) {
    return Status::InvalidArgument("page: " + std::to_string(q.page) + " is not in 1..1000000");
  }
  return Status::Ok();
}

Status WriteState(Db& db, int64_t changes) {
  OUTPOST_ASSIGN_OR_RETURN(auto put,
                           db.Prepare("INSERT OR REPLACE INTO search_state VALUES(?, ?)"));
  for (auto [k, v] : {std::pair{"indexed", changes}, std::pair{"format", kIndexFormat}}) {
    put->Reset();
    put->Bind(1, std::string_view(k)).Bind(2, v);
    OUTPOST_RETURN_IF_ERROR(put->Run());
  }
  return Status::Ok();
}

// Under the write lock: re-indexes the movements the rows changed since
// `indexed` touch, or rebuilds when the journal cannot say which.
Result<SearchRefresh> Refresh(Store& store, int64_t indexed, bool trusted) {
  Db& db = store.db();
  SearchRefresh out{.refreshed = true};
  std::optional<std::vector<sync::ChangedRow>> changed;
  if (trusted) {
    OUTPOST_ASSIGN_OR_RETURN(changed, store.replica().ChangedRowsSince(indexed));
  }
  std::optional<std::set<std::string>> affected;
  if (changed) {
    OUTPOST_ASSIGN_OR_RETURN(affected, Affected(db, store.catalogue(), *changed));
  }
  if (!affected || affected->size() > kMaxIncremental) {
    OUTPOST_RETURN_IF_ERROR(RebuildAll(db));
    out.full = true;
    return out;
  }
  OUTPOST_ASSIGN_OR_RETURN(TableSink sink, TableSink::Make(db));
  for (const std::string& m : *affected) OUTPOST_RETURN_IF_ERROR(Reindex(db, m, sink));
  out.movements = static_cast<int64_t>(affected->size());
  return out;
}

}  // namespace

Result<SearchRefresh> RefreshSearchIndex(Store& store) {
  Db& db = store.db();
  OUTPOST_RETURN_IF_ERROR(db.Exec(kSearchSchema));
  OUTPOST_ASSIGN_OR_RETURN(int64_t changes, store.replica().ChangeCount());
  OUTPOST_ASSIGN_OR_RETURN(int64_t indexed, StateValue(db, "indexed"));
  OUTPOST_ASSIGN_OR_RETURN(int64_t format, StateValue(db, "format"));
  if (indexed == changes && format == kIndexFormat) return SearchRefresh{};
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, TxnMode::kImmediate));
  // Read again under the write lock: a writer may have committed meanwhile.
  OUTPOST_ASSIGN_OR_RETURN(changes, store.replica().ChangeCount());
  OUTPOST_ASSIGN_OR_RETURN(indexed, StateValue(db, "indexed"));
  OUTPOST_ASSIGN_OR_RETURN(format, StateValue(db, "format"));
  if (indexed == changes && format == kIndexFormat) return SearchRefresh{};
  OUTPOST_ASSIGN_OR_RETURN(SearchRefresh out,
                           Refresh(store, indexed, format == kIndexFormat && indexed >= 0));
  OUTPOST_RETURN_IF_ERROR(WriteState(db, changes));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return out;
}

namespace internal {

Result<int64_t> RebuildSearchIndex(Store& store) {
  Db& db = store.db();
  OUTPOST_RETURN_IF_ERROR(db.Exec(kSearchSchema));
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, TxnMode::kImmediate));
  OUTPOST_ASSIGN_OR_RETURN(int64_t changes, store.replica().ChangeCount());
  OUTPOST_RETURN_IF_ERROR(RebuildAll(db));
  OUTPOST_RETURN_IF_ERROR(WriteState(db, changes));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return db.QueryInt("SELECT count(*) FROM search_token");
}

namespace {
class SetSink : public Sink {
 public:
  explicit SetSink(std::set<IndexEntry>& out) : out_(out) {}
  Status Token(const std::string& token, int64_t time, Blob movement) override {
    out_.emplace(token, time, std::string(movement.begin(), movement.end()));
    return Status::Ok();
  }
  Status Link(Blob, Blob) override { return Status::Ok(); }

 private:
  std::set<IndexEntry>& out_;
};
}  // namespace

Result<std::set<IndexEntry>> ScratchIndex(Store& store) {
  std::set<IndexEntry> out;
  SetSink sink(out);
  OUTPOST_RETURN_IF_ERROR(IndexAll(store.db(), sink));
  return out;
}

Result<std::set<IndexEntry>> StoredIndex(Store& store) {
  std::set<IndexEntry> out;
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           store.db().Prepare("SELECT token, time, movement FROM search_token"));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(2);
    out.emplace(std::string(st->Text(0)), st->Int(1), std::string(b.begin(), b.end()));
  }
  return out;
}

}  // namespace internal

Result<json> Search(Store& store, const SearchQuery& q, const Actor& actor) {
  std::vector<std::string> words = Words(q.text);
  OUTPOST_RETURN_IF_ERROR(CheckQuery(q, words));
  if (actor.officer.empty()) return Status::InvalidArgument("officer: who searches is required");
  std::optional<Hit> before;
  if (q.before) {
    OUTPOST_ASSIGN_OR_RETURN(before, ParseCursor(*q.before));
  }
  OUTPOST_RETURN_IF_ERROR(RefreshSearchIndex(store).status());
  Db& db = store.db();
  OUTPOST_ASSIGN_OR_RETURN(std::vector<Hit> hits, Match(db, words, q.text));
  size_t first = static_cast<size_t>(std::min<int64_t>((q.page - 1) * q.limit, hits.size()));
  if (before) {
    auto it = std::find_if(hits.begin(), hits.end(), [&](const Hit& h) {
      return h.time < before->time || (h.time == before->time && h.id < before->id);
    });
    first = static_cast<size_t>(it - hits.begin());
  }
  size_t last = std::min(hits.size(), first + static_cast<size_t>(q.limit));
  json results = json::array();
  for (size_t i = first; i < last; ++i) {
    OUTPOST_ASSIGN_OR_RETURN(json s, Summary(db, hits[i]));
    results.push_back(std::move(s));
  }
  json out{{"query", q.text},
           {"limit", q.limit},
           {"page", before ? json(nullptr) : json(q.page)},
           {"total", hits.size()},
           {"results", results},
           {"next_cursor", last < hits.size() && last > 0 ? json(Cursor(hits[last - 1])) : json()}};
  OUTPOST_ASSIGN_OR_RETURN(auto w, store.replica().BeginWrite());
  AuditEvent ev{AuditAction::kConsult, actor.officer, "movement", std::nullopt,
                json{{"searched", words.size()}, {"listed", results.size()}}};
  if (!actor.reason.empty()) ev.detail["reason"] = actor.reason;
  AuditLog audit(store);
  OUTPOST_RETURN_IF_ERROR(audit.Append(*w, ev));
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return out;
}

}  // namespace outpost::node
