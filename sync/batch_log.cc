#include "sync/batch_log.h"

#include <cstring>

#include "sync/row_sql.h"

namespace outpost::sync::internal {
namespace {

// crdt_vv
constexpr char kSelectHead[] = "SELECT seq, hash FROM crdt_vv WHERE origin = ? AND scope = ?";
constexpr char kUpsertHead[] =
    "INSERT INTO crdt_vv VALUES(?, ?, ?, ?) ON CONFLICT(origin, scope) DO UPDATE SET "
    "seq = excluded.seq, hash = excluded.hash";
constexpr char kSelectVersionVector[] =
    "SELECT n.node_id, s.name, v.seq FROM crdt_vv v JOIN crdt_node n ON n.idx = v.origin "
    "JOIN crdt_scope s ON s.idx = v.scope";

// crdt_batch
constexpr char kInsertBatch[] =
    "INSERT INTO crdt_batch(origin, scope, seq, hash, hlc, applied, body, sig) "
    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectHash[] =
    "SELECT hash FROM crdt_batch WHERE origin = ? AND scope = ? AND seq = ?";
constexpr char kSelectBuffered[] =
    "SELECT body, hash FROM crdt_batch WHERE origin = ? AND scope = ? AND seq = ? AND applied = 0";
constexpr char kMarkApplied[] =
    "UPDATE crdt_batch SET applied = 1 WHERE origin = ? AND scope = ? AND seq = ?";
constexpr char kDropBuffered[] =
    "DELETE FROM crdt_batch WHERE origin = ? AND scope = ? AND seq = ? AND applied = 0";
constexpr char kSelectAppliedAfter[] =
    "SELECT b.seq, b.body, b.sig FROM crdt_batch b JOIN crdt_node n ON n.idx = b.origin "
    "JOIN crdt_scope s ON s.idx = b.scope WHERE n.node_id = ? AND s.name = ? AND b.seq > ? "
    "AND b.applied = 1 ORDER BY b.seq";
constexpr char kPrune[] =
    "DELETE FROM crdt_batch WHERE origin = ? AND scope = ? AND seq <= ? AND applied = 1 "
    "AND (origin != ? OR length(sig) > 0)";
constexpr char kSelectUnsigned[] =
    "SELECT rowid, body FROM crdt_batch WHERE origin = ? AND length(sig) = 0";
constexpr char kSetSignature[] = "UPDATE crdt_batch SET sig = ? WHERE rowid = ?";

int64_t I(uint64_t v) { return static_cast<int64_t>(v); }

// Binds (origin, scope, seq) as parameters 1-3.
void BindKey(Stmt& st, uint32_t origin, uint32_t scope, uint64_t seq) {
  st.Bind(1, I(origin)).Bind(2, I(scope)).Bind(3, I(seq));
}

bool ReadHash(std::span<const uint8_t> b, Hash* out) {
  if (b.size() != out->size()) return false;
  std::memcpy(out->data(), b.data(), out->size());
  return true;
}

}  // namespace

Result<ChainHead> BatchLog::Head(uint32_t origin, uint32_t scope) const {
  ChainHead head;
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectHead));
  st->Bind(1, I(origin)).Bind(2, I(scope));
  OUTPOST_ASSIGN_OR_RETURN(bool found, st->Step());
  if (found) {
    head.seq = static_cast<uint64_t>(st->Int(0));
    if (!ReadHash(st->Blob(1), &head.hash)) {
      return Status::Corruption("crdt_vv: hash is not 32 bytes");
    }
  }
  return head;
}

Status BatchLog::SetHead(uint32_t origin, uint32_t scope, const ChainHead& head) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kUpsertHead));
  st->Bind(1, I(origin)).Bind(2, I(scope));
  st->Bind(3, I(head.seq)).BindBlob(4, head.hash);
  return st->Run();
}

Result<VersionVector> BatchLog::ReadVersionVector() const {
  VersionVector vv;
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectVersionVector));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    NodeId id{};
    auto b = st->Blob(0);
    if (b.size() != 16) return Status::Corruption("crdt_node: node id is not 16 bytes");
    std::memcpy(id.data(), b.data(), 16);
    vv.Set(id, std::string(st->Text(1)), static_cast<uint64_t>(st->Int(2)));
  }
  return vv;
}

Status BatchLog::Insert(const LoggedBatch& b) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kInsertBatch));
  BindKey(*st, b.origin, b.scope, b.seq);
  st->BindBlob(4, b.hash).Bind(5, I(b.hlc)).Bind(6, int64_t{b.applied ? 1 : 0});
  BindStaticBlob(*st, 7, b.body);
  BindStaticBlob(*st, 8, b.signature);
  return st->Run();
}

Result<std::optional<Hash>> BatchLog::StoredHash(uint32_t origin, uint32_t scope,
                                                 uint64_t seq) const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectHash));
  BindKey(*st, origin, scope, seq);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<Hash>();
  Hash h{};
  (void)ReadHash(st->Blob(0), &h);  // a damaged hash stays zero: it matches nothing
  return std::optional<Hash>(h);
}

Result<std::optional<BufferedBatch>> BatchLog::Buffered(uint32_t origin, uint32_t scope,
                                                        uint64_t seq) const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectBuffered));
  BindKey(*st, origin, scope, seq);
  OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<BufferedBatch>();
  BufferedBatch b;
  auto body = st->Blob(0);
  b.body.assign(body.begin(), body.end());
  // Verified when it arrived: a damaged hash leaves it waiting, as if absent.
  if (!ReadHash(st->Blob(1), &b.hash)) return std::optional<BufferedBatch>();
  return std::optional<BufferedBatch>(std::move(b));
}

Status BatchLog::MarkApplied(uint32_t origin, uint32_t scope, uint64_t seq) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kMarkApplied));
  BindKey(*st, origin, scope, seq);
  return st->Run();
}

Status BatchLog::DropBuffered(uint32_t origin, uint32_t scope, uint64_t seq) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kDropBuffered));
  BindKey(*st, origin, scope, seq);
  return st->Run();
}

Status BatchLog::ForEachAfter(const NodeId& origin, const std::string& scope, uint64_t after,
                              const Visitor& visit) const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectAppliedAfter));
  st->BindBlob(1, origin).Bind(2, std::string_view(scope)).Bind(3, I(after));
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (!visit(static_cast<uint64_t>(st->Int(0)), st->Blob(1), st->Blob(2))) break;
  }
  return Status::Ok();
}

Result<int64_t> BatchLog::Prune(uint32_t origin, uint32_t scope, uint64_t seq, uint32_t self) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kPrune));
  BindKey(*st, origin, scope, seq);
  st->Bind(4, I(self));
  OUTPOST_RETURN_IF_ERROR(st->Run());
  return db_.Changes();
}

Result<std::vector<std::pair<int64_t, Bytes>>> BatchLog::Unsigned(uint32_t origin) const {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSelectUnsigned));
  st->Bind(1, I(origin));
  std::vector<std::pair<int64_t, Bytes>> out;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto body = st->Blob(1);
    out.emplace_back(st->Int(0), Bytes(body.begin(), body.end()));
  }
  return out;
}

Status BatchLog::SetSignature(int64_t rowid, std::span<const uint8_t> signature) {
  OUTPOST_ASSIGN_OR_RETURN(auto st, db_.Cached(kSetSignature));
  st->BindBlob(1, signature).Bind(2, rowid);
  return st->Run();
}

}  // namespace outpost::sync::internal
