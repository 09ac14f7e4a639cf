// Test PKI, server starter and Beast TLS client for the HTTPS server tests (http_test_client.h).
#include "tests/core/apiserver/http_test_client.h"

#include <openssl/x509v3.h>
#include <stdlib.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace capstan::apiserver::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

TestPki::TestPki() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "http_test.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  dir_ = tmpl;
  Result<pki::ServerPki> pki = pki::EnsureServerPki(dir_, {});
  if (!pki.ok()) {
    std::fprintf(stderr, "TestPki: %s\n", pki.status().ToString().c_str());
    std::abort();
  }
  pki_ = std::move(*pki);
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

HttpTlsConfig TestPki::TlsConfig(bool request_client_certs) const {
  HttpTlsConfig config;
  config.cert_chain_pem = pki_.server.cert_pem;
  config.key_pem = pki_.server.key_pem;
  if (request_client_certs) config.client_ca_pem = pki_.ca.cert_pem;
  return config;
}

std::unique_ptr<HttpServer> StartTestServer(const TestPki& pki, HttpHandler handler,
                                            const std::function<void(HttpServerOptions&)>& tweak) {
  HttpServerOptions options;
  options.tls = pki.TlsConfig();
  if (tweak) tweak(options);
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, std::move(handler));
  if (!server.ok()) {
    std::fprintf(stderr, "StartTestServer: %s\n", server.status().ToString().c_str());
    std::abort();
  }
  return std::move(*server);
}

template <typename Op>
error_code TestClient::Run(Op&& op) {
  error_code result = asio::error::would_block;
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  op([&result](const error_code& ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  return result;
}

TestClient::TestClient(uint16_t port, const std::string& ca_pem, const pki::CertKeyPair* client,
                       std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  error_code ec;
  ctx_.set_verify_mode(asio::ssl::verify_peer, ec);
  ctx_.add_certificate_authority(asio::buffer(ca_pem), ec);
  if (client != nullptr) {
    ctx_.use_certificate(asio::buffer(client->cert_pem), asio::ssl::context::pem, ec);
    ctx_.use_private_key(asio::buffer(client->key_pem), asio::ssl::context::pem, ec);
  }
  stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, ctx_);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream_->native_handle()), "127.0.0.1");
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  ec = Run(
      [&](auto handler) { beast::get_lowest_layer(*stream_).async_connect(endpoint, handler); });
  if (ec) return;
  local_port_ = beast::get_lowest_layer(*stream_).socket().local_endpoint(ec).port();
  ec =
      Run([&](auto handler) { stream_->async_handshake(asio::ssl::stream_base::client, handler); });
  connected_ = !ec;
}

TestClient::~TestClient() { Close(); }

void TestClient::Close() {
  if (!stream_) return;
  error_code ignored;
  beast::get_lowest_layer(*stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_both,
                                                      ignored);
  beast::get_lowest_layer(*stream_).socket().close(ignored);
}

Result<Response> TestClient::Request(
    http::verb method, const std::string& target, std::string body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  error_code ec = Run([&](auto handler) { http::async_write(*stream_, req, handler); });
  if (ec) return UnavailableError("write: " + ec.message());
  return ReadResponse();
}

Status TestClient::WriteRaw(const std::string& data) {
  error_code ec =
      Run([&](auto handler) { asio::async_write(*stream_, asio::buffer(data), handler); });
  if (ec) return UnavailableError("write: " + ec.message());
  return Status::Ok();
}

Result<Response> TestClient::ReadResponse() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  error_code ec = Run([&](auto handler) { http::async_read(*stream_, buf_, parser, handler); });
  if (ec) return UnavailableError("read: " + ec.message());
  return parser.release();
}

Status TestClient::ReadStreamHeader(int* status) {
  stream_parser_ = std::make_unique<http::response_parser<http::string_body>>();
  stream_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  chunk_body_ = [this](std::uint64_t, beast::string_view body, error_code&) -> std::size_t {
    pending_chunk_.append(body.data(), body.size());
    return body.size();
  };
  stream_parser_->on_chunk_body(chunk_body_);
  error_code ec =
      Run([&](auto handler) { http::async_read_header(*stream_, buf_, *stream_parser_, handler); });
  if (ec) return UnavailableError("read header: " + ec.message());
  *status = static_cast<int>(stream_parser_->get().result_int());
  return Status::Ok();
}

Result<std::optional<std::string>> TestClient::ReadChunk() {
  while (pending_chunk_.empty() && !stream_parser_->is_done()) {
    error_code ec =
        Run([&](auto handler) { http::async_read_some(*stream_, buf_, *stream_parser_, handler); });
    if (ec) return UnavailableError("read chunk: " + ec.message());
  }
  if (pending_chunk_.empty()) return std::optional<std::string>();
  std::string out;
  out.swap(pending_chunk_);
  return std::optional<std::string>(std::move(out));
}

Result<std::string> TestClient::ReadSome() {
  if (buf_.size() > 0) {
    std::string out = beast::buffers_to_string(buf_.data());
    buf_.consume(buf_.size());
    return out;
  }
  char data[16384];
  size_t got = 0;
  error_code ec = Run([&](auto handler) {
    stream_->async_read_some(asio::buffer(data), [&got, handler](const error_code& e, size_t n) {
      got = n;
      handler(e, n);
    });
  });
  if (ec) return UnavailableError("read: " + ec.message());
  return std::string(data, got);
}

bool TestClient::WaitForClose() {
  while (true) {
    Result<std::string> data = ReadSome();
    if (!data.ok()) return data.status().message().find("timeout") == std::string::npos;
  }
}

bool PollUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace capstan::apiserver::testing
