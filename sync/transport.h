// Sync sessions over TCP (standalone Asio).
//
// A Server listens on HOST:PORT and runs one Session per accepted
// connection; RunClient connects and runs one session to completion. Each
// connection owns its socket, its timers and its Session; everything of a
// Server runs on the Server's one io_context thread, so a connection's
// Session (and the store behind it) is touched by that thread only.
// Destroying a Server cancels every socket and timer and joins the thread.
//
// Hostile peers: every connection has a handshake deadline, an idle timeout
// (reset only when a whole frame arrives, so a slow-loris trickle times
// out), a frame size limit (in the Session) and an optional byte-rate cap.
// A connection is *unproven* until a transport frame from the peer has
// decrypted (Session::peer_proven): only that shows the peer holds the keys
// its handshake named, since an IK first message can be replayed. The
// handshake deadline runs until then. Admission (Server, on each accept):
//   1. an address holds at most `max_per_address` connections: past that,
//      its own oldest unproven connection is closed to make room, or the
//      newcomer is refused if all of that address's connections are proven;
//   2. at most `max_handshaking` connections are unproven and at most
//      `max_connections` live: past either, the oldest unproven connection
//      of the address holding the most unproven ones is closed to make room;
//      the newcomer is refused only if every live connection is proven.
// So idle or preamble-only connections cannot hold slots an enrolled node
// needs: a flood from a few addresses only displaces its own connections,
// and a proven session is never displaced. A connection that breaks a rule
// is closed with a logged reason; the others carry on. Log lines about
// unproven connections are rate-limited (kLogBurst a window, then one line
// saying how many were held back), so a flood cannot fill the disk.
//
// Errors: asio::error_code is translated here, once: connection refused,
// reset, timed out, unreachable -> kUnavailable; resolve failures ->
// kInvalidArgument; bind/listen failures -> kIoError.
#ifndef OUTPOST_SYNC_TRANSPORT_H_
#define OUTPOST_SYNC_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "sync/session.h"

namespace outpost::sync {

struct TransportLimits {
  size_t max_connections = 64;
  // Connections from one remote address (IP, any port).
  size_t max_per_address = 8;
  // Unproven connections (still in the handshake); at most max_connections.
  size_t max_handshaking = 32;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // Both directions together, per connection; 0: unlimited (--max-rate KBPS).
  uint64_t max_rate_bytes_per_sec = 0;
  // How often a live session asks the policy again (revocation).
  std::chrono::milliseconds reauthorize_every{30'000};
};

// Whatever a connection's Session needs kept alive (an opened store, a
// policy...). Destroyed after the Session.
class SessionResources {
 public:
  virtual ~SessionResources() = default;
};

struct HostedSession {
  std::unique_ptr<SessionResources> resources;  // may be null
  std::unique_ptr<Session> session;
  // Called once on the server thread when the connection ends, with how it
  // ended (OK: the session completed); may be empty.
  std::function<void(const Status&, const Session&)> on_finish;
  // Names the peer once it has proven its keys (e.g. its crossing's name),
  // for the connection's log lines, which otherwise carry only IP:port;
  // may be empty. Called on the server thread.
  std::function<std::string(const Session&)> describe_peer;
};

// Makes the responder session for a new connection from `remote_address`
// (the peer's IP, no port), called on the server thread. An error closes
// that connection with the error logged.
using SessionFactory = std::function<Result<HostedSession>(const std::string& remote_address)>;
// Receives one line per notable event (connections, refusals, reasons).
using LogSink = std::function<void(const std::string& line)>;

// Splits "HOST:PORT" ("[v6]:PORT" too). kInvalidArgument naming the rule.
Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text);

struct ServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_limit{0};  // refused: every slot held by proven sessions
  std::atomic<uint64_t> evicted{0};        // unproven, closed to make room for a newcomer
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> log_lines_held_back{0};  // rate-limited log lines not written
};

class Server {
 public:
  // Binds HOST:PORT (port 0 picks a free port) and starts the thread.
  static Result<std::unique_ptr<Server>> Start(const std::string& listen, SessionFactory factory,
                                               TransportLimits limits, LogSink log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  const ServerCounters& counters() const;
  // Runs `fn` on the server thread and waits for it (tests reach the
  // stores the sessions use without racing them).
  void RunOnLoop(const std::function<void()>& fn);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Connects to HOST:PORT and runs `session` (an initiator) to completion on
// the calling thread. Returns the session's stats, or why it did not finish:
// kUnavailable (cannot connect, connection lost, timeout) or the session's
// own failure.
Result<SessionStats> RunClient(const std::string& peer, Session& session, TransportLimits limits,
                               const LogSink& log);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_TRANSPORT_H_
