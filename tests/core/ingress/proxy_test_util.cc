// Test backend and client for tests/core/ingress (proxy_test_util.h).
#include "tests/core/ingress/proxy_test_util.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/beast/core/buffers_to_string.hpp>

namespace capstan::ingress::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

TestBackend::TestBackend(std::string name) : name_(std::move(name)), acceptor_(io_) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  error_code ec;
  acceptor_.open(ep.protocol(), ec);
  acceptor_.bind(ep, ec);
  acceptor_.listen(64, ec);
  port_ = acceptor_.local_endpoint(ec).port();
  acceptor_thread_ = std::thread([this] {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(io_);
      error_code aec;
      acceptor_.accept(*socket, aec);
      if (stopping_ || aec) return;
      connections_++;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket] { Serve(*socket); });
    }
  });
}

TestBackend::~TestBackend() {
  stopping_ = true;
  error_code ec;
  {
    // Wake the blocked accept with a connection of our own (closing does not wake it).
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    acceptor_thread_.join();
  }
  acceptor_.close(ec);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);
  for (std::thread& t : threads_) t.join();
}

void TestBackend::Serve(tcp::socket& socket) {
  beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    error_code ec;
    http::read(socket, buf, req, ec);
    if (ec) return;
    requests_++;
    if (req.method() == http::verb::get && req.target().starts_with("/stream/")) {
      int n = std::stoi(std::string(req.target().substr(8)));
      std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      asio::write(socket, asio::buffer(head), ec);
      for (int i = 0; i < n && !ec; ++i) {
        std::string piece = "piece-" + std::to_string(i) + "\n";
        char size[16];
        std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
        asio::write(socket, asio::buffer(std::string(size) + piece + "\r\n"), ec);
      }
      asio::write(socket, asio::buffer(std::string("0\r\n\r\n")), ec);
      if (ec) return;
      continue;
    }
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = name_ + " " + std::string(req.method_string()) + " " + std::string(req.target()) +
                 " xff=" + std::string(req["X-Forwarded-For"]) +
                 " proto=" + std::string(req["X-Forwarded-Proto"]) +
                 " fhost=" + std::string(req["X-Forwarded-Host"]) +
                 " len=" + std::to_string(req.body().size());
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

TestHttpClient::TestHttpClient(uint16_t port, bool tls, std::string sni,
                               std::chrono::milliseconds timeout)
    : port_(port), tls_(tls), sni_(std::move(sni)), timeout_(timeout) {
  ctx_.set_verify_mode(asio::ssl::verify_none);
}

Status TestHttpClient::Connect() {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
  error_code ec;
  buf_.clear();
  if (!tls_) {
    plain_ = std::make_unique<beast::tcp_stream>(io_);
    plain_->expires_after(timeout_);
    plain_->connect(ep, ec);
    return ec ? UnavailableError(ec.message()) : Status();
  }
  secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, ctx_);
  beast::get_lowest_layer(*secure_).expires_after(timeout_);
  beast::get_lowest_layer(*secure_).connect(ep, ec);
  if (ec) return UnavailableError(ec.message());
  if (!sni_.empty()) SSL_set_tlsext_host_name(secure_->native_handle(), sni_.c_str());
  secure_->handshake(asio::ssl::stream_base::client, ec);
  return ec ? UnavailableError("handshake: " + ec.message()) : Status();
}

Result<ClientResponse> TestHttpClient::Request(http::verb method, const std::string& host,
                                               const std::string& target, std::string body,
                                               bool chunked) {
  if (!plain_ && !secure_) {
    if (Status s = Connect(); !s.ok()) return s;
  }
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host);
  req.body() = std::move(body);
  if (chunked) {
    req.chunked(true);
  } else if (!req.body().empty()) {
    req.prepare_payload();
  }
  http::response<http::string_body> res;
  error_code ec;
  if (tls_) {
    beast::get_lowest_layer(*secure_).expires_after(timeout_);
    http::write(*secure_, req, ec);
    if (!ec) http::read(*secure_, buf_, res, ec);
  } else {
    plain_->expires_after(timeout_);
    http::write(*plain_, req, ec);
    if (!ec) http::read(*plain_, buf_, res, ec);
  }
  if (ec) {
    plain_.reset();
    secure_.reset();
    return UnavailableError(ec.message());
  }
  ClientResponse out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  if (!res.keep_alive()) {
    plain_.reset();
    secure_.reset();
  }
  return out;
}

bool TestHttpClient::WaitForClose() {
  if (!plain_) return false;
  plain_->expires_after(timeout_);
  char byte;
  error_code ec;
  plain_->read_some(asio::buffer(&byte, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

std::string TestHttpClient::PeerCommonName() {
  if (!secure_) return "";
  X509* cert = SSL_get_peer_certificate(secure_->native_handle());
  if (cert == nullptr) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  X509_free(cert);
  return cn;
}

nlohmann::json ServiceJson(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"spec", {{"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}};
}

nlohmann::json SliceJson(const std::string& service, uint16_t port,
                         const std::vector<std::string>& addresses) {
  nlohmann::json endpoints = nlohmann::json::array();
  for (const std::string& a : addresses) {
    endpoints.push_back({{"addresses", {a}}, {"conditions", {{"ready", true}}}});
  }
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"namespace", "default"},
            {"name", service + "-manual"},
            {"labels", {{"kubernetes.io/service-name", service}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"port", port}, {"protocol", "TCP"}}}},
          {"endpoints", endpoints}};
}

nlohmann::json IngressJson(const std::string& name, nlohmann::json rules,
                           const std::string& class_name) {
  nlohmann::json spec = {{"rules", std::move(rules)}};
  if (!class_name.empty()) spec["ingressClassName"] = class_name;
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "Ingress"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"spec", spec}};
}

nlohmann::json RuleJson(const std::string& host,
                        const std::vector<std::pair<std::string, std::string>>& paths) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [path, service] : paths) {
    list.push_back({{"path", path},
                    {"pathType", "Prefix"},
                    {"backend", {{"service", {{"name", service}, {"port", {{"number", 80}}}}}}}});
  }
  nlohmann::json rule = {{"http", {{"paths", list}}}};
  if (!host.empty()) rule["host"] = host;
  return rule;
}

namespace {
std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}
}  // namespace

nlohmann::json TlsSecretJson(const std::string& name, const std::string& host) {
  Result<pki::CertKeyPair> ca = pki::CreateCa("test-ca", std::chrono::hours(24));
  pki::CertSpec spec;
  spec.common_name = host;
  spec.dns_names = {host};
  Result<pki::CertKeyPair> leaf = pki::IssueCert(*ca, spec);
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/tls"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"data", {{"tls.crt", Base64(leaf->cert_pem)}, {"tls.key", Base64(leaf->key_pem)}}}};
}

}  // namespace capstan::ingress::testing
