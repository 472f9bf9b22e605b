#include "node/records.h"

#include <map>
#include <span>

#include "crypto/keys.h"
#include "crypto/secret.h"
#include "node/records_internal.h"
#include "schema/document_input.h"
#include "schema/row_json.h"
#include "schema/row_rules.h"
#include "schema/table_ids.h"
#include "sync/live_rows.h"

namespace outpost::node {

using nlohmann::json;
using schema::Table;

namespace {

constexpr int64_t kDefaultRetentionDays = 3 * 365;

// The calendar day (UTC) of an instant.
schema::CivilDate CivilDateAt(int64_t micros) {
  const std::string d = FormatUtcMicros(micros);
  return {std::stoi(d.substr(0, 4)), std::stoi(d.substr(5, 2)), std::stoi(d.substr(8, 2))};
}

using internal::JoinErrors;
using internal::PlannedRow;

bool HasNominal(const PlannedRow& p) {
  if (p.table->nominal) return true;
  for (const auto& [col, v] : p.row.values) {
    if (col->nominal && !schema::IsNull(v)) return true;
  }
  return false;
}

std::vector<sync::ColumnValue> ToColumnValues(const schema::Row& row) {
  std::vector<sync::ColumnValue> out;
  out.reserve(row.values.size());
  for (const auto& [col, v] : row.values) out.push_back({col->id, v});
  return out;
}

// Turns one document (and what it nests) into planned rows, collecting every
// error with its field path.
class Planner {
 public:
  Planner(Store& store) : store_(store), cat_(store.catalogue()) {}

  std::vector<PlannedRow> rows;
  std::vector<std::string> errors;

  // Plans a document of `type`; returns its id (valid only if no errors).
  Uuid Plan(std::string_view type, const json& doc, const std::string& path) {
    const Table* t = cat_.Find(type);
    if (t == nullptr || t->id == schema::kAuditEntryTableId) {
      errors.push_back(path + ": \"" + std::string(type) + "\" is not a record type (" +
                       TypeNames() + ")");
      return {};
    }
    if (!doc.is_object()) {
      errors.push_back(path + ": expected a JSON object, got " + std::string(doc.type_name()));
      return {};
    }
    if (t->id == schema::kMovementTableId) return PlanMovement(doc, path);
    return PlanFlat(*t, doc, path);
  }

  std::string TypeNames() const {
    std::string s;
    for (const auto& t : cat_.tables()) {
      if (t.id == schema::kAuditEntryTableId) continue;
      if (!s.empty()) s += ", ";
      s += t.name;
    }
    return s;
  }

 private:
  Uuid PlanFlat(const Table& t, json doc, const std::string& path) {
    if (doc.contains("id")) {
      errors.push_back(path + ".id: ids are minted by the node; leave \"id\" out of new records");
      return {};
    }
    if (t.id == schema::kPersonTableId) {
      if (Status s = schema::FillPersonFromMrz(path, &doc, Today()); !s.ok()) {
        errors.push_back(s.message());
        return {};
      }
    }
    schema::StoreCodesAsWritten(t.id, &doc);
    if (t.id == schema::kPersonTableId && !doc.contains("review_date")) {
      // Retention: nominal records carry a review date; default 3 years on.
      int64_t t_us = store_.clock().NowMicros() + kDefaultRetentionDays * 86400LL * 1000000;
      doc["review_date"] = FormatUtcMicros(t_us).substr(0, 10);
    }
    auto row = schema::ParseRow(t, doc, path, {"type"});
    if (!row.ok()) {
      errors.push_back(row.status().message());
      return {};
    }
    if (Status s = schema::CheckRowRules(t, path, doc, Today()); !s.ok()) {
      errors.push_back(s.message());
      return {};
    }
    Uuid id = store_.NewId();
    rows.push_back({&t, id, std::move(*row)});
    return id;
  }

  // The node's calendar day (UTC), for the century of an MRZ's dates.
  schema::CivilDate Today() const { return CivilDateAt(store_.clock().NowMicros()); }

  // Replaces doc[key] (an object) by the id of a new row planned from it.
  void Nest(json& doc, const char* key, const char* table, const std::string& path) {
    if (!doc.contains(key) || !doc[key].is_object()) return;
    Uuid id = PlanFlat(*cat_.Find(table), doc[key], path + "." + key);
    doc[key] = UuidToString(id);
  }

  json TakeArray(json& doc, const char* key, const std::string& path) {
    if (!doc.contains(key)) return json::array();
    json a = std::move(doc[key]);
    doc.erase(key);
    if (!a.is_array()) {
      errors.push_back(path + "." + key + ": expected an array, got " + std::string(a.type_name()));
      return json::array();
    }
    if (a.size() > 1000) {
      errors.push_back(path + "." + key + ": " + std::to_string(a.size()) +
                       " entries, more than the limit of 1000");
      return json::array();
    }
    return a;
  }

  Uuid PlanMovement(json doc, const std::string& path) {
    const std::string& site = store_.identity().site;
    if (!doc.contains("crossing") && store_.identity().role == Role::kSite) doc["crossing"] = site;
    if (store_.identity().role == Role::kSite && doc["crossing"].is_string() &&
        doc["crossing"].get<std::string>() != site) {
      errors.push_back(path + ".crossing: \"" + doc["crossing"].get<std::string>() +
                       "\" is not this node's site code (" + site + ")");
    }
    if (!doc.contains("time")) doc["time"] = FormatUtcMicros(store_.clock().NowMicros());
    json equipment = TakeArray(doc, "equipment", path);
    json consignments = TakeArray(doc, "consignments", path);
    json persons = TakeArray(doc, "persons", path);
    Nest(doc, "vehicle", "vehicle", path);
    Nest(doc, "trailer", "vehicle", path);
    Uuid mid = PlanFlat(*cat_.Find("movement"), doc, path);
    std::string mid_text = UuidToString(mid);
    size_t movement_index = rows.size() - 1;
    bool movement_ok = !rows.empty() && rows.back().id == mid;

    for (size_t i = 0; i < equipment.size(); ++i) {
      std::string p = path + ".equipment[" + std::to_string(i) + "]";
      json e = equipment[i];
      if (!e.is_object()) {
        errors.push_back(p + ": expected an object");
        continue;
      }
      json seals = TakeArray(e, "seals", p);
      e["movement"] = mid_text;
      Uuid eid = PlanFlat(*cat_.Find("equipment"), e, p);
      for (size_t k = 0; k < seals.size(); ++k) {
        std::string sp = p + ".seals[" + std::to_string(k) + "]";
        if (!seals[k].is_object()) {
          errors.push_back(sp + ": expected an object");
          continue;
        }
        json s = seals[k];
        s["equipment"] = UuidToString(eid);
        PlanFlat(*cat_.Find("seal"), s, sp);
      }
    }
    for (size_t i = 0; i < consignments.size(); ++i) {
      std::string p = path + ".consignments[" + std::to_string(i) + "]";
      json c = consignments[i];
      if (!c.is_object()) {
        errors.push_back(p + ": expected an object");
        continue;
      }
      json goods = TakeArray(c, "goods", p);
      Nest(c, "shipper", "party", p);
      Nest(c, "consignee", "party", p);
      Nest(c, "declarant", "party", p);
      c["movement"] = mid_text;
      Uuid cid = PlanFlat(*cat_.Find("consignment"), c, p);
      for (size_t k = 0; k < goods.size(); ++k) {
        std::string gp = p + ".goods[" + std::to_string(k) + "]";
        if (!goods[k].is_object()) {
          errors.push_back(gp + ": expected an object");
          continue;
        }
        json g = goods[k];
        g["consignment"] = UuidToString(cid);
        PlanFlat(*cat_.Find("goods_item"), g, gp);
      }
    }
    std::optional<Uuid> driver;
    for (size_t i = 0; i < persons.size(); ++i) {
      std::string p = path + ".persons[" + std::to_string(i) + "]";
      json person = persons[i];
      if (!person.is_object()) {
        errors.push_back(p + ": expected an object");
        continue;
      }
      json role = person.contains("role") ? person["role"] : json("passenger");
      person.erase("role");
      Uuid pid = PlanFlat(*cat_.Find("person"), person, p);
      json link{{"movement", mid_text}, {"person", UuidToString(pid)}, {"role", role}};
      PlanFlat(*cat_.Find("movement_person"), link, p);
      if (role == "driver" && !driver) driver = pid;
    }
    if (driver && movement_ok && errors.empty()) {
      const schema::Column* c = cat_.Find("movement")->FindColumn("driver");
      auto& vals = rows[movement_index].row.values;
      bool has = false;
      for (auto& [col, v] : vals) has |= (col == c);
      if (!has) vals.emplace_back(c, schema::Value{Bytes(driver->begin(), driver->end())});
    }
    return mid;
  }

  Store& store_;
  const schema::Catalogue& cat_;
};

Status RequireOfficer(const Actor& a) {
  if (a.officer.empty()) {
    return Status::InvalidArgument(
        "--officer: every change is recorded with the officer who made it; pass --officer ID "
        "or set OUTPOST_OFFICER");
  }
  return Status::Ok();
}

Status WriteRows(sync::Writer& w, Store& store, std::vector<PlannedRow>& rows) {
  for (auto& p : rows) {
    auto vals = ToColumnValues(p.row);
    OUTPOST_RETURN_IF_ERROR(w.Insert(*p.table, p.id, store.ScopeFor(*p.table), vals));
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

std::string JoinErrors(const std::vector<std::string>& errors) {
  std::string s;
  size_t shown = 0;
  for (const auto& e : errors) {
    if (shown == 8) {
      s += "; and " + std::to_string(errors.size() - shown) + " more";
      break;
    }
    if (!s.empty()) s += "; ";
    s += e;
    ++shown;
  }
  return s;
}

const schema::Table& TableOf(Store& store, const char* name) {
  const schema::Table* t = store.catalogue().Find(name);
  // The catalogue is compiled in; a missing table is a bug, not input.
  if (t == nullptr) std::abort();
  return *t;
}

Result<std::vector<PlannedRow>> PlanDocument(Store& store, std::string_view type, const json& doc,
                                             const std::string& path) {
  Planner plan(store);
  plan.Plan(type, doc, path.empty() ? std::string(type) : path);
  if (!plan.errors.empty()) return Status::InvalidArgument(JoinErrors(plan.errors));
  return std::move(plan.rows);
}
}  // namespace internal

void StampActor(const Actor& actor, AuditEvent& event) {
  if (!actor.reason.empty()) event.detail["reason"] = actor.reason;
  if (actor.break_glass) event.detail["break_glass"] = true;
}

Result<json> Records::Add(std::string_view type, const json& doc, const Actor& actor) {
  OUTPOST_RETURN_IF_ERROR(RequireOfficer(actor));
  Planner plan(store_);
  Uuid id = plan.Plan(type, doc, std::string(type));
  if (!plan.errors.empty()) return Status::InvalidArgument(JoinErrors(plan.errors));
  OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
  OUTPOST_RETURN_IF_ERROR(WriteRows(*w, store_, plan.rows));
  int64_t nominal = 0;
  for (const auto& p : plan.rows) nominal += HasNominal(p);
  if (nominal > 0) {
    AuditEvent ev{AuditAction::kCollect, actor.officer, std::string(type), id,
                  json{{"rows_with_personal_data", nominal}}};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
  }
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return json{{"id", UuidToString(id)}, {"type", type}, {"rows", plan.rows.size()}};
}

namespace {

// The local table of import keys (records.h, Import). Not replicated: it
// only says which lines of which input this node has already stored.
Status EnsureImportTable(Db& db) {
  OUTPOST_ASSIGN_OR_RETURN(
      int64_t n,
      db.QueryInt(
          "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'import_line'"));
  if (n == 1) return Status::Ok();
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS import_line(key BLOB PRIMARY KEY, source TEXT NOT NULL, "
      "line INTEGER NOT NULL, record BLOB NOT NULL) WITHOUT ROWID");
}

Bytes ImportKey(const std::string& source, const std::string& canonical, int64_t occurrence) {
  crypto::Hasher h;
  auto bytes = [](std::string_view s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  std::string n =
      std::to_string(source.size()) + ":" + source + "|" + std::to_string(occurrence) + "|";
  h.Update(bytes(n)).Update(bytes(canonical));
  crypto::Hash d = h.Finish();
  return Bytes(d.begin(), d.end());
}

}  // namespace

Result<ImportReport> Records::Import(
    std::istream& in, const std::string& source_name, const Actor& actor, size_t batch,
    const std::function<void(int64_t, int64_t)>& progress,
    const std::function<void(const Uuid&, const json&)>& on_movement,
    const std::function<bool()>& should_stop) {
  OUTPOST_RETURN_IF_ERROR(RequireOfficer(actor));
  OUTPOST_RETURN_IF_ERROR(crypto::InitCrypto());
  Db& db = store_.db();
  OUTPOST_RETURN_IF_ERROR(EnsureImportTable(db));
  ImportReport rep;
  std::string line;
  std::vector<PlannedRow> pending;
  struct Key {
    Bytes key;
    int64_t line;
    Uuid record;
  };
  std::vector<Key> pending_keys;
  std::map<Bytes, int64_t> seen;                 // canonical hash -> lines of that content so far
  std::vector<std::pair<Uuid, json>> movements;  // committed with `pending`, for on_movement
  int64_t pending_docs = 0, pending_nominal = 0, first_line = 0;
  auto flush = [&]() -> Status {
    if (pending_docs == 0) return Status::Ok();
    OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
    OUTPOST_RETURN_IF_ERROR(WriteRows(*w, store_, pending));
    OUTPOST_ASSIGN_OR_RETURN(auto ins,
                             db.Cached("INSERT INTO import_line(key, source, line, record) "
                                       "VALUES(?, ?, ?, ?)"));
    for (const auto& k : pending_keys) {
      ins->Reset();
      ins->BindBlob(1, k.key);
      ins->Bind(2, std::string_view(source_name));
      ins->Bind(3, k.line);
      ins->BindBlob(4, k.record);
      OUTPOST_RETURN_IF_ERROR(ins->Run());
    }
    AuditEvent ev{AuditAction::kImport, actor.officer, "", std::nullopt,
                  json{{"source", source_name},
                       {"lines", std::to_string(first_line) + "-" + std::to_string(rep.lines)},
                       {"records", pending_docs},
                       {"rows_with_personal_data", pending_nominal}}};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
    OUTPOST_RETURN_IF_ERROR(w->Commit());
    rep.loaded += pending_docs;
    rep.rows += static_cast<int64_t>(pending.size());
    pending.clear();
    pending_keys.clear();
    pending_docs = pending_nominal = 0;
    for (const auto& [id, doc] : movements) on_movement(id, doc);
    movements.clear();
    if (progress) progress(rep.lines, rep.loaded);
    return Status::Ok();
  };
  OUTPOST_ASSIGN_OR_RETURN(auto known, db.Cached("SELECT 1 FROM import_line WHERE key = ?"));
  for (;;) {
    if (should_stop && should_stop()) {
      rep.stopped = true;
      break;
    }
    if (!std::getline(in, line)) break;
    ++rep.lines;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > (1 << 20)) {
      rep.errors.push_back({rep.lines, "line is longer than 1 MiB"});
      continue;
    }
    json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded()) {
      rep.errors.push_back({rep.lines, "not valid JSON"});
      continue;
    }
    if (!doc.is_object() || !doc.contains("type") || !doc["type"].is_string()) {
      rep.errors.push_back({rep.lines, "type: each line needs a \"type\" naming the record type"});
      continue;
    }
    // Keys are sorted in a dump, so the same document written differently has one key.
    std::string canonical = doc.dump();
    crypto::Hash content = crypto::Hash256(std::span<const uint8_t>(
        reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size()));
    int64_t occurrence = ++seen[Bytes(content.begin(), content.end())];
    Bytes key = ImportKey(source_name, canonical, occurrence);
    known->Reset();
    known->BindBlob(1, key);
    OUTPOST_ASSIGN_OR_RETURN(bool already, known->Step());
    known->Reset();
    if (already) {
      ++rep.skipped;
      continue;
    }
    std::string type = doc["type"].get<std::string>();
    Planner plan(store_);
    Uuid id = plan.Plan(type, doc, type);
    if (!plan.errors.empty()) {
      rep.errors.push_back({rep.lines, JoinErrors(plan.errors)});
      continue;
    }
    if (pending_docs == 0) first_line = rep.lines;
    pending_keys.push_back({std::move(key), rep.lines, id});
    if (on_movement && type == "movement") {
      for (const auto& r : plan.rows) {
        if (r.table->id == schema::kMovementTableId) {
          movements.emplace_back(r.id, std::move(doc));
          break;
        }
      }
    }
    for (auto& p : plan.rows) {
      pending_nominal += HasNominal(p);
      pending.push_back(std::move(p));
    }
    if (static_cast<size_t>(++pending_docs) >= batch) OUTPOST_RETURN_IF_ERROR(flush());
  }
  OUTPOST_RETURN_IF_ERROR(flush());
  return rep;
}

Result<Records::Located> Records::Locate(std::string_view id_text) {
  auto id = ParseUuid(id_text);
  if (!id.ok()) return id.status().WithContext("id");
  for (const auto& t : store_.catalogue().tables()) {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             store_.db().Cached("SELECT 1 FROM \"" + t.name + "\" WHERE id = ?"));
    st->BindBlob(1, *id);
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) return Located{&t, *id};
  }
  return Status::NotFound("no record with id " + std::string(id_text));
}

Result<json> Records::ReadJson(const Table& t, const Uuid& id, bool* deleted) {
  OUTPOST_ASSIGN_OR_RETURN(auto values, store_.replica().ReadRow(t, id, deleted));
  schema::Row row;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (!schema::IsNull(values[i])) row.values.emplace_back(&t.columns[i], std::move(values[i]));
  }
  json j = schema::RowToJson(t, row);
  j["id"] = UuidToString(id);
  j["type"] = t.name;
  return j;
}

namespace {
// Ids of live rows of `table` whose `column` equals `id`.
Result<std::vector<Uuid>> Children(Db& db, const std::string& table, const std::string& column,
                                   const Uuid& id) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st, db.Cached("SELECT id FROM " + QuoteIdentifier(sync::LiveView(table)) + " WHERE " +
                         QuoteIdentifier(column) + " = ? ORDER BY id"));
  st->BindBlob(1, id);
  std::vector<Uuid> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(0);
    Uuid u{};
    if (b.size() == 16) std::copy(b.begin(), b.end(), u.begin());
    out.push_back(u);
  }
  return out;
}

std::optional<Uuid> IdField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto id = ParseUuid(j[key].get<std::string>());
  if (!id.ok()) return std::nullopt;
  return *id;
}
}  // namespace

Result<json> Records::ReadChildren(const std::string& table, const std::string& column,
                                   const Uuid& id) {
  const Table* t = store_.catalogue().Find(table);
  if (t == nullptr) return Status::Internal("no table " + table);
  OUTPOST_ASSIGN_OR_RETURN(auto ids, Children(store_.db(), table, column, id));
  json out = json::array();
  for (const Uuid& child : ids) {
    bool deleted = false;
    OUTPOST_ASSIGN_OR_RETURN(json j, ReadJson(*t, child, &deleted));
    if (!deleted) out.push_back(std::move(j));
  }
  return out;
}

Result<json> Records::Get(std::string_view id_text, const Actor& actor) {
  OUTPOST_ASSIGN_OR_RETURN(Located loc, Locate(id_text));
  bool deleted = false;
  OUTPOST_ASSIGN_OR_RETURN(json j, ReadJson(*loc.table, loc.id, &deleted));
  if (deleted)
    return Status::NotFound(loc.table->name + " " + std::string(id_text) + " was deleted");
  const auto& cat = store_.catalogue();
  Db& db = store_.db();
  bool nominal = loc.table->nominal;
  if (loc.table->id == schema::kMovementTableId) {
    for (const char* key : {"vehicle", "trailer"}) {
      if (auto vid = IdField(j, key)) {
        bool d = false;
        auto v = ReadJson(*cat.Find("vehicle"), *vid, &d);
        if (v.ok() && !d) j[key] = *v;
      }
    }
    json equipment = json::array();
    OUTPOST_ASSIGN_OR_RETURN(auto eids, Children(db, "equipment", "movement", loc.id));
    for (const auto& eid : eids) {
      bool d = false;
      OUTPOST_ASSIGN_OR_RETURN(json e, ReadJson(*cat.Find("equipment"), eid, &d));
      json seals = json::array();
      OUTPOST_ASSIGN_OR_RETURN(auto sids, Children(db, "seal", "equipment", eid));
      for (const auto& sid : sids) {
        OUTPOST_ASSIGN_OR_RETURN(json s, ReadJson(*cat.Find("seal"), sid, &d));
        seals.push_back(std::move(s));
      }
      e["seals"] = std::move(seals);
      equipment.push_back(std::move(e));
    }
    j["equipment"] = std::move(equipment);
    json consignments = json::array();
    OUTPOST_ASSIGN_OR_RETURN(auto cids, Children(db, "consignment", "movement", loc.id));
    for (const auto& cid : cids) {
      bool d = false;
      OUTPOST_ASSIGN_OR_RETURN(json c, ReadJson(*cat.Find("consignment"), cid, &d));
      for (const char* key : {"shipper", "consignee", "declarant"}) {
        if (auto pid = IdField(c, key)) {
          auto p = ReadJson(*cat.Find("party"), *pid, &d);
          if (p.ok()) c[key] = *p;
        }
      }
      json goods = json::array();
      OUTPOST_ASSIGN_OR_RETURN(auto gids, Children(db, "goods_item", "consignment", cid));
      for (const auto& gid : gids) {
        OUTPOST_ASSIGN_OR_RETURN(json g, ReadJson(*cat.Find("goods_item"), gid, &d));
        goods.push_back(std::move(g));
      }
      c["goods"] = std::move(goods);
      consignments.push_back(std::move(c));
    }
    j["consignments"] = std::move(consignments);
    json persons = json::array();
    OUTPOST_ASSIGN_OR_RETURN(auto links, Children(db, "movement_person", "movement", loc.id));
    for (const auto& lid : links) {
      bool d = false;
      OUTPOST_ASSIGN_OR_RETURN(json link, ReadJson(*cat.Find("movement_person"), lid, &d));
      if (auto pid = IdField(link, "person")) {
        auto p = ReadJson(*cat.Find("person"), *pid, &d);
        if (p.ok() && !d) {
          json pj = *p;
          pj["role"] = link.value("role", "");
          persons.push_back(std::move(pj));
        }
      }
    }
    nominal |= !persons.empty();
    j["persons"] = std::move(persons);
  }
  for (const auto& c : loc.table->columns) nominal |= c.nominal && j.contains(c.name);
  if (nominal) {
    OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
    AuditEvent ev{AuditAction::kConsult, actor.officer, loc.table->name, loc.id, json::object()};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
    OUTPOST_RETURN_IF_ERROR(w->Commit());
  }
  return j;
}

Result<json> Records::List(const ListQuery& q, const Actor& actor) {
  const Table* t = store_.catalogue().Find(q.type);
  if (t == nullptr) {
    return Status::InvalidArgument("TYPE: \"" + q.type + "\" is not a record type");
  }
  if (q.limit < 1 || q.limit > 100000) {
    return Status::InvalidArgument("--limit: " + std::to_string(q.limit) + " is not in 1..100000");
  }
  std::string sql = "SELECT id FROM " + QuoteIdentifier(sync::LiveView(t->name)) + " WHERE 1";
  std::vector<schema::Value> binds;
  for (const auto& [field, text] : q.where) {
    json v = json::parse(text, nullptr, false);
    if (v.is_discarded() || v.is_object() || v.is_array()) v = text;
    // Typed and validated like a patch: unknown fields are refused by name.
    json patch{{field, v}};
    auto parsed = schema::ParsePatch(*t, patch, "--where " + t->name);
    if (!parsed.ok() && v.is_number()) {
      parsed = schema::ParsePatch(*t, json{{field, text}}, "--where " + t->name);
    }
    if (!parsed.ok()) return parsed.status();
    for (const auto& [col, val] : parsed->values) {
      sql += " AND \"" + col->name + "\" = ?";
      binds.push_back(val);
    }
  }
  if (q.since_micros) {
    if (t->FindColumn("time")) {
      sql += " AND time >= ?";
      binds.push_back(schema::Value{*q.since_micros});
    } else {
      // UUIDv7 ids begin with their creation time in milliseconds.
      Uuid lo{};
      uint64_t ms = static_cast<uint64_t>(*q.since_micros / 1000);
      for (int i = 0; i < 6; ++i) lo[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
      sql += " AND id >= ?";
      binds.push_back(schema::Value{Bytes(lo.begin(), lo.end())});
    }
  }
  sql += " ORDER BY id DESC LIMIT " + std::to_string(q.limit);
  OUTPOST_ASSIGN_OR_RETURN(auto st, store_.db().Prepare(sql));
  for (size_t i = 0; i < binds.size(); ++i) {
    int k = static_cast<int>(i) + 1;
    const auto& v = binds[i];
    switch (v.index()) {
      case 0:
        st->BindNull(k);
        break;
      case 1:
        st->Bind(k, std::get<int64_t>(v));
        break;
      case 2:
        st->Bind(k, std::get<double>(v));
        break;
      case 3:
        st->Bind(k, std::string_view(std::get<std::string>(v)));
        break;
      case 4:
        st->BindBlob(k, std::get<Bytes>(v));
        break;
    }
  }
  std::vector<Uuid> ids;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto b = st->Blob(0);
    Uuid u{};
    if (b.size() == 16) std::copy(b.begin(), b.end(), u.begin());
    ids.push_back(u);
  }
  st.reset();
  json out = json::array();
  bool nominal = false;
  for (const auto& id : ids) {
    bool d = false;
    OUTPOST_ASSIGN_OR_RETURN(json j, ReadJson(*t, id, &d));
    for (const auto& c : t->columns) nominal |= (t->nominal || c.nominal) && j.contains(c.name);
    out.push_back(std::move(j));
  }
  if (nominal) {
    OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
    AuditEvent ev{AuditAction::kConsult, actor.officer, t->name, std::nullopt,
                  json{{"listed", out.size()}}};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
    OUTPOST_RETURN_IF_ERROR(w->Commit());
  }
  return out;
}

Result<json> Records::Update(std::string_view id_text, const json& patch, const Actor& actor) {
  OUTPOST_RETURN_IF_ERROR(RequireOfficer(actor));
  OUTPOST_ASSIGN_OR_RETURN(Located loc, Locate(id_text));
  if (!patch.is_object()) {
    return Status::InvalidArgument("--json: a patch is a JSON object of the fields to change");
  }
  if (loc.table->id == schema::kAuditEntryTableId) {
    return Status::PermissionDenied("audit entries cannot be changed");
  }
  OUTPOST_ASSIGN_OR_RETURN(schema::Row row,
                           schema::ParsePatch(*loc.table, patch, loc.table->name, {"id", "type"}));
  if (row.values.empty()) return Status::InvalidArgument("--json: the patch changes nothing");
  OUTPOST_RETURN_IF_ERROR(CheckPatchedRow(loc, patch));
  OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
  auto vals = ToColumnValues(row);
  OUTPOST_RETURN_IF_ERROR(w->Update(*loc.table, loc.id, vals));
  bool nominal = loc.table->nominal;
  json fields = json::array();
  for (const auto& [col, v] : row.values) {
    nominal |= col->nominal;
    fields.push_back(col->name);
  }
  if (nominal) {
    AuditEvent ev{AuditAction::kAlter, actor.officer, loc.table->name, loc.id,
                  json{{"fields", fields}}};
    StampActor(actor, ev);
    OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
  }
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  bool deleted = false;
  return ReadJson(*loc.table, loc.id, &deleted);
}

// The rules across a record's fields (schema/row_rules.h), on the record as
// the patch would leave it.
Status Records::CheckPatchedRow(const Located& loc, const json& patch) {
  bool deleted = false;
  OUTPOST_ASSIGN_OR_RETURN(json row, ReadJson(*loc.table, loc.id, &deleted));
  row.update(patch);
  return schema::CheckRowRules(*loc.table, loc.table->name, row,
                               CivilDateAt(store_.clock().NowMicros()));
}

Status Records::Delete(std::string_view id_text, const Actor& actor) {
  OUTPOST_RETURN_IF_ERROR(RequireOfficer(actor));
  if (actor.reason.empty()) {
    return Status::InvalidArgument("--reason: a deletion must say why (it is audited)");
  }
  OUTPOST_ASSIGN_OR_RETURN(Located loc, Locate(id_text));
  if (loc.table->id == schema::kAuditEntryTableId) {
    return Status::PermissionDenied("audit entries cannot be deleted");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto w, store_.replica().BeginWrite());
  OUTPOST_RETURN_IF_ERROR(w->Delete(*loc.table, loc.id, /*erase_nominal=*/true));
  AuditEvent ev{AuditAction::kErase, actor.officer, loc.table->name, loc.id,
                json{{"reason", actor.reason}}};
  StampActor(actor, ev);
  OUTPOST_RETURN_IF_ERROR(audit_.Append(*w, ev));
  return w->Commit();
}

}  // namespace outpost::node
