// What this node knows about each peer, in the store's Db (local tables,
// never replicated):
//   sync_peer        (peer, origin, scope) -> highest seq the peer is known
//                    to hold: from its Hello, its acks, its bundles.
//   sync_peer_status peer -> last successful sync, last error, address book.
// Bundles export what a peer lacks by this table; `outpost status` reads it.
//
// Knowledge only moves forward (max per entry), so a stale report can never
// make this node forget what a peer acknowledged. Thread safety: like the
// Db it wraps, one thread at a time.
#ifndef OUTPOST_SYNC_PEER_LEDGER_H_
#define OUTPOST_SYNC_PEER_LEDGER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/sqlite.h"
#include "base/status.h"
#include "sync/replica.h"

namespace outpost::sync {

struct PeerRecord {
  NodeId id{};
  std::string name;                 // address-book name ("" if unnamed)
  std::string address;              // HOST:PORT ("" for bundle-only peers)
  int64_t last_success_micros = 0;  // 0: never
  int64_t last_attempt_micros = 0;
  std::string last_error;  // "" after a success
};

class PeerLedger {
 public:
  // Creates the tables if missing. `db` must outlive the ledger.
  static Result<std::unique_ptr<PeerLedger>> Open(Db& db);

  // What `peer` is known to hold (empty if nothing is known).
  Result<VersionVector> Known(const NodeId& peer) const;
  // Raises the entries of `peer` to at least `seen` (one transaction).
  Status Advance(const NodeId& peer, const VersionVector& seen);

  Status RecordSuccess(const NodeId& peer, int64_t micros);
  Status RecordError(const NodeId& peer, int64_t micros, const std::string& error);

  // The address book: `name` -> HOST:PORT; the node id is learnt at the
  // first session (SetAddressPeer). kAlreadyExists for a name in use with
  // another address.
  Status AddAddress(const std::string& name, const std::string& address);
  // Removes `name` from the address book (its sessions and acknowledgements
  // stay: they belong to the peer, not the name). kNotFound if absent.
  Status RemoveAddress(const std::string& name);
  Status SetAddressPeer(const std::string& name, const NodeId& peer);
  Result<std::vector<std::pair<std::string, std::string>>> Addresses() const;

  // Every peer with any record, with its address-book entry if linked.
  Result<std::vector<PeerRecord>> List() const;

 private:
  explicit PeerLedger(Db& db) : db_(db) {}
  Db& db_;
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_PEER_LEDGER_H_
