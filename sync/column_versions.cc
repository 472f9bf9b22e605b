#include "sync/column_versions.h"

#include <algorithm>

namespace outpost::sync {

namespace {

size_t PutVarintTo(uint8_t* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<uint8_t>(v);
  return n;
}

// A group's ascending column ids as deltas from the previous (from 0); a
// run of three or more ids each one above the last is written as 0, then
// the run's length (0 is never a delta: ids ascend strictly). Writes at most
// 3 bytes an id; returns the bytes written.
size_t PutColumnIds(std::span<const uint16_t> cols, uint8_t* out) {
  size_t n = 0;
  uint16_t prev = 0;
  for (size_t i = 0; i < cols.size();) {
    size_t run = 0;
    while (i + run < cols.size() && cols[i + run] == prev + run + 1) ++run;
    if (run >= 3) {
      out[n++] = 0;
      n += PutVarintTo(out + n, run);
      prev = cols[i + run - 1];
      i += run;
    } else {
      n += PutVarintTo(out + n, static_cast<uint16_t>(cols[i] - prev));
      prev = cols[i++];
    }
  }
  return n;
}

}  // namespace

const ColumnVersion* ColumnVersions::Find(uint16_t column) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), column,
                             [](const ColumnVersion& e, uint16_t c) { return e.column < c; });
  return (it != entries_.end() && it->column == column) ? &*it : nullptr;
}

void ColumnVersions::Set(uint16_t column, HlcTime hlc, uint32_t origin) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), column,
                             [](const ColumnVersion& e, uint16_t c) { return e.column < c; });
  if (it != entries_.end() && it->column == column) {
    it->hlc = hlc;
    it->origin = origin;
  } else {
    entries_.insert(it, ColumnVersion{column, hlc, origin});
  }
}

Bytes ColumnVersions::Encode() const {
  // Groups in order of first appearance; columns within a group ascending.
  std::vector<std::pair<HlcTime, uint32_t>> groups;
  for (const auto& e : entries_) {
    std::pair<HlcTime, uint32_t> key{e.hlc, e.origin};
    if (std::find(groups.begin(), groups.end(), key) == groups.end()) groups.push_back(key);
  }
  Bytes out;
  out.reserve(4 + groups.size() * 12 + entries_.size());
  PutVarint(out, groups.size());
  std::vector<uint16_t> cols;
  for (const auto& g : groups) {
    PutVarint(out, g.first);
    PutVarint(out, g.second);
    cols.clear();
    for (const auto& e : entries_) {
      if (e.hlc == g.first && e.origin == g.second) cols.push_back(e.column);
    }
    PutVarint(out, cols.size());
    size_t at = out.size();
    out.resize(at + 3 * cols.size());
    out.resize(at + PutColumnIds(cols, out.data() + at));
  }
  return out;
}

size_t ColumnVersions::EncodeOneWriterTo(std::span<const uint16_t> columns, HlcTime hlc,
                                         uint32_t origin, uint8_t* out) {
  size_t n = PutVarintTo(out, 1);
  n += PutVarintTo(out + n, hlc);
  n += PutVarintTo(out + n, origin);
  n += PutVarintTo(out + n, columns.size());
  return n + PutColumnIds(columns, out + n);
}

Bytes ColumnVersions::EncodeOneWriter(std::span<const uint16_t> columns, HlcTime hlc,
                                      uint32_t origin) {
  if (columns.empty() ||
      !std::is_sorted(columns.begin(), columns.end(), std::less_equal<uint16_t>())) {
    ColumnVersions v;  // the general path: unsorted, repeated or no columns
    for (uint16_t c : columns) v.Set(c, hlc, origin);
    return v.Encode();
  }
  Bytes out(OneWriterBound(columns.size()));
  out.resize(EncodeOneWriterTo(columns, hlc, origin, out.data()));
  return out;
}

bool ColumnVersions::Decode(std::span<const uint8_t> in, ColumnVersions* out) {
  out->entries_.clear();
  size_t pos = 0;
  uint64_t ngroups = 0;
  if (!GetVarint(in, &pos, &ngroups) || ngroups > 65536) return false;
  for (uint64_t g = 0; g < ngroups; ++g) {
    uint64_t hlc, origin, n;
    if (!GetVarint(in, &pos, &hlc) || !GetVarint(in, &pos, &origin) || !GetVarint(in, &pos, &n) ||
        origin > UINT32_MAX || n > 65536) {
      return false;
    }
    uint64_t col = 0;
    for (uint64_t k = 0; k < n;) {
      uint64_t delta, run = 1;
      if (!GetVarint(in, &pos, &delta)) return false;
      if (delta == 0) {  // a run of ids one apart (PutColumnIds)
        if (!GetVarint(in, &pos, &run) || run == 0 || run > n - k) return false;
        delta = 1;
      }
      for (uint64_t r = 0; r < run; ++r) {
        col += delta;
        if (col > UINT16_MAX) return false;
        out->Set(static_cast<uint16_t>(col), hlc, static_cast<uint32_t>(origin));
      }
      k += run;
    }
  }
  return pos == in.size();
}

}  // namespace outpost::sync
