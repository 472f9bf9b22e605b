// Whole-file helpers with the durability rules Outpost needs.
#ifndef OUTPOST_BASE_FILE_H_
#define OUTPOST_BASE_FILE_H_

#include <cstdint>
#include <memory>
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
// The temporary file is created with O_EXCL|O_NOFOLLOW: a file or symlink
// already at its name (PATH.tmp.PID, then PATH.tmp.PID.N) is never written
// through, only skipped.
Status WriteFileAtomic(const std::string& path, std::span<const uint8_t> data,
                       unsigned mode = 0600);

// An exclusive advisory lock (flock) on a lock file, held until destroyed or
// the process ends (so a crash never leaves it held). The holder's process
// id is written into the file so a refused process can say who holds it.
class FileLock {
 public:
  // Takes the lock without waiting, creating `path` (0600) if missing.
  // kFailedPrecondition "PATH is held by process PID" when another process
  // (or another FileLock in this one) holds it; kIoError otherwise.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace outpost

#endif  // OUTPOST_BASE_FILE_H_
