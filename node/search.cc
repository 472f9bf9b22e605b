#include "node/search.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "node/audit.h"
#include "risk/normalise.h"
#include "sync/live_rows.h"

namespace outpost::node {
namespace {

using nlohmann::json;

// Bump when the tokens change: a store indexed by an older outpost rebuilds.
constexpr int64_t kIndexFormat = 1;

constexpr std::string_view kSchema = R"(
  CREATE TABLE IF NOT EXISTS search_token(
    token TEXT NOT NULL, time INTEGER NOT NULL, movement BLOB NOT NULL,
    PRIMARY KEY(token, time, movement)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS search_state(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
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
// id, its time, then text columns read as names or as codes.
struct Source {
  const char* sql;
  std::vector<int> name_cols;
  std::vector<int> code_cols;
};

const std::vector<Source>& Sources() {
  static const std::vector<Source> kSources = {
      {"SELECT m.id, m.time, v.plate, t.plate, m.declaration FROM live_movement m "
       "LEFT JOIN live_vehicle v ON v.id = m.vehicle LEFT JOIN live_vehicle t ON t.id = m.trailer",
       {},
       {2, 3, 4}},
      {"SELECT m.id, m.time, coalesce(p.family_name, '') || ' ' || coalesce(p.given_names, ''), "
       "p.document_number FROM live_movement m JOIN live_person p ON p.id = m.driver",
       {2},
       {3}},
      {"SELECT m.id, m.time, coalesce(p.family_name, '') || ' ' || coalesce(p.given_names, ''), "
       "p.document_number FROM live_movement_person mp JOIN live_movement m ON m.id = mp.movement "
       "JOIN live_person p ON p.id = mp.person",
       {2},
       {3}},
      {"SELECT m.id, m.time, e.number FROM live_equipment e "
       "JOIN live_movement m ON m.id = e.movement",
       {},
       {2}},
      {"SELECT m.id, m.time, pa.name, c.transport_doc_number FROM live_consignment c "
       "JOIN live_movement m ON m.id = c.movement LEFT JOIN live_party pa ON pa.id = c.consignee",
       {2},
       {3}},
  };
  return kSources;
}

Status IndexSource(Db& db, const Source& src, Stmt& ins) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare(src.sql));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    std::vector<std::string> tokens;
    for (int c : src.name_cols) {
      if (st->IsNull(c)) continue;
      for (auto& t : NameTokens(st->Text(c))) tokens.push_back("n:" + t);
    }
    for (int c : src.code_cols) {
      if (st->IsNull(c)) continue;
      if (std::string t = CodeToken(st->Text(c)); !t.empty()) tokens.push_back(std::move(t));
    }
    for (const auto& t : tokens) {
      ins.Reset();
      ins.Bind(1, std::string_view(t)).Bind(2, st->Int(1)).BindBlob(2 + 1, st->Blob(0));
      OUTPOST_RETURN_IF_ERROR(ins.Run());
    }
  }
  return Status::Ok();
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

}  // namespace

Result<bool> RefreshSearchIndex(Store& store) {
  Db& db = store.db();
  OUTPOST_RETURN_IF_ERROR(db.Exec(kSchema));
  OUTPOST_ASSIGN_OR_RETURN(int64_t changes, store.replica().ChangeCount());
  OUTPOST_ASSIGN_OR_RETURN(int64_t indexed, StateValue(db, "indexed"));
  OUTPOST_ASSIGN_OR_RETURN(int64_t format, StateValue(db, "format"));
  if (indexed == changes && format == kIndexFormat) return false;
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, TxnMode::kImmediate));
  // Read again under the write lock: a writer may have committed meanwhile.
  OUTPOST_ASSIGN_OR_RETURN(changes, store.replica().ChangeCount());
  OUTPOST_RETURN_IF_ERROR(db.Exec("DELETE FROM search_token"));
  OUTPOST_ASSIGN_OR_RETURN(auto ins,
                           db.Prepare("INSERT OR IGNORE INTO search_token VALUES(?, ?, ?)"));
  for (const Source& src : Sources()) OUTPOST_RETURN_IF_ERROR(IndexSource(db, src, *ins));
  OUTPOST_ASSIGN_OR_RETURN(auto put,
                           db.Prepare("INSERT OR REPLACE INTO search_state VALUES(?, ?)"));
  for (auto [k, v] : {std::pair{"indexed", changes}, std::pair{"format", kIndexFormat}}) {
    put->Reset();
    put->Bind(1, std::string_view(k)).Bind(2, v);
    OUTPOST_RETURN_IF_ERROR(put->Run());
  }
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return true;
}

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
