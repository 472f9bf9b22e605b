// SyncService: a node's sync, wired together — its store, its TrustPolicy,
// its peer ledger, sessions over TCP (sync/transport.h) and bundles
// (sync/bundle.h). The operations behind `outpost serve`, `sync`, `run`,
// `peers`, `bundle` and the peer part of `status`. Protocol: docs/protocol.md.
//
// Connections: the service holds two handles on the store. The client handle
// is used by the calling thread (SyncWith, bundles, status, the daemon
// loop); the server handle only by the Server's one io_context thread, which
// runs every accepted session. SQLite (WAL, BEGIN IMMEDIATE, busy timeout)
// serialises their writes with each other and with officers' commands in
// other processes; the HLC is restored from the store before every write.
//
// Invariants:
//  1. Every session and bundle is authorised by the TrustPolicy (enrolled,
//     unrevoked certificate; scopes by certificate); nothing here decides
//     trust itself.
//  2. Every transfer, in or out, completed or not, is logged in the local
//     table `sync_log` (who, when, which direction, what moved, the error):
//     the transfer log of docs/audit.md. It is local on purpose: a
//     replicated entry per session would itself be a change to send, so two
//     nodes would never be in sync. An accepted connection whose peer never
//     proved its keys (sync::Session::peer_proven) is not a transfer: it is
//     counted per remote address in `sync_refused` instead (at most
//     kRefusedKeep addresses, written at most once a second), so a flood of
//     garbage connections can neither evict the transfer log nor make a
//     disk write per connection.
//  3. The ledger learns what a peer holds only from the peer (its Hello, its
//     acks, its bundles), so `pending_out` can only over-estimate.
//
// Thread safety: SyncWith, bundles, PeerStatuses and RunDaemon from one
// thread at a time; the server runs on its own thread.
#ifndef OUTPOST_NODE_SYNC_SERVICE_H_
#define OUTPOST_NODE_SYNC_SERVICE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/status.h"
#include "crypto/keystore.h"
#include "node/store.h"
#include "node/trust.h"
#include "sync/bundle.h"
#include "sync/peer_ledger.h"
#include "sync/session.h"
#include "sync/transport.h"

namespace outpost::node {

struct SyncServiceOptions {
  sync::TransportLimits limits;
  sync::SessionOptions session;
  TrustOptions trust;
  sync::LogSink log;  // one line per event; may be empty
  // Largest bundle file imported or exported. An import is refused from the
  // file's size, before a byte is read or decrypted: the whole file, its
  // plaintext and the decoded batches are in memory at once (~3x this).
  uint64_t max_bundle_bytes = uint64_t{256} << 20;
};

// One transfer, as logged in sync_log.
struct TransferRecord {
  int64_t id = 0;
  std::string direction;  // "out" (we connected), "in" (accepted), "bundle-export", "bundle-import"
  std::optional<sync::NodeId> peer;
  std::string address;
  int64_t started = 0, finished = 0;  // micros
  bool ok = false;
  std::string error;
  uint64_t batches_sent = 0, batches_received = 0;
  uint64_t bytes_out = 0, bytes_in = 0;
  uint64_t column_changes = 0;  // received and applied
  uint64_t refused = 0;         // received batches refused (trust, scope, clock)
  std::string last_refusal;     // the reason of the last one
  // A key rotation in this session ("" if none): "installed certificate
  // epoch N (...)" at the site, or why not; not kept in sync_log.
  std::string rotation;
  bool rotated = false;  // this node now uses its new keys
};

// Connections from one remote address refused before the peer proved its
// keys (garbage, unknown or revoked keys, replayed handshakes, timeouts).
struct RefusedConnection {
  std::string address;                    // the remote IP
  int64_t first_seen = 0, last_seen = 0;  // micros
  uint64_t count = 0;
  std::string last_error;
};

// What this node knows of one peer, for `outpost status`.
struct PeerStatus {
  sync::NodeId id{};
  std::string name;     // address-book name or the registry's name
  std::string address;  // HOST:PORT, "" if bundle-only
  int64_t last_success = 0, last_attempt = 0;
  std::string last_error;
  // With a last_error: when the failures began (the first failed transfer
  // after the last success; 0 if not known). 0 when the last one succeeded.
  int64_t failing_since = 0;
  bool never_connected = false;  // HQ: an enrolled node no session reached yet
  int64_t revoked_at = 0;        // micros; 0: not revoked
  // Batches this node holds that the peer may read and is not known to hold;
  // -1: unknown (a peer never reached, whose identity is not known yet).
  int64_t pending_out = 0;
  // Batches the peer held at the last contact that this node lacks (in the
  // scopes this node reads).
  int64_t pending_in = 0;
};

// Every peer this node has a record of, with its lag; reads only, needs no
// keys (scopes come from the certificates in the registry).
Result<std::vector<PeerStatus>> ListPeerStatuses(Store& store);

// The newest `limit` transfers of sync_log, newest first; reads only, needs
// no keys (for `outpost transfers`).
Result<std::vector<TransferRecord>> ListTransfers(Store& store, int64_t limit);
// The transfers with `peer` whose log id is below `before_id` (0: from the
// newest), newest first, at most `limit`; reads only (HQ's network page).
Result<std::vector<TransferRecord>> ListPeerTransfers(Store& store, const sync::NodeId& peer,
                                                      int64_t before_id, int64_t limit);
// sync_refused as stored, the most recently seen first; reads only, needs no
// keys (for `outpost transfers --refused`). A running daemon's counts not
// yet written (at most a second's) are in SyncService::RefusedConnections.
Result<std::vector<RefusedConnection>> ListRefusedConnections(Store& store);

// Where the daemon syncs to: an address-book entry, or HQ's address from the
// certificate.
struct SyncTarget {
  std::string name;
  std::string address;
};

struct DaemonOptions {
  std::string listen;                             // "" : do not serve
  std::chrono::milliseconds interval{60'000};     // a sync with every peer at least this often
  std::chrono::milliseconds poll{1'000};          // how often local changes are looked for
  std::chrono::milliseconds backoff_base{1'000};  // after a failure: base * 2^n, jittered
  std::chrono::milliseconds backoff_cap{300'000};
};

struct DaemonStats {
  uint64_t sessions = 0, failures = 0;
};

class SyncService {
 public:
  // Opens the store in `dir` twice (client and server handles) and builds
  // the node's policy from `keys`. kFailedPrecondition when the node has no
  // installed certificate yet (run `outpost keys install`).
  static Result<std::unique_ptr<SyncService>> Open(const std::string& dir,
                                                   const crypto::NodeSecrets& keys, Clock& clock,
                                                   Random& random, SyncServiceOptions options = {});
  ~SyncService();
  SyncService(const SyncService&) = delete;
  SyncService& operator=(const SyncService&) = delete;

  // The unlocked keys of a pending `keys rotate` (UnlockNodeKeys' `next`):
  // with them, the next session with HQ presents the rotation statement,
  // installs the certificate HQ returns, and switches this service to the
  // new keys (the server, if serving, restarts on the same port with them).
  // kInvalidArgument if they are not the pending rotation's keys.
  Status SetNextKeys(const crypto::NodeSecrets& next);

  // Starts accepting peers on HOST:PORT (port 0: any free port). Serve and
  // RunDaemon first take the data directory's daemon lock (DIR/outpost.lock,
  // held until this service goes): kFailedPrecondition naming the process
  // that holds it if another daemon runs on the same directory.
  Status Serve(const std::string& listen);
  uint16_t port() const;
  void StopServing();
  const sync::ServerCounters* server_counters() const;

  // One session with `peer` (an address-book name or HOST:PORT) as the
  // initiator, both directions, on the calling thread, until both sides are
  // in sync. Noise IK when the peer's key is known (HQ's address, or a
  // name already linked to a node), else XX. Logged in sync_log.
  Result<TransferRecord> SyncWith(const std::string& peer);

  // The daemon: serves (if options.listen) and syncs with every target every
  // `interval`, sooner when local changes are waiting for a peer, backing off
  // exponentially with jitter after failures. Returns when `stop` is set.
  Result<DaemonStats> RunDaemon(const DaemonOptions& options, const std::atomic<bool>& stop);

  // Address book (local). kInvalidArgument for a bad name or address.
  Status AddPeer(const std::string& name, const std::string& address);
  Result<std::vector<SyncTarget>> Targets();

  // Bundles for `to` (a node id or registry name).
  Result<sync::BundleInfo> ExportBundle(const std::string& to, const std::string& out_path);
  Result<sync::BundleInfo> ImportBundle(const std::string& path);

  Result<std::vector<PeerStatus>> PeerStatuses();
  Result<std::vector<TransferRecord>> Transfers(int64_t limit);
  // sync_refused plus what is counted and not yet written, the most
  // recently seen first.
  Result<std::vector<RefusedConnection>> RefusedConnections();

  Store& store() { return *client_.store; }
  TrustPolicy& policy() { return *client_.policy; }

 private:
  struct Handle {
    std::unique_ptr<Store> store;
    std::unique_ptr<TrustPolicy> policy;
    std::unique_ptr<sync::PeerLedger> ledger;
  };
  SyncService(Clock& clock, Random& random, SyncServiceOptions options)
      : clock_(clock), random_(random), options_(std::move(options)) {}

  static Result<Handle> OpenHandle(const std::string& dir, const crypto::NodeSecrets& keys,
                                   Clock& clock, Random& random, const TrustOptions& trust);
  Result<std::optional<crypto::PublicKeyBytes>> PinFor(const std::string& address,
                                                       const std::string& name);
  static Status LogTransfer(Store& store, TransferRecord& t);
  // Counts an unproven connection (server thread); writes the counts to
  // `store` if the last write is a second old.
  void NoteRefused(Store& store, const std::string& address, const std::string& error);
  Status FlushRefused(Store& store);  // with refused_mu_ held
  // What a bundle export or import needs: the client handle and this node's keys.
  sync::BundleEnv ClientBundleEnv();
  // After the client policy completed a rotation: the server handle and the
  // Noise static key move to the new keys.
  Status SwitchToRotatedKeys();
  Status LockDataDir();
  // Seals this node's pending writes into batches signed by its key
  // (sync::Replica::Seal).
  Status SealOwn();

  Clock& clock_;
  Random& random_;
  SyncServiceOptions options_;
  std::optional<crypto::KxKeyPair> kx_;  // set by Open
  Handle client_;
  Handle server_;  // touched only by server_'s thread once Serve ran
  std::unique_ptr<sync::Server> server_loop_;
  std::string listen_;  // as given to Serve
  std::unique_ptr<FileLock> daemon_lock_;
  std::mutex refused_mu_;                                     // guards the two below
  std::map<std::string, RefusedConnection> refused_pending_;  // not yet in sync_refused
  int64_t refused_flushed_ = 0;                               // micros
};

}  // namespace outpost::node

#endif  // OUTPOST_NODE_SYNC_SERVICE_H_
