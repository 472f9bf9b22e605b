#include "node/audit.h"

#include <map>

#include "crypto/keys.h"
#include "node/audit_internal.h"
#include "schema/table_ids.h"

namespace outpost::node {

std::string_view AuditActionName(AuditAction a) {
  switch (a) {
    case AuditAction::kCollect:
      return "collect";
    case AuditAction::kAlter:
      return "alter";
    case AuditAction::kConsult:
      return "consult";
    case AuditAction::kDisclose:
      return "disclose";
    case AuditAction::kErase:
      return "erase";
    case AuditAction::kExport:
      return "export";
    case AuditAction::kImport:
      return "import";
    case AuditAction::kSync:
      return "sync";
  }
  return "?";
}

namespace {

using Entry = internal::AuditEntry;
using internal::EntryHash;

void Field(crypto::Hasher& h, std::span<const uint8_t> bytes) {
  Bytes len;
  PutVarint(len, bytes.size());
  h.Update(len);
  h.Update(bytes);
}
void Field(crypto::Hasher& h, std::string_view s) {
  Field(h, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}
void Field(crypto::Hasher& h, int64_t v) {
  Bytes b;
  PutVarint(b, static_cast<uint64_t>(v));
  Field(h, b);
}

}  // namespace

std::string internal::EntryHash(const Entry& e) {
  crypto::Hasher h;
  Field(h, std::string_view("outpost-audit-v1"));
  Field(h, e.node);
  Field(h, e.seq);
  Field(h, e.time);
  Field(h, e.officer);
  Field(h, e.action);
  Field(h, e.record_type);
  if (e.record_id)
    Field(h, *e.record_id);
  else
    Field(h, std::string_view());
  Field(h, e.detail);
  Field(h, e.prev_hash);
  auto d = h.Finish();
  return ToHex(d);
}

namespace {

const schema::Table& AuditTable(const Store& s) {
  return *s.catalogue().FindById(schema::kAuditEntryTableId);
}

uint16_t Col(const schema::Table& t, const char* name) { return t.FindColumn(name)->id; }

}  // namespace

Status AuditLog::Append(sync::Writer& writer, const AuditEvent& ev) {
  const schema::Table& t = AuditTable(store_);
  Entry e;
  e.node = store_.identity().id;
  {
    OUTPOST_ASSIGN_OR_RETURN(
        auto st, store_.db().Cached(
                     "SELECT seq, hash FROM audit_entry WHERE node = ? ORDER BY seq DESC LIMIT 1"));
    st->BindBlob(1, e.node);
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    e.seq = row ? st->Int(0) + 1 : 1;
    e.prev_hash = row ? std::string(st->Text(1)) : std::string(64, '0');
  }
  e.time = store_.clock().NowMicros();
  e.officer = ev.officer.empty() ? "unknown" : ev.officer;
  e.action = std::string(AuditActionName(ev.action));
  e.record_type = ev.record_type;
  e.record_id = ev.record_id;
  e.detail = ev.detail.dump();
  if (e.detail.size() > 4000) e.detail = e.detail.substr(0, 4000);
  e.hash = EntryHash(e);
  using schema::Value;
  std::vector<sync::ColumnValue> vals{
      {Col(t, "node"), Value{Bytes(e.node.begin(), e.node.end())}},
      {Col(t, "seq"), Value{e.seq}},
      {Col(t, "time"), Value{e.time}},
      {Col(t, "officer"), Value{e.officer}},
      {Col(t, "action"), Value{e.action}},
      {Col(t, "record_type"), Value{e.record_type}},
      {Col(t, "detail"), Value{e.detail}},
      {Col(t, "prev_hash"), Value{e.prev_hash}},
      {Col(t, "hash"), Value{e.hash}},
  };
  if (e.record_id) {
    vals.push_back({Col(t, "record_id"), Value{Bytes(e.record_id->begin(), e.record_id->end())}});
  }
  return writer.Insert(t, store_.NewId(), store_.ScopeFor(t), vals);
}

namespace {
Result<std::vector<Entry>> LoadEntries(Db& db, const std::string& where, int64_t limit,
                                       const Uuid* node) {
  std::string sql =
      "SELECT node, seq, time, officer, action, record_type, record_id, detail, prev_hash, hash "
      "FROM audit_entry" +
      where;
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Prepare(sql));
  if (node) st->BindBlob(1, *node);
  std::vector<Entry> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    Entry e;
    auto n = st->Blob(0);
    if (n.size() == 16) std::copy(n.begin(), n.end(), e.node.begin());
    e.seq = st->Int(1);
    e.time = st->Int(2);
    e.officer = std::string(st->Text(3));
    e.action = std::string(st->Text(4));
    e.record_type = std::string(st->Text(5));
    auto r = st->Blob(6);
    if (r.size() == 16) {
      Uuid id;
      std::copy(r.begin(), r.end(), id.begin());
      e.record_id = id;
    }
    e.detail = std::string(st->Text(7));
    e.prev_hash = std::string(st->Text(8));
    e.hash = std::string(st->Text(9));
    out.push_back(std::move(e));
  }
  return out;
}
}  // namespace

Result<nlohmann::json> AuditLog::List(int64_t limit, bool only_this_node) const {
  const Uuid& self = store_.identity().id;
  OUTPOST_ASSIGN_OR_RETURN(auto entries,
                           LoadEntries(store_.db(),
                                       std::string(only_this_node ? " WHERE node = ?" : "") +
                                           " ORDER BY time DESC, seq DESC",
                                       limit, only_this_node ? &self : nullptr));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json j{{"node", UuidToString(e.node)},
                     {"seq", e.seq},
                     {"time", FormatUtcMicros(e.time)},
                     {"officer", e.officer},
                     {"action", e.action},
                     {"record_type", e.record_type},
                     {"record_id", e.record_id ? UuidToString(*e.record_id) : ""},
                     {"hash", e.hash}};
    j["detail"] = nlohmann::json::parse(e.detail, nullptr, false);
    if (j["detail"].is_discarded()) j["detail"] = e.detail;
    out.push_back(std::move(j));
  }
  return out;
}

Result<AuditVerifyReport> AuditLog::Verify() const {
  OUTPOST_ASSIGN_OR_RETURN(auto entries,
                           LoadEntries(store_.db(), " ORDER BY node, seq", 0, nullptr));
  AuditVerifyReport rep;
  rep.entries = static_cast<int64_t>(entries.size());
  std::map<Uuid, std::pair<int64_t, std::string>> last;  // node -> (seq, hash)
  for (const auto& e : entries) {
    auto [it, fresh] = last.try_emplace(e.node, 0, std::string(64, '0'));
    if (fresh) ++rep.nodes;
    auto& [seq, hash] = it->second;
    std::string where = "node " + UuidToString(e.node) + " entry " + std::to_string(e.seq) + " (" +
                        FormatUtcMicros(e.time) + ", " + e.action + ")";
    std::string problem;
    if (e.seq <= seq) {
      problem = where + ": duplicated or reordered sequence number";
    } else if (e.seq != seq + 1) {
      problem = "node " + UuidToString(e.node) + " entry " + std::to_string(seq + 1) +
                ": missing (the chain jumps from entry " + std::to_string(seq) + " to " +
                std::to_string(e.seq) + ")";
    } else if (e.prev_hash != hash) {
      problem = where + ": does not follow entry " + std::to_string(seq) +
                " (previous-hash mismatch: an entry was removed, reordered or altered)";
    } else if (EntryHash(e) != e.hash) {
      problem = where + ": altered (its content does not match its hash)";
    }
    if (!problem.empty()) {
      rep.ok = false;
      ++rep.breaks;
      if (rep.broken.size() < kMaxAuditBreaks) rep.broken.push_back(std::move(problem));
      // A duplicate leaves the chain where it was; any other break goes on
      // from this entry, so what follows it is checked against it.
      if (e.seq <= seq) continue;
    }
    seq = e.seq;
    hash = e.hash;
  }
  if (!rep.broken.empty()) rep.first_broken = rep.broken.front();
  return rep;
}

}  // namespace outpost::node
