#include "sync/column_versions.h"

#include <algorithm>

namespace outpost::sync {

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
  for (const auto& g : groups) {
    PutVarint(out, g.first);
    PutVarint(out, g.second);
    size_t n = 0;
    for (const auto& e : entries_) n += (e.hlc == g.first && e.origin == g.second);
    PutVarint(out, n);
    uint16_t prev = 0;
    for (const auto& e : entries_) {
      if (e.hlc == g.first && e.origin == g.second) {
        PutVarint(out, static_cast<uint16_t>(e.column - prev));
        prev = e.column;
      }
    }
  }
  return out;
}

Bytes ColumnVersions::EncodeOneWriter(std::span<const uint16_t> columns, HlcTime hlc,
                                      uint32_t origin) {
  uint16_t sorted[64];
  if (columns.size() > 64 || columns.empty() ||
      !std::is_sorted(columns.begin(), columns.end(), std::less_equal<uint16_t>())) {
    ColumnVersions v;  // the general path: unsorted, repeated or many columns
    for (uint16_t c : columns) v.Set(c, hlc, origin);
    return v.Encode();
  }
  std::copy(columns.begin(), columns.end(), sorted);
  Bytes out;
  out.reserve(24 + columns.size());
  PutVarint(out, 1);
  PutVarint(out, hlc);
  PutVarint(out, origin);
  PutVarint(out, columns.size());
  uint16_t prev = 0;
  for (size_t i = 0; i < columns.size(); ++i) {
    PutVarint(out, static_cast<uint16_t>(sorted[i] - prev));
    prev = sorted[i];
  }
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
    for (uint64_t k = 0; k < n; ++k) {
      uint64_t delta;
      if (!GetVarint(in, &pos, &delta)) return false;
      col += delta;
      if (col > UINT16_MAX) return false;
      out->Set(static_cast<uint16_t>(col), hlc, static_cast<uint32_t>(origin));
    }
  }
  return pos == in.size();
}

}  // namespace outpost::sync
