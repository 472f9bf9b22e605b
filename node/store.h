// The node's store: one data directory holding one SQLite file
// (outpost.db) with the replicated domain tables, the CRDT change log and
// the node's local (non-replicated) tables, plus the key file.
//
// Durability: officer writes commit with synchronous=FULL, so a record the
// CLI reported as stored survives a crash and a power cut.
// Concurrency: two processes may open the same store; writers take the
// write lock up front (BEGIN IMMEDIATE) and wait up to the busy timeout,
// then fail with kBusy and a clear message; nothing is lost either way.
#ifndef OUTPOST_NODE_STORE_H_
#define OUTPOST_NODE_STORE_H_

#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/sqlite.h"
#include "base/status.h"
#include "schema/catalogue.h"
#include "sync/replica.h"

namespace outpost::node {

enum class Role { kHq, kSite };
std::string_view RoleName(Role r);
Result<Role> ParseRole(std::string_view text);

struct Identity {
  sync::NodeId id{};
  Role role = Role::kSite;
  std::string name;  // e.g. "Gradiška crossing"
  std::string site;  // site code, e.g. "BA-GRA"; "HQ" for the HQ node
  // A training node (`outpost init --training`): may play invented officer
  // work (`simulate --inspect`). Set at creation only; a real node never is.
  bool training = false;
};

class Store {
 public:
  // Local schema version of the store's own tables (PRAGMA user_version).
  static constexpr int kLocalVersion = 1;

  // Creates a new store in `dir` (created if missing). kAlreadyExists if a
  // store is already there; kInvalidArgument for a bad site code.
  static Result<std::unique_ptr<Store>> Create(const std::string& dir, const Identity& identity,
                                               Clock& clock, Random& random);
  // Opens an existing store, migrating an older one. kNotFound (with the hint
  // to run `outpost init`) if there is none; kFailedPrecondition, touching
  // nothing, if a newer version of outpost wrote it.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, Clock& clock, Random& random);

  static std::string DbPath(const std::string& dir) { return dir + "/outpost.db"; }

  Db& db() { return *db_; }
  sync::Replica& replica() { return *replica_; }
  const schema::Catalogue& catalogue() const { return catalogue_; }
  const Identity& identity() const { return identity_; }
  const std::string& dir() const { return dir_; }
  Clock& clock() { return clock_; }

  // The scope a new row of `table` belongs to: "shared" for HQ's tables,
  // else "site:<this node's site code>".
  std::string ScopeFor(const schema::Table& table) const;
  // A fresh UUIDv7 row id.
  Uuid NewId();

 private:
  Store(std::string dir, Clock& clock, Random& random)
      : dir_(std::move(dir)),
        clock_(clock),
        random_(random),
        catalogue_(schema::DomainCatalogue()) {}
  Status Init(bool create, const Identity* identity);

  std::string dir_;
  Clock& clock_;
  Random& random_;
  schema::Catalogue catalogue_;
  Identity identity_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<sync::Replica> replica_;
};

}  // namespace outpost::node

#endif  // OUTPOST_NODE_STORE_H_
