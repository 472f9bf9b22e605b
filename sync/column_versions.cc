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
}  // namespace

size_t ColumnVersions::EncodeOneWriterTo(std::span<const uint16_t> columns, HlcTime hlc,
                                         uint32_t origin, uint8_t* out) {
  size_t n = PutVarintTo(out, 1);
  n += PutVarintTo(out + n, hlc);
  n += PutVarintTo(out + n, origin);
  n += PutVarintTo(out + n, columns.size());
  uint16_t prev = 0;
  for (uint16_t c : columns) {
    n += PutVarintTo(out + n, static_cast<uint16_t>(c - prev));
    prev = c;
  }
  return n;
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
