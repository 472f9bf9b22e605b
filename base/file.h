// Whole-file helpers with the durability rules Outpost needs.
#ifndef OUTPOST_BASE_FILE_H_
#define OUTPOST_BASE_FILE_H_

#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace outpost {

// Reads a whole file. kNotFound if missing, kIoError otherwise; refuses files
// larger than max_bytes with kInvalidArgument.
Result<Bytes> ReadFile(const std::string& path, uint64_t max_bytes = 1ull << 30);

// Writes `data` to `path` atomically and durably: a temporary file in the same
// folder is written, fsync'd, renamed over `path`, and the folder fsync'd.
// `mode` is the file permission (0600 for key files). Either the old or the
// new content survives a crash, never a mix.
Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                       unsigned mode = 0600);

}  // namespace outpost

#endif  // OUTPOST_BASE_FILE_H_
