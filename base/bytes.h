// Small byte helpers: hex, ids, varints. Pure functions.
#ifndef OUTPOST_BASE_BYTES_H_
#define OUTPOST_BASE_BYTES_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace outpost {

using Bytes = std::vector<uint8_t>;

std::string ToHex(std::span<const uint8_t> bytes);
// Refuses odd length and non-hex characters.
Result<Bytes> FromHex(std::string_view hex);

// A 16-byte, time-ordered unique id (UUIDv7 layout: 48-bit Unix milliseconds,
// version 7, 74 random bits). Minted at the node that creates the row, so ids
// never collide across nodes; they sort by creation time.
using Uuid = std::array<uint8_t, 16>;
Uuid NewUuidV7(Clock& clock, Random& random);
// Canonical text form "0190b3c2-7f1a-7b3e-9c4d-1a2b3c4d5e6f".
std::string UuidToString(const Uuid& id);
Result<Uuid> ParseUuid(std::string_view text);

// LEB128 unsigned varints, used by the compact column-version encoding.
void PutVarint(Bytes& out, uint64_t v);
// Advances *pos; false on truncation or overlong encoding.
bool GetVarint(std::span<const uint8_t> in, size_t* pos, uint64_t* v);

}  // namespace outpost

#endif  // OUTPOST_BASE_BYTES_H_
