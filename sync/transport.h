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
// out), a frame size limit (in the Session) and an optional byte-rate cap;
// the server refuses connections past its limit. A connection that breaks a
// rule is closed with a logged reason; the others carry on.
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
};

// Makes the responder session for a new connection (called on the server
// thread). An error closes that connection with the error logged.
using SessionFactory = std::function<Result<HostedSession>()>;
// Receives one line per notable event (connections, refusals, reasons).
using LogSink = std::function<void(const std::string& line)>;

// Splits "HOST:PORT" ("[v6]:PORT" too). kInvalidArgument naming the rule.
Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text);

struct ServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_limit{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> active{0};
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
