// Pending names: the rows one local transaction wrote in one scope, as
// crdt_pending.rows stores them (sync/pending_names.h).
//
// Grammar (varints are LEB128, base/bytes.h):
//
//   names   := name*                       (empty: no row; not stored)
//   name    := table shared suffix cl
//   table   := varint                      catalogue table id, <= 65535
//   shared  := uint8                       bytes the id shares with the
//                                          previous name's id (the first
//                                          name's previous id is all zero),
//                                          <= 16
//   suffix  := uint8[16 - shared]          the rest of the id
//   cl      := varint                      causal length the write left,
//                                          1 <= cl <= 2^32 - 1
//
// Ids made together are UUIDv7s that share their time prefix, so a name is
// usually 1 + 1 + ~10 + 1 bytes. A row written twice in one transaction is
// named twice; the seal keeps the last name (its causal length).
#include "sync/pending_names.h"

#include <cstring>

namespace outpost::sync {

void PendingNamesEncoder::Add(uint16_t table, const Uuid& id, uint32_t cl) {
  size_t shared = 0;
  while (shared < 16 && id[shared] == last_[shared]) ++shared;
  PutVarint(bytes_, table);
  bytes_.push_back(static_cast<uint8_t>(shared));
  bytes_.insert(bytes_.end(), id.begin() + static_cast<ptrdiff_t>(shared), id.end());
  PutVarint(bytes_, cl);
  last_ = id;
}

bool PendingNamesDecoder::Next(PendingName* out) {
  if (!status_.ok() || pos_ >= in_.size()) return false;
  uint64_t tbl = 0, cl = 0;
  bool ok = GetVarint(in_, &pos_, &tbl) && tbl <= UINT16_MAX && pos_ < in_.size();
  const size_t shared = ok ? in_[pos_++] : 0;
  ok = ok && shared <= 16 && in_.size() - pos_ >= 16 - shared;
  if (ok) {
    std::memcpy(out->id.data(), last_.data(), shared);
    std::memcpy(out->id.data() + shared, in_.data() + pos_, 16 - shared);
    pos_ += 16 - shared;
    last_ = out->id;
    ok = GetVarint(in_, &pos_, &cl) && cl >= 1 && cl <= UINT32_MAX;
  }
  if (!ok) {
    status_ = Status::Corruption("crdt_pending: a malformed list of written rows at byte " +
                                 std::to_string(pos_) + " of " + std::to_string(in_.size()));
    return false;
  }
  out->table = static_cast<uint16_t>(tbl);
  out->cl = static_cast<uint32_t>(cl);
  return true;
}

}  // namespace outpost::sync
