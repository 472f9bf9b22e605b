// The names of the rows one local transaction wrote in one scope: the
// `rows` blob of a crdt_pending entry (docs/crdt.md, "The change log").
// Writer encodes them as it writes; Replica::Seal decodes them to find the
// rows to seal. The grammar, encoder and decoder are in pending_names.cc.
//
// The bytes come from this node's own store, but a damaged file must not
// crash the node: the decoder checks every count against what remains and
// reports kCorruption (tests/fuzz/fuzz_pending_names.cc).
#ifndef OUTPOST_SYNC_PENDING_NAMES_H_
#define OUTPOST_SYNC_PENDING_NAMES_H_

#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "base/status.h"
#include "sync/change_batch.h"

namespace outpost::sync {

// One name: the row (table id, row id) and the causal length the write
// left it at.
struct PendingName {
  uint16_t table = 0;
  Uuid id{};
  uint32_t cl = 0;
  bool operator==(const PendingName&) const = default;
};

// Appends names, each id prefix-compressed against the previous one.
class PendingNamesEncoder {
 public:
  PendingNamesEncoder() { bytes_.reserve(4096); }
  // `cl` >= 1 (a row's first incarnation is 1).
  void Add(uint16_t table, const Uuid& id, uint32_t cl);
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
  Uuid last_{};
};

// Reads the names back in the order they were added.
class PendingNamesDecoder {
 public:
  explicit PendingNamesDecoder(std::span<const uint8_t> in) : in_(in) {}
  // The next name into *out: true; false at the end or on malformed input
  // (then status() is kCorruption).
  bool Next(PendingName* out);
  const Status& status() const { return status_; }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  Uuid last_{};
  Status status_;
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_PENDING_NAMES_H_
