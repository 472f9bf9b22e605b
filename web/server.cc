#include "web/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <thread>

#include "sync/transport.h"

namespace outpost::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
  // Declared so that destruction drops the pending handlers (the
  // connections, with io) while the TLS context and the counter they use
  // are still there.
  App& app;
  ServerOptions options;
  size_t connections = 0;
  uint16_t port = 0;
  bool stopped = false;
  std::optional<asio::ssl::context> ssl;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  Impl(App& a, const ServerOptions& o) : app(a), options(o) {}
  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }
  void Accept();
};

namespace {

bool IsTls(const beast::tcp_stream&) { return false; }
bool IsTls(const beast::ssl_stream<beast::tcp_stream>&) { return true; }
beast::tcp_stream& Tcp(beast::tcp_stream& s) { return s; }
beast::tcp_stream& Tcp(beast::ssl_stream<beast::tcp_stream>& s) { return s.next_layer(); }

// One connection: reads requests one at a time (keep-alive), answers each
// through App. Owned by the shared_ptr its pending operations hold.
template <typename Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <typename... Args>
  Connection(Server::Impl& server, std::string peer, Args&&... args)
      : server_(server),
        peer_(std::move(peer)),
        stream_(std::forward<Args>(args)...),
        buffer_(server.options.max_header_bytes + server.options.max_body_bytes + 1024) {
    ++server_.connections;
  }
  ~Connection() { --server_.connections; }

  void Begin() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      Tcp(stream_).expires_after(server_.options.read_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Log("TLS handshake failed: " + ec.message());
                                self->Read();
                              });
    }
  }

 private:
  void Log(const std::string& what) { server_.Log("web: " + peer_ + ": " + what); }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    parser_->body_limit(server_.options.max_body_bytes);
    // The first request must arrive whole within read_timeout; a later one
    // on a kept-alive connection within idle_timeout.
    Tcp(stream_).expires_after(requests_ == 0 ? server_.options.read_timeout
                                              : server_.options.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      Log("closed: no whole request within the time limit (slow client)");
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Refuse(http::status::payload_too_large, "body",
                    "at most " + std::to_string(server_.options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return Refuse(http::status::request_header_fields_too_large, "headers",
                    "at most " + std::to_string(server_.options.max_header_bytes) + " bytes");
    }
    if (ec) return Refuse(http::status::bad_request, "request", "HTTP/1.1: " + ec.message());
    ++requests_;
    auto& req = parser_->get();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.content_type = std::string(req[http::field::content_type]);
    r.cookie = std::string(req[http::field::cookie]);
    r.csrf = std::string(req["X-CSRF-Token"]);
    r.authorization = std::string(req[http::field::authorization]);
    r.body = std::move(req.body());
    r.peer = peer_;
    r.secure = IsTls(stream_);
    HttpResponse out = server_.app.Handle(r);
    Write(out, req.keep_alive());
  }

  void Refuse(http::status status, const std::string& field, const std::string& rule) {
    Log("refused: " + field + ": " + rule);
    nlohmann::json body = {
        {"errors",
         {{{"field", field}, {"value", ""}, {"rule", rule}, {"message", field + ": " + rule}}}}};
    HttpResponse out;
    out.status = static_cast<int>(status);
    out.body = body.dump();
    Write(out, false);
  }

  void Write(const HttpResponse& out, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), 11);
    res->set(http::field::server, "outpost");
    res->set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res->insert(name, value);
    res->body() = out.body;
    res->keep_alive(keep_alive);
    res->prepare_payload();
    Tcp(stream_).expires_after(server_.options.read_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    Tcp(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp(stream_).close();
  }

  Server::Impl& server_;
  std::string peer_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int64_t requests_ = 0;
};

}  // namespace

void Server::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped) return;
    if (!ec) {
      beast::error_code ep_ec;
      auto ep = socket.remote_endpoint(ep_ec);
      std::string peer = ep_ec ? "?" : ep.address().to_string();
      if (connections >= options.max_connections) {
        Log("web: " + peer + ": refused: " + std::to_string(connections) +
            " connections already (max_connections)");
        socket.close(ep_ec);
      } else if (ssl) {
        std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(*this, peer,
                                                                           std::move(socket), *ssl)
            ->Begin();
      } else {
        std::make_shared<Connection<beast::tcp_stream>>(*this, peer, std::move(socket))->Begin();
      }
    }
    Accept();
  });
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

Result<std::unique_ptr<Server>> Server::Start(App& app, const ServerOptions& options) {
  OUTPOST_ASSIGN_OR_RETURN(auto hp, sync::ParseHostPort(options.listen));
  if (!options.tls && !IsLoopbackHost(hp.first)) {
    return Status::InvalidArgument("--listen: \"" + options.listen +
                                   "\": plain HTTP is served on a loopback address only; "
                                   "other addresses get HTTPS");
  }
  auto impl = std::make_unique<Impl>(app, options);
  if (options.tls) {
    impl->ssl.emplace(asio::ssl::context::tls_server);
    impl->ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    beast::error_code ec;
    impl->ssl->use_certificate_chain_file(options.cert_path, ec);
    if (ec) return Status::NotFound(options.cert_path + ": cannot load: " + ec.message());
    impl->ssl->use_private_key_file(options.key_path, asio::ssl::context::pem, ec);
    if (ec) return Status::NotFound(options.key_path + ": cannot load: " + ec.message());
  }
  beast::error_code ec;
  std::string host = hp.first == "localhost" ? "127.0.0.1" : hp.first;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    return Status::InvalidArgument("--listen: \"" + hp.first + "\" is not an IP address");
  }
  tcp::endpoint ep(address, hp.second);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("--listen: " + options.listen + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

uint16_t Server::port() const { return impl_->port; }

void Server::Stop() {
  if (!impl_ || impl_->stopped) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->stopped = true;
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  // Connections still open are dropped with the io_context.
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->stopped = true;
}

}  // namespace outpost::web
