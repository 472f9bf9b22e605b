// Per-column versions of one replicated row, stored in its hidden `_v` column.
// Internal to sync/ (exposed for tests).
//
// Encoding (all varints, LEB128): ngroups, then per group of columns written
// by the same (hlc, origin):  hlc, origin, ncols, then the column ids as
// deltas from the previous id in the group. An insert of a 7-column row is one
// group: about 17 bytes.
#ifndef OUTPOST_SYNC_COLUMN_VERSIONS_H_
#define OUTPOST_SYNC_COLUMN_VERSIONS_H_

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "sync/hlc.h"

namespace outpost::sync {

struct ColumnVersion {
  uint16_t column;
  HlcTime hlc;
  uint32_t origin;  // index into this store's crdt_node table
};

class ColumnVersions {
 public:
  const ColumnVersion* Find(uint16_t column) const;
  void Set(uint16_t column, HlcTime hlc, uint32_t origin);
  const std::vector<ColumnVersion>& entries() const { return entries_; }

  Bytes Encode() const;
  // The encoding of columns all written by one (hlc, origin), as an insert
  // makes them; equal to building the set and calling Encode().
  static Bytes EncodeOneWriter(std::span<const uint16_t> columns, HlcTime hlc, uint32_t origin);
  // The same bytes written to `out` (at least OneWriterBound(n) bytes) without
  // allocating, for strictly ascending `columns`; returns the length written.
  static size_t EncodeOneWriterTo(std::span<const uint16_t> ascending_columns, HlcTime hlc,
                                  uint32_t origin, uint8_t* out);
  static constexpr size_t OneWriterBound(size_t n) { return 1 + 10 + 5 + 10 + 3 * n; }
  static bool Decode(std::span<const uint8_t> in, ColumnVersions* out);

 private:
  std::vector<ColumnVersion> entries_;  // sorted by column
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_COLUMN_VERSIONS_H_
