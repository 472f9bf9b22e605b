#include "node/store.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "schema/validators.h"

namespace outpost::node {

namespace fs = std::filesystem;

std::string_view RoleName(Role r) { return r == Role::kHq ? "hq" : "site"; }

Result<Role> ParseRole(std::string_view text) {
  if (text == "hq") return Role::kHq;
  if (text == "site") return Role::kSite;
  return Status::InvalidArgument("--role: \"" + std::string(text) +
                                 "\" is not a role (hq or site)");
}

namespace {

std::string UserName(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) {
    return std::string(found->pw_name) + " (uid " + std::to_string(uid) + ")";
  }
  return "uid " + std::to_string(uid);
}

std::string Mode(mode_t m) {
  char b[8];
  std::snprintf(b, sizeof b, "%04o", static_cast<unsigned>(m & 07777));
  return b;
}

// The data directory as the operator must hear about it: who owns it, who
// is asking, and what to do, instead of SQLite's "unable to open database
// file" or a filesystem exception. OK if `dir` does not exist (the caller
// says so), or if this user may read and write it.
Status CheckDataDirAccess(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    if (errno == EACCES) {
      return Status::PermissionDenied("data directory " + dir + " cannot be reached by " +
                                      UserName(::geteuid()) +
                                      ": a directory above it is closed to this user; run "
                                      "outpost as the store's owner, or choose another --data");
    }
    return Status::IoError("data directory " + dir + ": " + std::strerror(errno));
  }
  const uid_t me = ::geteuid();
  const std::string who = UserName(me);
  const std::string owner = UserName(st.st_uid);
  const std::string db = dir + "/outpost.db";
  if (::access(dir.c_str(), R_OK | X_OK) != 0 ||
      (::access(db.c_str(), F_OK) != 0 && errno == EACCES)) {
    return Status::PermissionDenied(
        "data directory " + dir + " is owned by " + owner + ", mode " + Mode(st.st_mode) +
        ", and this is " + who + ", who may not open it: run outpost as its owner (e.g. `sudo -u " +
        owner.substr(0, owner.find(' ')) + " outpost --data " + dir + " ...`)");
  }
  struct statvfs vfs {};
  bool read_only_fs = ::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
  if (read_only_fs) {
    return Status::IoError("data directory " + dir +
                           " is on a read-only file system: outpost writes to its store even "
                           "to read it (the write-ahead log); remount it read-write, or copy "
                           "the directory to a writable disk");
  }
  bool dir_writable = ::access(dir.c_str(), W_OK) == 0;
  bool db_writable = ::access(db.c_str(), F_OK) != 0 || ::access(db.c_str(), W_OK) == 0;
  if (!dir_writable || !db_writable) {
    return Status::PermissionDenied(
        (dir_writable ? "the store " + db + " is read-only"
                      : "data directory " + dir + " is read-only (mode " + Mode(st.st_mode) + ")") +
        " for " + who + "; owner " + owner +
        ": outpost writes to its store even to read it (the write-ahead log); run outpost as "
        "the owner, or give the owner write access (chmod u+w)");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Create(const std::string& dir, const Identity& identity,
                                             Clock& clock, Random& random) {
  if (identity.role == Role::kSite) {
    OUTPOST_RETURN_IF_ERROR(schema::ValidateSiteCode("--site", identity.site));
  }
  if (identity.name.empty() || identity.name.size() > 100) {
    return Status::InvalidArgument("--name: must be 1 to 100 bytes");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create data directory " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  OUTPOST_RETURN_IF_ERROR(CheckDataDirAccess(dir));
  if (fs::exists(DbPath(dir))) {
    return Status::AlreadyExists("a store already exists in " + dir +
                                 " (node data is never overwritten)");
  }
  std::unique_ptr<Store> s(new Store(dir, clock, random));
  OUTPOST_RETURN_IF_ERROR(s->Init(true, &identity));
  return s;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, Clock& clock, Random& random) {
  OUTPOST_RETURN_IF_ERROR(CheckDataDirAccess(dir));
  if (!fs::exists(DbPath(dir))) {
    return Status::NotFound("no Outpost store in " + dir +
                            ": run `outpost init` first, or pass --data DIR");
  }
  std::unique_ptr<Store> s(new Store(dir, clock, random));
  OUTPOST_RETURN_IF_ERROR(s->Init(false, nullptr));
  return s;
}

Status Store::Init(bool create, const Identity* identity) {
  DbOptions opts;
  opts.create = create;
  OUTPOST_ASSIGN_OR_RETURN(db_, Db::Open(DbPath(dir_), opts));
  ::chmod(DbPath(dir_).c_str(), 0600);
  // Refuse a store from a newer outpost before changing anything.
  OUTPOST_ASSIGN_OR_RETURN(int64_t local_version, db_->QueryInt("PRAGMA user_version"));
  if (local_version > kLocalVersion) {
    return Status::FailedPrecondition(
        "the store in " + dir_ + " was written by a newer outpost (local schema " +
        std::to_string(local_version) + ", this one knows " + std::to_string(kLocalVersion) +
        "); upgrade outpost to open it (nothing was changed)");
  }
  if (create) {
    OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
    OUTPOST_RETURN_IF_ERROR(
        db_->Exec("CREATE TABLE node_identity(key TEXT PRIMARY KEY, value) WITHOUT ROWID"));
    OUTPOST_ASSIGN_OR_RETURN(auto st, db_->Prepare("INSERT INTO node_identity VALUES(?, ?)"));
    auto put = [&](std::string_view k, auto v) -> Status {
      st->Reset();
      st->Bind(1, k);
      if constexpr (std::is_same_v<decltype(v), Uuid>) {
        st->BindBlob(2, v);
      } else {
        st->Bind(2, std::string_view(v));
      }
      return st->Run();
    };
    OUTPOST_RETURN_IF_ERROR(put("id", identity->id));
    OUTPOST_RETURN_IF_ERROR(put("role", std::string(RoleName(identity->role))));
    OUTPOST_RETURN_IF_ERROR(put("name", identity->name));
    OUTPOST_RETURN_IF_ERROR(
        put("site", identity->role == Role::kHq ? std::string("HQ") : identity->site));
    if (identity->training) OUTPOST_RETURN_IF_ERROR(put("training", std::string("1")));
    OUTPOST_RETURN_IF_ERROR(txn->Commit());
  }
  // Local migrations: version 0 -> 1 is the creation above.
  if (local_version < kLocalVersion) {
    OUTPOST_RETURN_IF_ERROR(db_->Exec("PRAGMA user_version = " + std::to_string(kLocalVersion)));
  }
  {
    OUTPOST_ASSIGN_OR_RETURN(auto st, db_->Prepare("SELECT key, value FROM node_identity"));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      std::string_view k = st->Text(0);
      if (k == "id") {
        auto b = st->Blob(1);
        if (b.size() != 16) return Status::Corruption("node_identity.id is not 16 bytes");
        std::copy(b.begin(), b.end(), identity_.id.begin());
      } else if (k == "role") {
        OUTPOST_ASSIGN_OR_RETURN(identity_.role, ParseRole(st->Text(1)));
      } else if (k == "name") {
        identity_.name = std::string(st->Text(1));
      } else if (k == "site") {
        identity_.site = std::string(st->Text(1));
      } else if (k == "training") {
        identity_.training = st->Text(1) == "1";
      }
    }
  }
  OUTPOST_ASSIGN_OR_RETURN(replica_, sync::Replica::Open(*db_, catalogue_, identity_.id, clock_));
  // Local indexes for the record API's lookups (not replicated state);
  // created once, when missing, so that opening a store to read takes no
  // write lock.
  std::vector<std::pair<std::string, std::string>> wanted;  // name, definition
  for (const auto& t : catalogue_.tables()) {
    for (const auto& c : t.columns) {
      if (c.type == schema::ColumnType::kId && !c.references.empty()) {
        wanted.emplace_back("idx_" + t.name + "_" + c.name,
                            "\"" + t.name + "\"(\"" + c.name + "\")");
      }
    }
  }
  wanted.emplace_back("idx_movement_time", "movement(time)");
  wanted.emplace_back("idx_vehicle_plate", "vehicle(plate)");
  wanted.emplace_back("idx_audit_entry_node_seq", "audit_entry(node, seq)");
  std::vector<std::string> missing;
  for (const auto& [name, def] : wanted) {
    OUTPOST_ASSIGN_OR_RETURN(
        int64_t n,
        db_->QueryInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '" +
                      name + "'"));
    if (n == 0) missing.push_back("CREATE INDEX IF NOT EXISTS \"" + name + "\" ON " + def);
  }
  if (missing.empty()) return Status::Ok();
  OUTPOST_ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_));
  for (const auto& sql : missing) OUTPOST_RETURN_IF_ERROR(db_->Exec(sql));
  return txn->Commit();
}

std::string Store::ScopeFor(const schema::Table& table) const {
  if (table.scope == schema::ScopeRule::kShared) return "shared";
  return "site:" + identity_.site;
}

Uuid Store::NewId() { return NewUuidV7(clock_, random_); }

}  // namespace outpost::node
