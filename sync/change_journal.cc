// The change journal: see change_journal.h for its invariants and
// docs/crdt.md, "The change journal", for the format.
#include "sync/change_journal.h"

#include <algorithm>
#include <string_view>

#include "sync/pending_names.h"
#include "sync/row_sql.h"

namespace outpost::sync::internal {
namespace {

struct JournalMeta {
  int64_t changes = 0;
  int64_t at = -1;  // absent: written by a binary without the journal
  int64_t floor = 0;
  int64_t rows = 0;
};

Result<JournalMeta> ReadMeta(Db& db) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("SELECT key, value FROM crdt_meta WHERE key IN "
                                              "('changes', 'changed_at', 'changed_floor', "
                                              "'changed_rows')"));
  JournalMeta m;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    std::string_view key = st->Text(0);
    int64_t v = st->Int(1);
    if (key == "changes") m.changes = v;
    if (key == "changed_at") m.at = v;
    if (key == "changed_floor") m.floor = v;
    if (key == "changed_rows") m.rows = v;
  }
  return m;
}

Status WriteMeta(Db& db, std::string_view key, int64_t value) {
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Cached("INSERT INTO crdt_meta VALUES(?, ?) ON "
                                     "CONFLICT(key) DO UPDATE SET value = excluded.value"));
  st->Bind(1, key).Bind(2, value);
  return st->Run();
}

bool Before(const ChangedRow& a, const ChangedRow& b) {
  if (a.table != b.table) return a.table < b.table;
  return a.id < b.id;
}

// Names `rows` under `seq`, as one entry: the rows sorted, each once, in
// the pending names' encoding (sync/pending_names.h; ids prefix-compressed,
// the causal length unused and written as 1). Returns the number of rows.
Result<int64_t> Append(Db& db, int64_t seq, std::vector<ChangedRow> rows) {
  std::sort(rows.begin(), rows.end(), Before);
  PendingNamesEncoder names;
  int64_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0 && !Before(rows[i - 1], rows[i])) continue;  // a row written twice
    names.Add(rows[i].table, rows[i].id, 1);
    ++n;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st, db.Cached("INSERT INTO crdt_changed VALUES(?, ?, ?)"));
  st->Bind(1, seq).Bind(2, n);
  BindStaticBlob(*st, 3, names.bytes());
  OUTPOST_RETURN_IF_ERROR(st->Run());
  return n;
}

// Drops the oldest commits until at most max_rows / 2 rows remain
// (invariant 4); the floor rises to the newest commit dropped.
Status Prune(Db& db, size_t max_rows, JournalMeta& m) {
  OUTPOST_ASSIGN_OR_RETURN(
      int64_t cut,
      db.QueryInt("SELECT seq FROM (SELECT seq, sum(n) OVER (ORDER BY seq DESC) AS kept FROM "
                  "crdt_changed) WHERE kept > " +
                  std::to_string(max_rows / 2) + " ORDER BY seq DESC LIMIT 1"));
  OUTPOST_RETURN_IF_ERROR(db.Exec("DELETE FROM crdt_changed WHERE seq <= " + std::to_string(cut)));
  m.floor = std::max(m.floor, cut);
  OUTPOST_ASSIGN_OR_RETURN(m.rows, db.QueryInt("SELECT coalesce(sum(n), 0) FROM crdt_changed"));
  return Status::Ok();
}

}  // namespace

void ChangedRowSet::Add(uint16_t table, const Uuid& id) {
  if (overflow_) return;
  if (rows_.size() >= cap_) {
    overflow_ = true;
    rows_ = {};
    return;
  }
  rows_.push_back({table, id});
}

Status RecordCommit(Db& db, const ChangedRowSet& rows, size_t max_rows) {
  OUTPOST_ASSIGN_OR_RETURN(JournalMeta m, ReadMeta(db));
  const int64_t seq = m.changes + 1;
  const bool untrusted = m.at != m.changes;  // invariant 3
  if (untrusted || rows.overflow()) {
    OUTPOST_RETURN_IF_ERROR(db.Exec("DELETE FROM crdt_changed"));
    m.rows = 0;
    m.floor = rows.overflow() ? seq : m.changes;
  }
  if (!rows.overflow() && !rows.rows().empty()) {
    OUTPOST_ASSIGN_OR_RETURN(int64_t added, Append(db, seq, rows.rows()));
    m.rows += added;
    if (m.rows > static_cast<int64_t>(max_rows)) OUTPOST_RETURN_IF_ERROR(Prune(db, max_rows, m));
  }
  OUTPOST_RETURN_IF_ERROR(WriteMeta(db, "changes", seq));
  OUTPOST_RETURN_IF_ERROR(WriteMeta(db, "changed_at", seq));
  OUTPOST_RETURN_IF_ERROR(WriteMeta(db, "changed_floor", m.floor));
  return WriteMeta(db, "changed_rows", m.rows);
}

Result<std::optional<std::vector<ChangedRow>>> ReadJournal(Db& db, int64_t count) {
  OUTPOST_ASSIGN_OR_RETURN(JournalMeta m, ReadMeta(db));
  if (m.at != m.changes || count < m.floor || count > m.changes) {
    return std::optional<std::vector<ChangedRow>>();
  }
  OUTPOST_ASSIGN_OR_RETURN(auto st,
                           db.Cached("SELECT rows FROM crdt_changed WHERE seq > ? ORDER BY seq"));
  st->Bind(1, count);
  std::vector<ChangedRow> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    PendingNamesDecoder names(st->Blob(0));
    PendingName name;
    while (names.Next(&name)) out.push_back({name.table, name.id});
    if (!names.status().ok()) return names.status().WithContext("crdt_changed");
  }
  return std::optional<std::vector<ChangedRow>>(std::move(out));
}

}  // namespace outpost::sync::internal
