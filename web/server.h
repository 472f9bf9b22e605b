// The node's HTTP(S) server: Boost.Beast on Boost.Asio (Beast needs
// boost::asio; the sync transport keeps standalone Asio), one thread, one
// io_context, feeding each parsed request to web::App.
//
// Limits (a hostile or slow client gets a clear refusal and the node keeps
// serving): a request's headers at most max_header_bytes (431) and its body
// at most max_body_bytes (413); each request must arrive whole within
// read_timeout, and a kept-alive connection idles at most idle_timeout
// (then it is closed: slow clients); at most max_connections at once (more
// are closed on accept). Anything Beast cannot parse gets 400 and a close.
//
// TLS by default (TLS 1.2 and later, the pair from web/tls.h); plain HTTP
// only on a loopback address (Start refuses otherwise).
// Start binds before returning; Stop (and the destructor) closes every
// connection and joins the thread. App must outlive the Server.
#ifndef OUTPOST_WEB_SERVER_H_
#define OUTPOST_WEB_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "web/app.h"

namespace outpost::web {

struct ServerOptions {
  std::string listen;  // HOST:PORT; port 0 picks a free one (see port())
  bool tls = true;
  std::string cert_path;  // PEM, for tls
  std::string key_path;   // PEM, for tls
  size_t max_connections = 256;
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  // One line per refusal and per start/stop; may be empty.
  std::function<void(const std::string&)> log;
};

class Server {
 public:
  // kInvalidArgument: a bad address, or plain HTTP on a non-loopback one;
  // kUnavailable: the address cannot be bound; kNotFound/kInvalidArgument:
  // the certificate or key cannot be loaded.
  static Result<std::unique_ptr<Server>> Start(App& app, const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  void Stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether HOST (of HOST:PORT) is a loopback address (127.0.0.0/8, ::1,
// "localhost").
bool IsLoopbackHost(const std::string& host);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_SERVER_H_
