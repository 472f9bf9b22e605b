#include "faulty_vfs.h"

#include <algorithm>
#include <cstdlib>

namespace outpost::reliability {

// Our file object: the header SQLite sees, then the wrapped VFS's own file
// object in the same allocation (szOsFile covers both).
struct FaultyVfs::File {
  sqlite3_file base;
  FaultyVfs* owner;
  sqlite3_file* real;  // points just past this struct
};

namespace {

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultyVfs::File*>(f)->real; }

}  // namespace

// Every method but xWrite and xSync forwards to the wrapped file.
static const sqlite3_io_methods kMethods = {
    3,  // iVersion: the unix VFS's files are version 3 (WAL shared memory, mmap)
    [](sqlite3_file* f) {
      sqlite3_file* r = Real(f);
      int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
      f->pMethods = nullptr;
      return rc;
    },
    [](sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
      return Real(f)->pMethods->xRead(Real(f), p, n, off);
    },
    nullptr,  // xWrite, set below
    [](sqlite3_file* f, sqlite3_int64 size) { return Real(f)->pMethods->xTruncate(Real(f), size); },
    nullptr,  // xSync, set below
    [](sqlite3_file* f, sqlite3_int64* size) {
      return Real(f)->pMethods->xFileSize(Real(f), size);
    },
    [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xLock(Real(f), lock); },
    [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xUnlock(Real(f), lock); },
    [](sqlite3_file* f, int* out) { return Real(f)->pMethods->xCheckReservedLock(Real(f), out); },
    [](sqlite3_file* f, int op, void* arg) {
      return Real(f)->pMethods->xFileControl(Real(f), op, arg);
    },
    [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); },
    [](sqlite3_file* f) { return Real(f)->pMethods->xDeviceCharacteristics(Real(f)); },
    [](sqlite3_file* f, int pg, int pgsz, int extend, void volatile** pp) {
      return Real(f)->pMethods->xShmMap(Real(f), pg, pgsz, extend, pp);
    },
    [](sqlite3_file* f, int off, int n, int flags) {
      return Real(f)->pMethods->xShmLock(Real(f), off, n, flags);
    },
    [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); },
    [](sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); },
    [](sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
      return Real(f)->pMethods->xFetch(Real(f), off, n, pp);
    },
    [](sqlite3_file* f, sqlite3_int64 off, void* p) {
      return Real(f)->pMethods->xUnfetch(Real(f), off, p);
    },
};

static sqlite3_io_methods MakeMethods(int (*write)(sqlite3_file*, const void*, int, sqlite3_int64),
                                      int (*sync)(sqlite3_file*, int)) {
  sqlite3_io_methods m = kMethods;
  m.xWrite = write;
  m.xSync = sync;
  return m;
}

int FaultyVfs::Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                    int* out_flags) {
  static const sqlite3_io_methods methods = MakeMethods(&FaultyVfs::Write, &FaultyVfs::Sync);
  auto* self = static_cast<FaultyVfs*>(vfs->pAppData);
  auto* f = reinterpret_cast<File*>(file);
  f->owner = self;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->real->pMethods = nullptr;
  int rc = self->real_->xOpen(self->real_, name, f->real, flags, out_flags);
  if (f->real->pMethods != nullptr && f->real->pMethods->iVersion < 3) std::abort();  // a bug here
  f->base.pMethods = f->real->pMethods != nullptr ? &methods : nullptr;
  return rc;
}

int FaultyVfs::Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  auto* f = reinterpret_cast<File*>(file);
  FaultyVfs& self = *f->owner;
  int error = self.write_error_.load();
  if (error != SQLITE_OK) {
    int64_t left = self.budget_.fetch_sub(n);
    if (left < n) {
      self.budget_.store(0);
      ++self.faults_;
      // A full disk takes what fits (a short write); a failing one nothing.
      if (error == SQLITE_FULL && left > 0) {
        f->real->pMethods->xWrite(f->real, data, static_cast<int>(left), offset);
        self.bytes_written_ += left;
      }
      return error;
    }
  }
  int rc = f->real->pMethods->xWrite(f->real, data, n, offset);
  if (rc == SQLITE_OK) self.bytes_written_ += n;
  return rc;
}

int FaultyVfs::Sync(sqlite3_file* file, int flags) {
  auto* f = reinterpret_cast<File*>(file);
  if (f->owner->fail_syncs_.load()) {
    ++f->owner->faults_;
    return SQLITE_IOERR_FSYNC;
  }
  return f->real->pMethods->xSync(f->real, flags);
}

FaultyVfs::FaultyVfs(std::string name, bool make_default)
    : name_(std::move(name)), real_(sqlite3_vfs_find(nullptr)) {
  vfs_ = *real_;  // the wrapped VFS's limits and its file-less methods
  vfs_.iVersion = std::min(real_->iVersion, 3);
  vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
  vfs_.zName = name_.c_str();
  vfs_.pNext = nullptr;
  vfs_.pAppData = this;
  vfs_.xOpen = &FaultyVfs::Open;
  // The wrapped VFS's other methods expect their own sqlite3_vfs.
  vfs_.xDelete = [](sqlite3_vfs* v, const char* n, int sync) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xDelete(real, n, sync);
  };
  vfs_.xAccess = [](sqlite3_vfs* v, const char* n, int flags, int* out) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xAccess(real, n, flags, out);
  };
  vfs_.xFullPathname = [](sqlite3_vfs* v, const char* n, int size, char* out) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xFullPathname(real, n, size, out);
  };
  vfs_.xRandomness = [](sqlite3_vfs* v, int n, char* out) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xRandomness(real, n, out);
  };
  vfs_.xSleep = [](sqlite3_vfs* v, int us) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xSleep(real, us);
  };
  vfs_.xCurrentTimeInt64 = [](sqlite3_vfs* v, sqlite3_int64* out) {
    auto* real = static_cast<FaultyVfs*>(v->pAppData)->real_;
    return real->xCurrentTimeInt64(real, out);
  };
  vfs_.xSetSystemCall = nullptr;  // not needed by the tests; SQLite checks for NULL
  vfs_.xGetSystemCall = nullptr;
  vfs_.xNextSystemCall = nullptr;
  sqlite3_vfs_register(&vfs_, make_default ? 1 : 0);
}

FaultyVfs::~FaultyVfs() { sqlite3_vfs_unregister(&vfs_); }

}  // namespace outpost::reliability
