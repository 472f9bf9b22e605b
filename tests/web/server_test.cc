// web::Server over real sockets: TLS with the node's certificate, the limits
// (body, headers, connections, slow clients), and 1,000 wrong passwords in
// a row; each refused clearly while the node keeps serving.
#include "web/server.h"

#include <sys/stat.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "tests/web/web_fixture.h"
#include "web/tls.h"

namespace outpost::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct ServerFixture : WebFixture {
  std::unique_ptr<web::Server> server;
  std::vector<std::string> log;
  std::mutex log_mu;

  void Start(web::ServerOptions o = {}) {
    o.listen = "127.0.0.1:0";
    if (o.cert_path.empty()) o.tls = false;
    o.log = [this](const std::string& l) {
      std::lock_guard lock(log_mu);
      log.push_back(l);
    };
    auto s = web::Server::Start(*app, o);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    server = std::move(*s);
  }
  tcp::socket Connect(asio::io_context& io) {
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    return s;
  }
  // Sends raw bytes, reads one response: its status, or 0 if the server
  // closed without one.
  int Send(const std::string& raw, std::string* body = nullptr) {
    asio::io_context io;
    auto s = Connect(io);
    asio::write(s, asio::buffer(raw));
    beast::flat_buffer b;
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(s, b, res, ec);
    if (ec) return 0;
    if (body) *body = res.body();
    return res.result_int();
  }
  bool Logged(const std::string& what) {
    std::lock_guard lock(log_mu);
    for (const auto& l : log) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

std::string Get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

BOOST_AUTO_TEST_SUITE(server)

BOOST_FIXTURE_TEST_CASE(serves_https_with_the_certificate_made_at_init, ServerFixture) {
  BOOST_REQUIRE(web::EnsureCertificate(dir.str(), "Gradiška").ok());
  struct stat st {};
  BOOST_REQUIRE(::stat(web::KeyPath(dir.str()).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600);
  auto fp = web::CertificateFingerprint(web::CertPath(dir.str()));
  BOOST_REQUIRE(fp.ok());
  BOOST_TEST(fp->size() == 32 * 3 - 1);
  // A second call keeps the pair: the fingerprint officers pinned stays.
  BOOST_REQUIRE(web::EnsureCertificate(dir.str(), "Gradiška").ok());
  BOOST_TEST(*web::CertificateFingerprint(web::CertPath(dir.str())) == *fp);

  web::ServerOptions o;
  o.cert_path = web::CertPath(dir.str());
  o.key_path = web::KeyPath(dir.str());
  Start(o);
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_verify_mode(asio::ssl::verify_none);
  beast::ssl_stream<tcp::socket> tls(Connect(io), ctx);
  tls.handshake(asio::ssl::stream_base::client);
  // The certificate the browser sees is the node's.
  X509* peer = SSL_get_peer_certificate(tls.native_handle());
  BOOST_REQUIRE(peer);
  unsigned char md[32];
  unsigned n = 0;
  X509_digest(peer, EVP_sha256(), md, &n);
  X509_free(peer);
  BOOST_TEST(n == 32u);
  char first[3];
  std::snprintf(first, sizeof first, "%02X", md[0]);
  BOOST_TEST(fp->substr(0, 2) == std::string(first));
  http::request<http::string_body> req(http::verb::get, "/login", 11);
  req.set(http::field::host, "x");
  http::write(tls, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(tls, b, res);
  BOOST_TEST(res.result_int() == 200);
  BOOST_TEST(std::string(res[http::field::strict_transport_security]).find("max-age") == 0);
  BOOST_TEST(res.body().find("Sign in") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(plain_http_is_refused_off_loopback, ServerFixture) {
  web::ServerOptions o;
  o.listen = "0.0.0.0:0";
  o.tls = false;
  auto s = web::Server::Start(*app, o);
  BOOST_TEST(s.status().code() == Code::kInvalidArgument);
  BOOST_TEST(s.status().message().find("loopback") != std::string::npos);
  BOOST_TEST(web::IsLoopbackHost("127.0.0.1"));
  BOOST_TEST(web::IsLoopbackHost("::1"));
  BOOST_TEST(!web::IsLoopbackHost("10.0.0.1"));
}

BOOST_FIXTURE_TEST_CASE(oversized_bodies_and_headers_are_refused, ServerFixture) {
  web::ServerOptions o;
  o.max_body_bytes = 1024;
  o.max_header_bytes = 2048;
  Start(o);
  std::string body;
  BOOST_TEST(Send(Post("/api/login", std::string(5000, ' ')), &body) == 413);
  BOOST_TEST(body.find("\"field\":\"body\"") != std::string::npos);
  BOOST_TEST(Send("GET /login HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') +
                  "\r\n\r\n") == 431);
  BOOST_TEST(Send("GARBAGE\r\n\r\n") == 400);
  // A header value with a bare CR (header injection) is not a request.
  BOOST_TEST(Send("GET /login HTTP/1.1\r\nHost: x\rSet-Cookie: a=b\r\n\r\n") == 400);
  BOOST_TEST(Send(Get("/login")) == 200);
}

BOOST_FIXTURE_TEST_CASE(a_slow_client_is_closed_and_others_are_served, ServerFixture) {
  web::ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(300);
  Start(o);
  asio::io_context io;
  auto slow = Connect(io);
  asio::write(slow, asio::buffer(std::string("GET /login HTTP/1.1\r\nHost: x\r\n")));
  BOOST_TEST(Send(Get("/login")) == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  char c;
  beast::error_code ec;
  slow.read_some(asio::buffer(&c, 1), ec);
  BOOST_TEST(ec == asio::error::eof);
  BOOST_TEST(Logged("slow client"));
}

BOOST_FIXTURE_TEST_CASE(connections_over_the_limit_are_closed, ServerFixture) {
  web::ServerOptions o;
  o.max_connections = 2;
  Start(o);
  asio::io_context io;
  auto a = Connect(io);
  auto b = Connect(io);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_TEST(Send(Get("/login")) == 0);
  BOOST_TEST(Logged("max_connections"));
  a.close();
  b.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_TEST(Send(Get("/login")) == 200);
}

BOOST_FIXTURE_TEST_CASE(a_thousand_wrong_passwords_are_refused_and_the_node_serves, ServerFixture) {
  Start();
  int unauthorized = 0, limited = 0, other = 0;
  std::string wrong = R"({"name":"marko","password":"not the password at all"})";
  for (int i = 0; i < 1000; ++i) {
    int s = Send(Post("/api/login", wrong));
    (s == 401 ? unauthorized : s == 429 ? limited : other)++;
  }
  BOOST_TEST(unauthorized == 5);
  BOOST_TEST(limited == 995);
  BOOST_TEST(other == 0);
  BOOST_TEST(Send(Get("/login")) == 200);
  BOOST_TEST(*store->replica().CountLive(*store->catalogue().Find("movement")) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
