#include "sync/transport.h"

#include <array>
#include <asio.hpp>
#include <future>
#include <map>
#include <thread>

namespace outpost::sync {
namespace {

using Clock_ = std::chrono::steady_clock;
constexpr size_t kReadBuffer = 16 * 1024;
// Log lines about unproven connections: at most this many a window.
constexpr size_t kLogBurst = 20;
constexpr std::chrono::seconds kLogWindow{10};

// Rate-limits the lines a flood of unproven connections would write (one a
// failed connect, 16.8 MB in a 40 s flood without this). Loop thread only.
class LogLimiter {
 public:
  LogLimiter(LogSink sink, std::atomic<uint64_t>* held_back)
      : sink_(std::move(sink)), held_back_(held_back) {}

  void Always(const std::string& line) {
    if (sink_) sink_(line);
  }
  // Writes `line` unless kLogBurst lines were written in this window; the
  // first line of a later window is preceded by how many were held back.
  void Limited(const std::string& line) {
    if (!sink_) return;
    auto now = Clock_::now();
    if (now - window_start_ >= kLogWindow) {
      Flush();
      window_start_ = now;
      written_ = 0;
    }
    if (written_ >= kLogBurst) {
      ++suppressed_;
      ++*held_back_;
      return;
    }
    ++written_;
    sink_(line);
  }
  void Flush() {
    if (suppressed_ == 0 || !sink_) return;
    sink_(std::to_string(suppressed_) +
          " more lines about unauthenticated connections held back (at most " +
          std::to_string(kLogBurst) + " every " + std::to_string(kLogWindow.count()) + " s)");
    suppressed_ = 0;
  }

 private:
  LogSink sink_;
  std::atomic<uint64_t>* held_back_;
  Clock_::time_point window_start_{};
  size_t written_ = 0;
  uint64_t suppressed_ = 0;
};

Status FromAsio(const asio::error_code& ec, const std::string& what) {
  return Status::Unavailable(what + ": " + ec.message());
}

// One TCP connection running one Session. Owned by shared_ptr; every
// handler holds a reference, so the connection lives until its last
// handler ran; Close() cancels them all.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using DoneFn = std::function<void(const Status&, const SessionStats&)>;

  // Runs `hosted.session`, or `borrowed` (not owned) when that is null.
  // With a `limiter` (the server's), the closing line of an unproven
  // connection goes through it; else every line goes to `log`.
  Connection(asio::io_context& io, asio::ip::tcp::socket socket, HostedSession hosted,
             Session* borrowed, TransportLimits limits, LogSink log, std::string name, DoneFn done,
             LogLimiter* limiter = nullptr)
      : socket_(std::move(socket)),
        handshake_timer_(io),
        idle_timer_(io),
        reauth_timer_(io),
        read_wait_(io),
        write_wait_(io),
        hosted_(std::move(hosted)),
        session_(hosted_.session ? hosted_.session.get() : borrowed),
        limits_(limits),
        log_(std::move(log)),
        name_(std::move(name)),
        done_(std::move(done)),
        limiter_(limiter) {}

  void Start() {
    auto self = shared_from_this();
    handshake_timer_.expires_after(limits_.handshake_timeout);
    // Runs until the peer proved its keys (its first transport frame
    // decrypted), not merely until the handshake messages were exchanged: a
    // replayed IK first message completes the responder's handshake but
    // never produces that frame.
    handshake_timer_.async_wait([self](const asio::error_code& ec) {
      if (ec) return;
      if (!self->session().peer_proven() && !self->session().complete()) {
        self->Finish(Status::Unavailable("handshake not finished within the handshake timeout (" +
                                         std::to_string(self->limits_.handshake_timeout.count()) +
                                         " ms): the peer never proved its keys"));
      }
    });
    ArmIdle();
    ArmReauth();
    Status s = session().Start();
    if (!s.ok()) return Finish(s);
    Flush();
    Read();
  }

  // Closes at once (server shutdown, or room made for a newcomer).
  void Abort(const std::string& why = "shutting down") { Finish(Status::Unavailable(why)); }

  // Not yet proven (docs: transport.h) and still open.
  bool Unproven() { return !closed_ && !session().peer_proven() && !session().complete(); }

 private:
  Session& session() { return *session_; }

  void ArmIdle() {
    auto self = shared_from_this();
    idle_timer_.expires_after(limits_.idle_timeout);
    idle_timer_.async_wait([self](const asio::error_code& ec) {
      if (ec) return;
      self->Finish(Status::Unavailable("idle timeout: no whole frame within " +
                                       std::to_string(self->limits_.idle_timeout.count()) + " ms"));
    });
  }

  void ArmReauth() {
    auto self = shared_from_this();
    reauth_timer_.expires_after(limits_.reauthorize_every);
    reauth_timer_.async_wait([self](const asio::error_code& ec) {
      if (ec || self->closed_) return;
      if (!self->session().Reauthorize().ok()) {
        self->Flush();
        self->closing_ = true;
        self->MaybeShutdown();
        return;
      }
      self->ArmReauth();
    });
  }

  // Rate cap: each transfer of n bytes moves the earliest time of the next
  // one forward by n / rate.
  Clock_::duration Charge(size_t n) {
    if (limits_.max_rate_bytes_per_sec == 0) return Clock_::duration::zero();
    auto now = Clock_::now();
    if (next_allowed_ < now) next_allowed_ = now;
    next_allowed_ += std::chrono::duration_cast<Clock_::duration>(std::chrono::duration<double>(
        static_cast<double>(n) / static_cast<double>(limits_.max_rate_bytes_per_sec)));
    return next_allowed_ > now ? next_allowed_ - now : Clock_::duration::zero();
  }

  size_t MaxPiece() const {
    if (limits_.max_rate_bytes_per_sec == 0) return SIZE_MAX;
    return std::max<size_t>(512, limits_.max_rate_bytes_per_sec / 8);
  }

  void Read() {
    if (closed_ || closing_) return;
    auto self = shared_from_this();
    size_t n = std::min(kReadBuffer, MaxPiece());
    socket_.async_read_some(
        asio::buffer(buf_.data(), n),
        [self](const asio::error_code& ec, size_t got) { self->OnRead(ec, got); });
  }

  void OnRead(const asio::error_code& ec, size_t got) {
    if (closed_) return;
    if (ec) {
      if (session().complete()) return Finish(Status::Ok());
      return Finish(ec == asio::error::eof
                        ? Status::Unavailable("connection closed by the peer before the end")
                        : FromAsio(ec, "read"));
    }
    uint64_t frames = session().stats().frames_in;
    Status s = session().Receive(std::span<const uint8_t>(buf_.data(), got));
    if (session().stats().frames_in != frames) ArmIdle();
    if (session().peer_proven() || session().complete()) handshake_timer_.cancel();
    Flush();
    if (!s.ok() || session().complete()) {
      closing_ = true;
      return MaybeShutdown();
    }
    auto wait = Charge(got);
    if (wait == Clock_::duration::zero()) return Read();
    auto self = shared_from_this();
    read_wait_.expires_after(wait);
    read_wait_.async_wait([self](const asio::error_code& e) {
      if (!e) self->Read();
    });
  }

  void Flush() {
    if (session().HasOutput()) {
      Bytes more = session().TakeOutput();
      pending_.insert(pending_.end(), more.begin(), more.end());
    }
    if (writing_ || closed_ || pending_.empty()) return;
    writing_ = true;
    size_t n = std::min(pending_.size(), MaxPiece());
    inflight_.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    auto self = shared_from_this();
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self](const asio::error_code& ec, size_t sent) { self->OnWritten(ec, sent); });
  }

  void OnWritten(const asio::error_code& ec, size_t sent) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      if (session().complete()) return Finish(Status::Ok());
      return Finish(FromAsio(ec, "write"));
    }
    auto wait = Charge(sent);
    if (wait != Clock_::duration::zero() && !pending_.empty()) {
      writing_ = true;  // hold the writer until the budget allows
      auto self = shared_from_this();
      write_wait_.expires_after(wait);
      write_wait_.async_wait([self](const asio::error_code& e) {
        self->writing_ = false;
        if (!e) self->Flush();
      });
      return;
    }
    Flush();
    MaybeShutdown();
  }

  // Once closing and everything is written: end the connection.
  void MaybeShutdown() {
    if (!closing_ || writing_ || !pending_.empty() || closed_) return;
    Status s = session().complete() ? Status::Ok()
               : session().failed() ? session().failure()
                                    : Status::Unavailable("closed");
    Finish(s);
  }

  void Finish(Status s) {
    if (closed_) return;
    closed_ = true;
    asio::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    handshake_timer_.cancel();
    idle_timer_.cancel();
    reauth_timer_.cancel();
    read_wait_.cancel();
    write_wait_.cancel();
    if (!s.ok() && session().failed() && s.code() == Code::kUnavailable &&
        s.message() == "closed") {
      s = session().failure();
    }
    std::string who = name_;
    if (session().peer_proven() && hosted_.describe_peer) {
      who = hosted_.describe_peer(session()) + " (" + name_ + ")";
    }
    std::string line =
        who + ": " + (s.ok() ? std::string("session complete") : "closed: " + s.ToString());
    if (limiter_) {
      if (session().peer_proven() || s.ok()) {
        limiter_->Always(line);
      } else {
        limiter_->Limited(line);
      }
    } else if (log_) {
      log_(line);
    }
    if (hosted_.on_finish) hosted_.on_finish(s, session());
    hosted_.on_finish = nullptr;
    if (done_) done_(s, session().stats());
    done_ = nullptr;
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_, idle_timer_, reauth_timer_, read_wait_, write_wait_;
  HostedSession hosted_;
  Session* session_;
  TransportLimits limits_;
  LogSink log_;
  std::string name_;
  DoneFn done_;
  LogLimiter* limiter_;
  std::array<uint8_t, kReadBuffer> buf_{};
  Bytes pending_, inflight_;
  bool writing_ = false, closing_ = false, closed_ = false;
  Clock_::time_point next_allowed_{};
};

Result<asio::ip::tcp::endpoint> Resolve(asio::io_context& io, const std::string& host_port) {
  OUTPOST_ASSIGN_OR_RETURN(auto hp, ParseHostPort(host_port));
  asio::ip::tcp::resolver resolver(io);
  asio::error_code ec;
  auto results = resolver.resolve(hp.first, std::to_string(hp.second), ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument("cannot resolve \"" + hp.first + "\": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

Result<std::pair<std::string, uint16_t>> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("address \"" + text + "\" must be HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string port = text.substr(colon + 1);
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535) {
      return Status::InvalidArgument("address \"" + text + "\": port must be 0..65535");
    }
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return Status::InvalidArgument("address \"" + text + "\": port must be 0..65535");
  return std::make_pair(host, static_cast<uint16_t>(p));
}

struct Server::Impl {
  struct Live {
    std::weak_ptr<Connection> conn;
    std::string address;
  };
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  SessionFactory factory;
  TransportLimits limits;
  LogSink log;
  ServerCounters counters;
  std::unique_ptr<LogLimiter> limiter;
  std::map<uint64_t, Live> live;  // by id: the oldest first
  uint64_t next_id = 0;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) OnAccept(std::move(socket));
      Accept();
    });
  }

  // The oldest unproven connection from `address` ("" : of the address
  // holding the most unproven connections); null if there is none.
  std::shared_ptr<Connection> Victim(const std::string& address) {
    std::map<std::string, size_t> unproven;
    for (auto& [id, l] : live) {
      auto c = l.conn.lock();
      if (c && c->Unproven()) ++unproven[l.address];
    }
    std::string from = address;
    if (from.empty()) {
      size_t most = 0;
      for (const auto& [a, n] : unproven) {
        if (n > most) {
          most = n;
          from = a;
        }
      }
    }
    if (unproven.count(from) == 0) return nullptr;
    for (auto& [id, l] : live) {
      auto c = l.conn.lock();
      if (c && l.address == from && c->Unproven()) return c;
    }
    return nullptr;
  }

  size_t CountUnproven() {
    size_t n = 0;
    for (auto& [id, l] : live) {
      auto c = l.conn.lock();
      if (c && c->Unproven()) ++n;
    }
    return n;
  }

  // Admission (transport.h): makes room for a connection from `address`, or
  // says why not.
  Status MakeRoom(const std::string& address) {
    size_t from_address = 0;
    for (const auto& [id, l] : live) from_address += l.address == address;
    if (from_address >= limits.max_per_address) {
      auto victim = Victim(address);
      if (!victim) {
        return Status::Unavailable("per-address limit: " + std::to_string(limits.max_per_address) +
                                   " authenticated connections from " + address);
      }
      ++counters.evicted;
      victim->Abort("closed to make room: per-address limit " +
                    std::to_string(limits.max_per_address) + " reached while still unproven");
    }
    size_t budget = std::max<size_t>(1, std::min(limits.max_handshaking, limits.max_connections));
    bool full = live.size() >= limits.max_connections;
    if (full || CountUnproven() >= budget) {
      auto victim = Victim("");
      if (!victim) {
        return Status::Unavailable("connection limit " + std::to_string(limits.max_connections) +
                                   ": every connection is an authenticated session");
      }
      ++counters.evicted;
      victim->Abort(full ? "closed to make room: connection limit " +
                               std::to_string(limits.max_connections) +
                               " reached while still unproven"
                         : "closed to make room: " + std::to_string(budget) +
                               " connections still in the handshake");
    }
    return Status::Ok();
  }

  void OnAccept(asio::ip::tcp::socket socket) {
    asio::error_code ignored;
    auto remote = socket.remote_endpoint(ignored);
    std::string address = remote.address().to_string();
    std::string name = address + ":" + std::to_string(remote.port());
    Status room = MakeRoom(address);
    if (!room.ok()) {
      ++counters.refused_limit;
      limiter->Limited(name + ": refused: " + room.message());
      socket.close(ignored);
      return;
    }
    auto hosted = factory(address);
    if (!hosted.ok()) {
      limiter->Limited(name + ": refused: " + hosted.status().ToString());
      socket.close(ignored);
      return;
    }
    ++counters.accepted;
    ++counters.active;
    uint64_t id = ++next_id;
    auto conn = std::make_shared<Connection>(
        io, std::move(socket), std::move(*hosted), nullptr, limits, log, name,
        [this, id](const Status& s, const SessionStats&) {
          live.erase(id);
          --counters.active;
          if (s.ok()) {
            ++counters.completed;
          } else {
            ++counters.failed;
          }
        },
        limiter.get());
    live[id] = Live{conn, address};
    conn->Start();
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Server>> Server::Start(const std::string& listen, SessionFactory factory,
                                              TransportLimits limits, LogSink log) {
  auto impl = std::make_unique<Impl>();
  impl->factory = std::move(factory);
  impl->limits = limits;
  impl->log = std::move(log);
  impl->limiter = std::make_unique<LogLimiter>(impl->log, &impl->counters.log_lines_held_back);
  auto ep = Resolve(impl->io, listen);
  if (!ep.ok()) return ep.status();
  asio::error_code ec;
  impl->acceptor.open(ep->protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listen on " + listen + ": " + ec.message());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw]() { raw->io.run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::~Server() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl]() {
    asio::error_code ignored;
    impl->acceptor.close(ignored);
    auto live = impl->live;  // Abort() erases from the map
    for (auto& [id, l] : live) {
      if (auto c = l.conn.lock()) c->Abort();
    }
    impl->limiter->Flush();
  });
  // Let the aborts' handlers drain, then stop.
  asio::post(impl->io, [impl]() { impl->io.stop(); });
  if (impl->thread.joinable()) impl->thread.join();
}

uint16_t Server::port() const {
  asio::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

const ServerCounters& Server::counters() const { return impl_->counters; }

void Server::RunOnLoop(const std::function<void()>& fn) {
  std::promise<void> done;
  asio::post(impl_->io, [&fn, &done]() {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

Result<SessionStats> RunClient(const std::string& peer, Session& session, TransportLimits limits,
                               const LogSink& log) {
  asio::io_context io;
  auto ep = Resolve(io, peer);
  if (!ep.ok()) return ep.status();
  asio::ip::tcp::socket socket(io);
  asio::error_code ec;
  // Connect within the handshake deadline.
  asio::steady_timer deadline(io);
  deadline.expires_after(limits.handshake_timeout);
  bool timed_out = false;
  deadline.async_wait([&socket, &timed_out](const asio::error_code& e) {
    if (e) return;
    timed_out = true;
    asio::error_code ignored;
    socket.close(ignored);
  });
  socket.async_connect(*ep, [&ec, &deadline](const asio::error_code& e) {
    ec = e;
    deadline.cancel();
  });
  io.run();
  if (timed_out) return Status::Unavailable("connect to " + peer + ": timed out");
  if (ec) return Status::Unavailable("connect to " + peer + ": " + ec.message());
  io.restart();

  Status result = Status::Unavailable("session did not finish");
  SessionStats stats;
  {
    auto conn = std::make_shared<Connection>(
        io, std::move(socket), HostedSession{}, &session, limits, log, "peer " + peer,
        [&result, &stats](const Status& s, const SessionStats& st) {
          result = s;
          stats = st;
        });
    conn->Start();
    io.run();
    conn.reset();
  }
  if (!result.ok()) return result;
  return stats;
}

}  // namespace outpost::sync
