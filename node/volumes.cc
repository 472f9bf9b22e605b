#include "node/volumes.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <set>
#include <tuple>

#include "base/clock.h"
#include "schema/validators.h"
#include "sync/change_journal.h"

namespace outpost::node {
namespace {

using nlohmann::json;

// Bump when what is counted changes: a store counted by an older outpost is
// counted afresh (invariant 3). Format 1 kept its own trigger-fed log of
// changed rows; format 2 reads sync's change journal.
constexpr int64_t kVolumeFormat = 2;

constexpr std::string_view kVolumesSchema = R"(
  CREATE TABLE IF NOT EXISTS volume_hour(crossing TEXT NOT NULL, hour INTEGER NOT NULL,
    key INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(crossing, hour, key)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS volume_day(crossing TEXT NOT NULL, day INTEGER NOT NULL,
    key INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(crossing, day, key)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS volume_seen(tbl TEXT NOT NULL, id BLOB NOT NULL, parent BLOB,
    crossing TEXT, hour INTEGER, keys TEXT, PRIMARY KEY(tbl, id)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS volume_seen_parent ON volume_seen(parent);
  CREATE TABLE IF NOT EXISTS volume_state(key TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS volume_crossing(crossing TEXT PRIMARY KEY) WITHOUT ROWID;
)";

const std::array<const char*, 4> kModes = {"road", "rail", "air", "sea"};
const std::array<const char*, 5> kLanes = {"red", "yellow", "green", "blue", "none"};
const std::array<const char*, 13> kCommodities = {
    "drugs",      "tobacco",  "alcohol",   "counterfeit", "cites", "weapons", "cash",
    "precursors", "dual_use", "medicines", "cultural",    "other", "unstated"};

std::vector<std::string> MakeKeys() {
  std::vector<std::string> keys = {"movements"};
  for (const char* m : kModes) {
    for (const char* d : {"in", "out"}) keys.push_back(std::string(m) + "_" + d);
  }
  for (const char* l : kLanes) keys.push_back(std::string("lane_") + l);
  keys.push_back("inspections");
  keys.push_back("seizures");
  for (const char* c : kCommodities) keys.push_back(std::string("seizures_") + c);
  return keys;
}

// The key's index in VolumeKeys(), or -1 for a value nothing counts under.
int KeyIndex(std::string_view key) {
  static const std::map<std::string, int, std::less<>> kIndex = [] {
    std::map<std::string, int, std::less<>> m;
    for (const auto& k : VolumeKeys()) m.emplace(k, static_cast<int>(m.size()));
    return m;
  }();
  auto it = kIndex.find(key);
  return it == kIndex.end() ? -1 : it->second;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::string CrossingOf(std::string_view scope) {
  return std::string(scope.rfind("site:", 0) == 0 ? scope.substr(5) : scope);
}

std::string TextOr(Stmt& st, int col, std::string_view fallback) {
  return st.IsNull(col) ? std::string(fallback) : std::string(st.Text(col));
}

// What one row counts: under its movement's crossing and hour, the keys.
struct Contribution {
  Bytes parent;  // inspection: its movement; seizure: its inspection
  std::string crossing;
  int64_t hour = 0;
  std::vector<int> keys;
};

// (crossing, hour, key) -> change of the count.
using Deltas = std::map<std::tuple<std::string, int64_t, int>, int64_t>;

void AddTo(Deltas& d, const Contribution& c, int64_t sign) {
  for (int k : c.keys) d[{c.crossing, c.hour, k}] += sign;
}

std::string EncodeKeys(const std::vector<int>& keys) {
  std::string out;
  for (int k : keys) out += (out.empty() ? "" : ",") + std::to_string(k);
  return out;
}

std::vector<int> DecodeKeys(std::string_view text) {
  std::vector<int> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(std::stoi(std::string(text.substr(i, j - i))));
    i = j + 1;
  }
  return out;
}

Bytes BytesOf(std::span<const uint8_t> b) { return Bytes(b.begin(), b.end()); }

// The live movement's crossing and hour, if it is live.
Result<std::optional<std::pair<std::string, int64_t>>> MovementPlace(Db& db, const Bytes& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Cached("SELECT s.name, m.time FROM live_movement m JOIN live_scope s "
                                     "ON s.scope_idx = m.scope_idx WHERE m.id = ?"));
  st->BindBlob(1, id);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<std::pair<std::string, int64_t>>();
  return std::optional(std::pair{CrossingOf(st->Text(0)), FloorDiv(st->Int(1), kHourMicros)});
}

Result<Contribution> CountMovement(Db& db, const Bytes& id) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("SELECT s.name, m.time, m.mode, m.direction, m.lane FROM live_movement m "
                         "JOIN live_scope s ON s.scope_idx = m.scope_idx WHERE m.id = ?"));
  st->BindBlob(1, id);
  Contribution c;
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return c;
  c.crossing = CrossingOf(st->Text(0));
  c.hour = FloorDiv(st->Int(1), kHourMicros);
  c.keys.push_back(KeyIndex("movements"));
  int mode = KeyIndex(TextOr(*st, 2, "") + "_" + TextOr(*st, 3, ""));
  if (mode >= 0) c.keys.push_back(mode);
  int lane = KeyIndex("lane_" + TextOr(*st, 4, "none"));
  if (lane >= 0) c.keys.push_back(lane);
  return c;
}

Result<Contribution> CountInspection(Db& db, const Bytes& id) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT movement FROM live_inspection WHERE id = ?"));
  st->BindBlob(1, id);
  Contribution c;
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row || st->IsNull(0)) return c;
  c.parent = BytesOf(st->Blob(0));
  st->Reset();
  OUTPOST_ASSIGN_OR_RETURN(auto place, MovementPlace(db, c.parent));
  if (!place) return c;
  std::tie(c.crossing, c.hour) = *place;
  c.keys.push_back(KeyIndex("inspections"));
  return c;
}

Result<Contribution> CountSeizure(Db& db, const Bytes& id) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("SELECT z.inspection, z.commodity_group, i.movement FROM live_seizure z "
                         "LEFT JOIN live_inspection i ON i.id = z.inspection WHERE z.id = ?"));
  st->BindBlob(1, id);
  Contribution c;
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row || st->IsNull(0)) return c;
  c.parent = BytesOf(st->Blob(0));
  if (st->IsNull(2)) return c;  // its inspection is not live (or not here yet)
  Bytes movement = BytesOf(st->Blob(2));
  int group = KeyIndex("seizures_" + TextOr(*st, 1, "unstated"));
  st->Reset();
  OUTPOST_ASSIGN_OR_RETURN(auto place, MovementPlace(db, movement));
  if (!place) return c;
  std::tie(c.crossing, c.hour) = *place;
  c.keys.push_back(KeyIndex("seizures"));
  if (group >= 0) c.keys.push_back(group);
  return c;
}

Result<Contribution> CountRow(Db& db, const std::string& table, const Bytes& id) {
  if (table == "movement") return CountMovement(db, id);
  if (table == "inspection") return CountInspection(db, id);
  return CountSeizure(db, id);
}

// What the row counted at the last refresh (nothing if never seen).
Result<Contribution> Seen(Db& db, const std::string& table, const Bytes& id) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      db.Cached("SELECT parent, crossing, hour, keys FROM volume_seen WHERE tbl = ? AND id = ?"));
  st->Bind(1, std::string_view(table)).BindBlob(2, id);
  Contribution c;
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return c;
  if (!st->IsNull(0)) c.parent = BytesOf(st->Blob(0));
  c.crossing = TextOr(*st, 1, "");
  c.hour = st->IsNull(2) ? 0 : st->Int(2);
  c.keys = DecodeKeys(TextOr(*st, 3, ""));
  return c;
}

Status PutSeen(Db& db, const std::string& table, const Bytes& id, const Contribution& c) {
  if (c.parent.empty() && c.keys.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(auto del,
                             db.Cached("DELETE FROM volume_seen WHERE tbl = ? AND id = ?"));
    del->Bind(1, std::string_view(table)).BindBlob(2, id);
    return del->Run();
  }
  OUTPOST_ASSIGN_OR_RETURN(
      auto put, db.Cached("INSERT OR REPLACE INTO volume_seen VALUES(?, ?, ?, ?, ?, ?)"));
  put->Bind(1, std::string_view(table)).BindBlob(2, id);
  if (!c.parent.empty()) put->BindBlob(3, c.parent);
  put->Bind(4, std::string_view(c.crossing)).Bind(5, c.hour).Bind(6, EncodeKeys(c.keys));
  return put->Run();
}

// The rows of the seen table whose parent is `parent` and table is `child`.
Status ChildrenOf(Db& db, const Bytes& parent, const std::string& child, std::set<Bytes>* out) {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Cached("SELECT id FROM volume_seen WHERE parent = ? AND tbl = ?"));
  st->BindBlob(1, parent).Bind(2, std::string_view(child));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::Ok();
    out->insert(BytesOf(st->Blob(0)));
  }
}

// Lists the crossings that counted something (volume_crossing).
Status ListCrossings(Db& db, const Deltas& deltas) {
  OUTPOST_ASSIGN_OR_RETURN(auto put, db.Cached("INSERT OR IGNORE INTO volume_crossing VALUES(?)"));
  std::string last;
  for (const auto& [k, n] : deltas) {
    if (n <= 0 || std::get<0>(k) == last) continue;
    last = std::get<0>(k);
    put->Reset();
    put->Bind(1, std::string_view(last));
    OUTPOST_RETURN_IF_ERROR(put->Run());
  }
  return Status::Ok();
}

Status ApplyDeltas(Db& db, const Deltas& deltas) {
  OUTPOST_RETURN_IF_ERROR(ListCrossings(db, deltas));
  for (const char* table : {"volume_hour", "volume_day"}) {
    const bool day = table == std::string("volume_day");
    const std::string t = table, col = day ? "day" : "hour";
    OUTPOST_ASSIGN_OR_RETURN(auto up, db.Cached("INSERT INTO " + t +
                                                " VALUES(?, ?, ?, ?) ON CONFLICT DO UPDATE "
                                                "SET n = n + excluded.n"));
    OUTPOST_ASSIGN_OR_RETURN(auto zero, db.Cached("DELETE FROM " + t + " WHERE crossing = ? AND " +
                                                  col + " = ? AND key = ? AND n = 0"));
    std::map<std::tuple<std::string, int64_t, int>, int64_t> merged;
    for (const auto& [k, n] : deltas) {
      auto [crossing, hour, key] = k;
      merged[{crossing, day ? FloorDiv(hour, 24) : hour, key}] += n;
    }
    for (const auto& [k, n] : merged) {
      if (n == 0) continue;
      const auto& [crossing, bucket, key] = k;
      up->Reset();
      up->Bind(1, std::string_view(crossing)).Bind(2, bucket).Bind(3, int64_t{key}).Bind(4, n);
      OUTPOST_RETURN_IF_ERROR(up->Run());
      zero->Reset();
      zero->Bind(1, std::string_view(crossing)).Bind(2, bucket).Bind(3, int64_t{key});
      OUTPOST_RETURN_IF_ERROR(zero->Run());
    }
  }
  return Status::Ok();
}

using Changed = std::map<std::string, std::set<Bytes>>;  // table -> row ids

const std::vector<std::string> kCounted = {"movement", "inspection", "seizure"};

// The journal's rows of the counted tables.
Changed CountedRows(const schema::Catalogue& catalogue, const std::vector<sync::ChangedRow>& rows) {
  Changed out;
  for (const sync::ChangedRow& r : rows) {
    const schema::Table* t = catalogue.FindById(r.table);
    if (t == nullptr) continue;
    if (std::find(kCounted.begin(), kCounted.end(), t->name) == kCounted.end()) continue;
    out[t->name].insert(Bytes(r.id.begin(), r.id.end()));
  }
  return out;
}

// Recounts the changed rows and those hanging from them: a movement's
// inspections, an inspection's seizures (their place is the movement's).
Result<int64_t> RecountChanged(Db& db, Changed& changed) {
  for (const Bytes& m : changed["movement"]) {
    OUTPOST_RETURN_IF_ERROR(ChildrenOf(db, m, "inspection", &changed["inspection"]));
  }
  for (const Bytes& i : changed["inspection"]) {
    OUTPOST_RETURN_IF_ERROR(ChildrenOf(db, i, "seizure", &changed["seizure"]));
  }
  Deltas deltas;
  int64_t rows = 0;
  for (const auto& [table, ids] : changed) {
    for (const Bytes& id : ids) {
      OUTPOST_ASSIGN_OR_RETURN(Contribution before, Seen(db, table, id));
      OUTPOST_ASSIGN_OR_RETURN(Contribution now, CountRow(db, table, id));
      AddTo(deltas, before, -1);
      AddTo(deltas, now, +1);
      OUTPOST_RETURN_IF_ERROR(PutSeen(db, table, id, now));
      ++rows;
    }
  }
  OUTPOST_RETURN_IF_ERROR(ApplyDeltas(db, deltas));
  return rows;
}

Result<int64_t> StateOf(Db& db, const char* key) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT value FROM volume_state WHERE key = ?"));
  st->Bind(1, std::string_view(key));
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : -1;
}

Status PutState(Db& db, int64_t counted) {
  OUTPOST_ASSIGN_OR_RETURN(auto put, db.Cached("INSERT OR REPLACE INTO volume_state VALUES(?, ?)"));
  for (auto [k, v] : {std::pair{"counted", counted}, std::pair{"format", kVolumeFormat}}) {
    put->Reset();
    put->Bind(1, std::string_view(k)).Bind(2, v);
    OUTPOST_RETURN_IF_ERROR(put->Run());
  }
  return Status::Ok();
}

// What format 1 left in the store: its log of changed rows and the
// triggers that fed it (sync's journal now says what changed).
Status DropTriggerLog(Db& db) {
  std::string sql;
  for (const std::string& t : kCounted) {
    for (const char* op : {"ins", "upd", "del"}) {
      sql += "DROP TRIGGER IF EXISTS volume_changed_" + t + "_" + op + ";";
    }
  }
  return db.Exec(sql + "DROP TABLE IF EXISTS volume_changed;");
}

int64_t BucketMicros(VolumeBucket by) {
  return by == VolumeBucket::kHour ? kHourMicros : kDayMicros;
}

// Hour-level counts -> the query's rows and totals.
using HourCounts = std::map<std::tuple<std::string, int64_t, int>, int64_t>;

Volumes Collect(const HourCounts& counts, const VolumeQuery& q, bool already_bucketed) {
  const int64_t width = BucketMicros(q.by);
  std::map<std::pair<int64_t, std::string>, VolumeRow> rows;
  Volumes out;
  for (const auto& [k, n] : counts) {
    const auto& [crossing, unit, key] = k;
    if (n == 0) continue;
    int64_t start = already_bucketed ? unit * width : FloorDiv(unit * kHourMicros, width) * width;
    if (start < q.from || start >= q.to) continue;
    VolumeRow& row = rows[{start, crossing}];
    row.start = start;
    row.crossing = crossing;
    row.counts[VolumeKeys()[key]] += n;
    out.totals[VolumeKeys()[key]] += n;
  }
  for (auto& [k, row] : rows) out.rows.push_back(std::move(row));
  return out;
}

// The counters of one crossing in [from, to).
Status ReadCrossing(Db& db, const std::string& crossing, const VolumeQuery& q, HourCounts* out) {
  const bool day = q.by == VolumeBucket::kDay;
  const int64_t width = BucketMicros(q.by);
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached(day ? "SELECT day, key, n FROM volume_day WHERE crossing = ? AND day >= ? "
                               "AND day < ?"
                             : "SELECT hour, key, n FROM volume_hour WHERE crossing = ? AND "
                               "hour >= ? AND hour < ?"));
  st->Bind(1, std::string_view(crossing))
      .Bind(2, FloorDiv(q.from, width))
      .Bind(3, FloorDiv(q.to + width - 1, width));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::Ok();
    int key = static_cast<int>(st->Int(1));
    if (key < 0 || key >= static_cast<int>(VolumeKeys().size())) continue;
    (*out)[{crossing, st->Int(0), key}] += st->Int(2);
  }
}

// The recount: one grouped scan per kind of row, by crossing and hour.
constexpr char kHourOf[] =
    "CASE WHEN m.time >= 0 THEN m.time / 3600000000 ELSE (m.time - 3599999999) / 3600000000 END";

std::string RecountSql(const std::string& select, const std::string& from,
                       const std::string& group) {
  return "SELECT s.name, " + std::string(kHourOf) + " AS h" + select + ", count(*) FROM " + from +
         " JOIN live_scope s ON s.scope_idx = m.scope_idx WHERE m.time >= ? AND m.time < ? "
         "GROUP BY s.name, h" +
         group;
}

Status RecountInto(Db& db, const std::string& sql, const VolumeQuery& q,
                   const std::function<std::vector<int>(Stmt&)>& keys, HourCounts* out) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare(sql));
  st->Bind(1, q.from).Bind(2, q.to);
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return Status::Ok();
    std::string crossing = CrossingOf(st->Text(0));
    if (!q.crossing.empty() && crossing != q.crossing) continue;
    int64_t n = st->Int(st->ColumnCount() - 1);
    for (int k : keys(*st)) {
      if (k >= 0) (*out)[{crossing, st->Int(1), k}] += n;
    }
  }
}

Status RecountAll(Db& db, const VolumeQuery& q, HourCounts* out) {
  OUTPOST_RETURN_IF_ERROR(RecountInto(
      db, RecountSql(", m.mode, m.direction, m.lane", "live_movement m", ", 3, 4, 5"), q,
      [](Stmt& st) {
        return std::vector<int>{KeyIndex("movements"),
                                KeyIndex(TextOr(st, 2, "") + "_" + TextOr(st, 3, "")),
                                KeyIndex("lane_" + TextOr(st, 4, "none"))};
      },
      out));
  OUTPOST_RETURN_IF_ERROR(RecountInto(
      db, RecountSql("", "live_inspection i JOIN live_movement m ON m.id = i.movement", ""), q,
      [](Stmt&) { return std::vector<int>{KeyIndex("inspections")}; }, out));
  return RecountInto(
      db,
      RecountSql(", z.commodity_group",
                 "live_seizure z JOIN live_inspection i ON i.id = z.inspection "
                 "JOIN live_movement m ON m.id = i.movement",
                 ", 3"),
      q,
      [](Stmt& st) {
        return std::vector<int>{KeyIndex("seizures"),
                                KeyIndex("seizures_" + TextOr(st, 2, "unstated"))};
      },
      out);
}

// ",k" when `expr`, prefixed with `prefix`, is the key k; "" otherwise:
// KeyIndex in SQL, for CountEverything's seen rows (EncodeKeys' form).
std::string KeyCase(const std::string& expr, const std::string& prefix) {
  std::string sql = "CASE " + expr;
  for (size_t k = 0; k < VolumeKeys().size(); ++k) {
    const std::string& key = VolumeKeys()[k];
    if (key.rfind(prefix, 0) != 0) continue;
    sql += " WHEN '" + key.substr(prefix.size()) + "' THEN '," + std::to_string(k) + "'";
  }
  return sql + " ELSE '' END";
}

// A live movement's place (m, s): its crossing and hour, as MovementPlace.
constexpr char kPlaceSql[] =
    "CASE WHEN substr(s.name, 1, 5) = 'site:' THEN substr(s.name, 6) ELSE s.name END AS crossing, "
    "CASE WHEN m.time >= 0 THEN m.time / 3600000000 ELSE (m.time - 3599999999) / 3600000000 END "
    "AS hour";

// volume_seen for every live row, as CountRow would make it one by one,
// in three statements (a store counted afresh: the first refresh, or the
// journal could not say what changed).
Status SeeEverything(Db& db) {
  const std::string m_keys =
      "'" + std::to_string(KeyIndex("movements")) + "' || " +
      KeyCase("coalesce(m.mode, '') || '_' || coalesce(m.direction, '')", "") + " || " +
      KeyCase("coalesce(m.lane, 'none')", "lane_");
  OUTPOST_RETURN_IF_ERROR(db.Exec(
      "INSERT INTO volume_seen SELECT 'movement', m.id, NULL, " + std::string(kPlaceSql) + ", " +
      m_keys + " FROM live_movement m JOIN live_scope s ON s.scope_idx = m.scope_idx"));
  const std::string place = "(SELECT m.id, " + std::string(kPlaceSql) +
                            " FROM live_movement m JOIN live_scope s ON s.scope_idx = m.scope_idx)";
  OUTPOST_RETURN_IF_ERROR(db.Exec(
      "INSERT INTO volume_seen SELECT 'inspection', i.id, i.movement, coalesce(p.crossing, ''), "
      "coalesce(p.hour, 0), CASE WHEN p.id IS NULL THEN '' ELSE '" +
      std::to_string(KeyIndex("inspections")) + "' END FROM live_inspection i LEFT JOIN " + place +
      " p ON p.id = i.movement WHERE i.movement IS NOT NULL"));
  return db.Exec(
      "INSERT INTO volume_seen SELECT 'seizure', z.id, z.inspection, coalesce(p.crossing, ''), "
      "coalesce(p.hour, 0), CASE WHEN p.id IS NULL THEN '' ELSE '" +
      std::to_string(KeyIndex("seizures")) + "' || " +
      KeyCase("coalesce(z.commodity_group, 'unstated')", "seizures_") +
      " END FROM live_seizure z LEFT JOIN live_inspection i ON i.id = z.inspection LEFT JOIN " +
      place + " p ON p.id = i.movement WHERE z.inspection IS NOT NULL");
}

// Counts afresh: empties the counters, sees every live row, and sums the
// counters from what was seen. Returns the rows seen.
Result<int64_t> CountEverything(Db& db) {
  OUTPOST_RETURN_IF_ERROR(DropTriggerLog(db));
  OUTPOST_RETURN_IF_ERROR(
      db.Exec("DELETE FROM volume_hour; DELETE FROM volume_day; DELETE FROM volume_seen; "
              "DELETE FROM volume_crossing"));
  OUTPOST_RETURN_IF_ERROR(SeeEverything(db));
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare("SELECT crossing, hour, keys, count(*) FROM "
                                               "volume_seen WHERE keys != '' GROUP BY 1, 2, 3"));
  Deltas deltas;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    Contribution c{.crossing = std::string(st->Text(0)), .hour = st->Int(1)};
    c.keys = DecodeKeys(st->Text(2));
    AddTo(deltas, c, st->Int(3));
  }
  OUTPOST_RETURN_IF_ERROR(ApplyDeltas(db, deltas));
  return db.QueryInt("SELECT count(*) FROM volume_seen");
}

Status CheckBound(const char* field, int64_t micros, int64_t width, const char* unit) {
  if (FloorDiv(micros, width) * width == micros) return Status::Ok();
  return Status::InvalidArgument(std::string(field) + ": \"" + FormatUtcMicros(micros) +
                                 "\" is not at the start of " + unit + " (UTC)");
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

const std::vector<std::string>& VolumeKeys() {
  static const std::vector<std::string> kKeys = MakeKeys();
  return kKeys;
}

Result<int64_t> RefreshVolumes(Store& store) {
  Db& db = store.db();
  OUTPOST_RETURN_IF_ERROR(db.Exec(kVolumesSchema));
  OUTPOST_ASSIGN_OR_RETURN(int64_t changes, store.replica().ChangeCount());
  OUTPOST_ASSIGN_OR_RETURN(int64_t counted, StateOf(db, "counted"));
  OUTPOST_ASSIGN_OR_RETURN(int64_t format, StateOf(db, "format"));
  if (counted == changes && format == kVolumeFormat) return 0;
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, TxnMode::kImmediate));
  // Read again under the write lock: a writer may have committed meanwhile.
  OUTPOST_ASSIGN_OR_RETURN(changes, store.replica().ChangeCount());
  OUTPOST_ASSIGN_OR_RETURN(counted, StateOf(db, "counted"));
  OUTPOST_ASSIGN_OR_RETURN(format, StateOf(db, "format"));
  if (counted == changes && format == kVolumeFormat) return 0;
  std::optional<std::vector<sync::ChangedRow>> journal;
  if (format == kVolumeFormat && counted >= 0) {
    OUTPOST_ASSIGN_OR_RETURN(journal, store.replica().ChangedRowsSince(counted));
  }
  int64_t rows = 0;
  if (journal) {
    Changed changed = CountedRows(store.catalogue(), *journal);
    OUTPOST_ASSIGN_OR_RETURN(rows, RecountChanged(db, changed));
  } else {
    OUTPOST_ASSIGN_OR_RETURN(rows, CountEverything(db));
  }
  OUTPOST_RETURN_IF_ERROR(PutState(db, changes));
  OUTPOST_RETURN_IF_ERROR(txn->Commit());
  return rows;
}

Status CheckVolumeQuery(const VolumeQuery& q) {
  const bool hour = q.by == VolumeBucket::kHour;
  const char* unit = hour ? "an hour" : "a day";
  OUTPOST_RETURN_IF_ERROR(CheckBound("from", q.from, BucketMicros(q.by), unit));
  OUTPOST_RETURN_IF_ERROR(CheckBound("to", q.to, BucketMicros(q.by), unit));
  if (q.to <= q.from) {
    return Status::InvalidArgument("to: \"" + FormatUtcMicros(q.to) + "\" is not after from (\"" +
                                   FormatUtcMicros(q.from) + "\")");
  }
  const int64_t max = hour ? kMaxVolumeHours : kMaxVolumeDays;
  if ((q.to - q.from) / BucketMicros(q.by) > max) {
    return Status::InvalidArgument("to: \"" + FormatUtcMicros(q.to) + "\" is more than " +
                                   std::to_string(max) + (hour ? " hours" : " days") +
                                   " after from (by " + (hour ? "hour" : "day") + ")");
  }
  if (!q.crossing.empty()) {
    Status s = schema::ValidateSiteCode("crossing", q.crossing);
    if (!s.ok()) return Status::InvalidArgument(s.message());
  }
  return Status::Ok();
}

Result<std::vector<std::string>> VolumeCrossings(Store& store) {
  OUTPOST_RETURN_IF_ERROR(RefreshVolumes(store).status());
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           store.db().Cached("SELECT crossing FROM volume_crossing ORDER BY 1"));
  std::vector<std::string> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return out;
    out.emplace_back(st->Text(0));
  }
}

Result<Volumes> ReadVolumes(Store& store, const VolumeQuery& q) {
  OUTPOST_RETURN_IF_ERROR(CheckVolumeQuery(q));
  OUTPOST_ASSIGN_OR_RETURN(std::vector<std::string> crossings, VolumeCrossings(store));
  if (!q.crossing.empty()) {
    if (std::find(crossings.begin(), crossings.end(), q.crossing) == crossings.end()) {
      return Status::InvalidArgument("crossing: \"" + q.crossing +
                                     "\" is no crossing this node holds records of");
    }
    crossings = {q.crossing};
  }
  HourCounts counts;
  for (const auto& c : crossings) OUTPOST_RETURN_IF_ERROR(ReadCrossing(store.db(), c, q, &counts));
  return Collect(counts, q, /*already_bucketed=*/true);
}

Result<Volumes> RecountVolumes(Store& store, const VolumeQuery& q) {
  OUTPOST_RETURN_IF_ERROR(CheckVolumeQuery(q));
  HourCounts counts;
  OUTPOST_RETURN_IF_ERROR(RecountAll(store.db(), q, &counts));
  return Collect(counts, q, /*already_bucketed=*/false);
}

json ToJson(const Volumes& v, const VolumeQuery& q) {
  const auto& keys = VolumeKeys();
  json rows = json::array();
  rows.get_ref<json::array_t&>().reserve(v.rows.size());
  for (const VolumeRow& r : v.rows) {
    json row = json::object();
    row["start"] = FormatUtcMicros(r.start);
    row["crossing"] = r.crossing;
    for (const auto& k : keys) {
      auto it = r.counts.find(k);
      row[k] = it == r.counts.end() ? 0 : it->second;
    }
    rows.push_back(std::move(row));
  }
  json totals = json::object();
  for (const auto& k : keys) totals[k] = v.totals.count(k) ? v.totals.at(k) : 0;
  // Built member by member: an initializer list would copy `rows`.
  json out = json::object();
  out["crossing"] = q.crossing.empty() ? json(nullptr) : json(q.crossing);
  out["from"] = FormatUtcMicros(q.from);
  out["to"] = FormatUtcMicros(q.to);
  out["by"] = q.by == VolumeBucket::kHour ? "hour" : "day";
  out["zone"] = "UTC";
  out["keys"] = keys;
  out["rows"] = std::move(rows);
  out["totals"] = std::move(totals);
  return out;
}

std::string ToCsv(const Volumes& v) {
  std::string out = "period_start,crossing";
  for (const auto& k : VolumeKeys()) out += "," + CsvField(k);
  out += "\r\n";
  for (const VolumeRow& r : v.rows) {
    out += CsvField(FormatUtcMicros(r.start)) + "," + CsvField(r.crossing);
    for (const auto& k : VolumeKeys()) {
      auto it = r.counts.find(k);
      out += "," + std::to_string(it == r.counts.end() ? 0 : it->second);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace outpost::node
