#include "tests/tools/fault_proxy_lib.h"

#include <array>
#include <asio.hpp>
#include <map>
#include <thread>

#include "sync/transport.h"

namespace outpost::tools {
namespace {

// One proxied connection: two pumps sharing the byte counter.
class Pair : public std::enable_shared_from_this<Pair> {
 public:
  Pair(asio::io_context& io, asio::ip::tcp::socket client, FaultPlan plan,
       FaultProxyCounters& counters)
      : io_(io), client_(std::move(client)), server_(io), plan_(plan), counters_(counters) {}

  void Start(const asio::ip::tcp::endpoint& target) {
    auto self = shared_from_this();
    if (plan_.blackhole) {
      Drain();
      return;
    }
    server_.async_connect(target, [self](const asio::error_code& ec) {
      if (ec) return self->Close();
      self->Pump(self->client_, self->server_, self->bufs_[0], self->timers_[0]);
      self->Pump(self->server_, self->client_, self->bufs_[1], self->timers_[1]);
    });
  }

  void Close() {
    asio::error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
    for (auto& t : timers_) t.cancel();
  }

 private:
  using Buf = std::array<uint8_t, 8192>;

  void Drain() {
    auto self = shared_from_this();
    client_.async_read_some(asio::buffer(bufs_[0]), [self](const asio::error_code& ec, size_t) {
      if (!ec) self->Drain();
    });
  }

  void Pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, Buf& buf,
            asio::steady_timer& timer) {
    auto self = shared_from_this();
    size_t want = buf.size();
    if (plan_.rate_bytes_per_sec)
      want = std::min<size_t>(want, std::max<uint64_t>(64, plan_.rate_bytes_per_sec / 10));
    from.async_read_some(asio::buffer(buf.data(), want),
                         [self, &from, &to, &buf, &timer](const asio::error_code& ec, size_t n) {
                           if (ec) return self->Close();
                           self->Forward(from, to, buf, timer, n);
                         });
  }

  void Forward(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, Buf& buf,
               asio::steady_timer& timer, size_t n) {
    uint64_t start = offset_;
    if (start >= plan_.truncate_after) return Swallow(from, buf);
    if (start >= plan_.cut_after) return Close();
    n = static_cast<size_t>(std::min<uint64_t>(n, plan_.cut_after - start));
    n = static_cast<size_t>(std::min<uint64_t>(n, plan_.truncate_after - start));
    if (plan_.flip_at >= start && plan_.flip_at < start + n) {
      buf[plan_.flip_at - start] ^= 0x01;
      ++counters_.flips;
    }
    offset_ += n;
    counters_.bytes += n;
    bool cut_now = offset_ >= plan_.cut_after;
    auto self = shared_from_this();
    auto write = [self, &from, &to, &buf, &timer, n, cut_now]() {
      asio::async_write(
          to, asio::buffer(buf.data(), n),
          [self, &from, &to, &buf, &timer, n, cut_now](const asio::error_code& ec, size_t) {
            if (ec) return self->Close();
            if (cut_now) {
              ++self->counters_.cuts;
              return self->Close();
            }
            auto wait = std::chrono::microseconds(0);
            if (self->plan_.rate_bytes_per_sec) {
              wait = std::chrono::microseconds(n * 1000000 / self->plan_.rate_bytes_per_sec);
            }
            if (wait.count() == 0) return self->Pump(from, to, buf, timer);
            timer.expires_after(wait);
            timer.async_wait([self, &from, &to, &buf, &timer](const asio::error_code& e) {
              if (!e) self->Pump(from, to, buf, timer);
            });
          });
    };
    if (plan_.delay.count() == 0) return write();
    timer.expires_after(plan_.delay);
    timer.async_wait([write](const asio::error_code& e) {
      if (!e) write();
    });
  }

  // Truncated: keep reading so the sender does not block, forward nothing.
  void Swallow(asio::ip::tcp::socket& from, Buf& buf) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buf),
                         [self, &from, &buf](const asio::error_code& ec, size_t) {
                           if (ec) return self->Close();
                           self->Swallow(from, buf);
                         });
  }

  asio::io_context& io_;
  asio::ip::tcp::socket client_, server_;
  FaultPlan plan_;
  FaultProxyCounters& counters_;
  std::array<Buf, 2> bufs_{};
  std::array<asio::steady_timer, 2> timers_{asio::steady_timer(io_), asio::steady_timer(io_)};
  uint64_t offset_ = 0;
};

}  // namespace

struct FaultProxy::Impl {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  asio::ip::tcp::endpoint target;
  std::function<FaultPlan(uint64_t)> plan_for;
  FaultProxyCounters counters;
  std::map<uint64_t, std::weak_ptr<Pair>> live;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        uint64_t n = counters.connections++;
        auto p = std::make_shared<Pair>(io, std::move(s), plan_for(n), counters);
        live[n] = p;
        p->Start(target);
      }
      Accept();
    });
  }
};

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(const std::string& listen,
                                                      const std::string& target,
                                                      std::function<FaultPlan(uint64_t)> plan_for) {
  auto impl = std::make_unique<Impl>();
  impl->plan_for = std::move(plan_for);
  OUTPOST_ASSIGN_OR_RETURN(auto l, sync::ParseHostPort(listen));
  OUTPOST_ASSIGN_OR_RETURN(auto t, sync::ParseHostPort(target));
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(impl->io);
  auto lr = resolver.resolve(l.first, std::to_string(l.second), ec);
  if (ec || lr.empty()) return Status::InvalidArgument("cannot resolve " + listen);
  auto tr = resolver.resolve(t.first, std::to_string(t.second), ec);
  if (ec || tr.empty()) return Status::InvalidArgument("cannot resolve " + target);
  impl->target = tr.begin()->endpoint();
  auto ep = lr.begin()->endpoint();
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("listen on " + listen + ": " + ec.message());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw]() { raw->io.run(); });
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

FaultProxy::~FaultProxy() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl]() {
    asio::error_code ignored;
    impl->acceptor.close(ignored);
    for (auto& [n, weak] : impl->live) {
      if (auto p = weak.lock()) p->Close();
    }
    impl->io.stop();
  });
  if (impl->thread.joinable()) impl->thread.join();
}

uint16_t FaultProxy::port() const {
  asio::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

const FaultProxyCounters& FaultProxy::counters() const { return impl_->counters; }

}  // namespace outpost::tools
