// A SQLite VFS that wraps the default one and, on command, makes the disk
// fail under the store: a disk that fills up (writes past a byte budget
// fail with SQLITE_FULL, the part that fits is written, as a real short
// write would be), a disk that fails writes (SQLITE_IOERR_WRITE, nothing
// written), and failing fsyncs (SQLITE_IOERR_FSYNC). Reads, locks and the
// WAL index (shared memory) pass through untouched.
//
// Ownership: the FaultyVfs object is the VFS; it registers itself on
// construction and unregisters on destruction, so every connection opened
// through it must be closed first. Open through it with DbOptions::vfs =
// name(), or construct it with make_default=true to route every SQLite
// connection of the process that names no VFS (a test process only).
// Thread safety: the fault settings and counters are atomics and may be
// changed while connections use the VFS; construction and destruction are
// not thread-safe (sqlite3_vfs_register).
#ifndef OUTPOST_TESTS_RELIABILITY_FAULTY_VFS_H_
#define OUTPOST_TESTS_RELIABILITY_FAULTY_VFS_H_

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace outpost::reliability {

class FaultyVfs {
 public:
  FaultyVfs(std::string name, bool make_default);
  ~FaultyVfs();
  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

  const std::string& name() const { return name_; }

  // The disk has `bytes` left: later writes use them up, and the write that
  // crosses the limit writes what fits and fails with SQLITE_FULL, as does
  // every write after it.
  void FillAfter(int64_t bytes) { Arm(bytes, SQLITE_FULL); }
  // Writes past the next `bytes` fail with SQLITE_IOERR_WRITE, writing nothing.
  void FailWritesAfter(int64_t bytes) { Arm(bytes, SQLITE_IOERR_WRITE); }
  // Every xSync fails with SQLITE_IOERR_FSYNC while on.
  void FailSyncs(bool on) { fail_syncs_.store(on); }
  // Space returns, the disk works again.
  void Heal() {
    write_error_.store(SQLITE_OK);
    fail_syncs_.store(false);
  }

  int64_t bytes_written() const { return bytes_written_.load(); }
  // Write and sync calls failed so far.
  int64_t faults() const { return faults_.load(); }

  struct File;  // the per-file object (faulty_vfs.cc); not for callers

 private:
  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                  int* out_flags);
  static int Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset);
  static int Sync(sqlite3_file* file, int flags);
  void Arm(int64_t bytes, int error) {
    budget_.store(bytes);
    write_error_.store(error);
  }

  std::string name_;
  sqlite3_vfs* real_;
  sqlite3_vfs vfs_{};
  std::atomic<int> write_error_{SQLITE_OK};  // SQLITE_OK: no write fault armed
  std::atomic<int64_t> budget_{0};           // bytes writable before the fault
  std::atomic<bool> fail_syncs_{false};
  std::atomic<int64_t> bytes_written_{0};
  std::atomic<int64_t> faults_{0};
};

}  // namespace outpost::reliability

#endif  // OUTPOST_TESTS_RELIABILITY_FAULTY_VFS_H_
