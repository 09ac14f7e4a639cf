// Blocking HTTP/1.1 over Beast (http_client.h). Each step is an async operation with a deadline
// driven to completion by running the call's private io_context on the calling thread.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/image/http_client.h"

namespace capstan::image {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string Describe(const beast::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) return reason;
  }
  return ec.message();
}

// Runs the pending operation(s) on `ioc` until they complete.
void Drive(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

class Exchange {
 public:
  Exchange(const HttpRequest& req, const HttpOptions& opts, const BodySink* sink)
      : req_(req), opts_(opts), sink_(sink) {}

  Status Fail(const char* stage, const beast::error_code& ec) {
    std::string msg = std::string(stage) + " " + req_.url.String() + ": " + Describe(ec);
    if (ec == beast::error::timeout) return TimeoutError(msg);
    return UnavailableError(msg);
  }

  template <typename Stream>
  Result<HttpResponse> Run(Stream& stream, beast::tcp_stream& tcp_layer, asio::io_context& ioc) {
    http::request<http::empty_body> r{http::string_to_verb(req_.method), req_.url.target, 11};
    r.set(http::field::host, req_.url.HostHeader());
    r.set(http::field::user_agent, "capstan-image/1");
    for (const auto& [k, v] : req_.headers) r.set(k, v);
    beast::error_code ec;
    tcp_layer.expires_after(opts_.idle_timeout);
    http::async_write(stream, r, [&](beast::error_code e, size_t) { ec = e; });
    Drive(ioc);
    if (ec) return Fail("write", ec);

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    tcp_layer.expires_after(opts_.idle_timeout);
    http::async_read_header(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    Drive(ioc);
    if (ec) return Fail("read header", ec);

    HttpResponse resp;
    resp.status = static_cast<int>(parser.get().result_int());
    for (const auto& f : parser.get()) {
      std::string name = Lower(std::string_view(f.name_string().data(), f.name_string().size()));
      std::string value(f.value().data(), f.value().size());
      auto [it, inserted] = resp.headers.emplace(name, value);
      if (!inserted && name != "www-authenticate") it->second += ", " + value;
    }
    bool stream_body = sink_ != nullptr && resp.status >= 200 && resp.status < 300;
    if (req_.method == "HEAD") return resp;
    std::vector<char> chunk(1 << 16);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      tcp_layer.expires_after(opts_.idle_timeout);
      http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
      Drive(ioc);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return Fail("read body", ec);
      size_t n = chunk.size() - parser.get().body().size;
      if (n == 0) continue;
      if (stream_body) {
        CAPSTAN_RETURN_IF_ERROR((*sink_)(std::string_view(chunk.data(), n)));
      } else {
        if (resp.body.size() + n > opts_.max_memory_body) {
          return Status(StatusCode::kRequestEntityTooLarge,
                        "response body of " + req_.url.String() + " exceeds " +
                            std::to_string(opts_.max_memory_body) + " bytes");
        }
        resp.body.append(chunk.data(), n);
      }
    }
    return resp;
  }

 private:
  const HttpRequest& req_;
  const HttpOptions& opts_;
  const BodySink* sink_;
};

Status ConfigureTls(ssl::context& ctx, const TlsOptions& tls) {
  beast::error_code ec;
  ctx.set_default_verify_paths(ec);
  if (!tls.ca_file.empty()) {
    ctx.load_verify_file(tls.ca_file, ec);
    if (ec) return InvalidError("loading CA file " + tls.ca_file + ": " + Describe(ec));
  }
  ctx.set_verify_mode(tls.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  return Status::Ok();
}

}  // namespace

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
  return default_port ? h : h + ":" + port;
}

std::string Url::String() const { return scheme + "://" + HostHeader() + target; }

Result<Url> ParseUrl(std::string_view text) {
  Url u;
  size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return InvalidError("invalid URL \"" + std::string(text) + "\"");
  u.scheme = Lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") {
    return InvalidError("unsupported URL scheme in \"" + std::string(text) + "\"");
  }
  std::string_view rest = text.substr(sep + 3);
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string_view::npos) {
    return InvalidError("credentials in URL are not supported: \"" + std::string(text) + "\"");
  }
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidError("invalid URL \"" + std::string(text) + "\"");
    u.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority[0] == ':') u.port = std::string(authority.substr(1));
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return InvalidError("URL without host: \"" + std::string(text) + "\"");
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidError("invalid port in URL \"" + std::string(text) + "\"");
  }
  return u;
}

Result<Url> ResolveUrl(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return ParseUrl(location);
  Url u = base;
  if (!location.empty() && location[0] == '/') {
    u.target = std::string(location);
  } else {
    std::string dir = base.target.substr(0, base.target.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    u.target = dir + std::string(location);
  }
  return u;
}

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Result<HttpResponse> HttpDo(const HttpRequest& request, const HttpOptions& options,
                            const BodySink* sink) {
  asio::io_context ioc;
  Exchange ex(request, options, sink);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(request.url.host, request.url.port,
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  Drive(ioc);
  if (ec) return ex.Fail("resolve", ec);

  if (request.url.scheme == "http") {
    beast::tcp_stream stream(ioc);
    stream.expires_after(options.idle_timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    Drive(ioc);
    if (ec) return ex.Fail("connect", ec);
    auto r = ex.Run(stream, stream, ioc);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return r;
  }

  ssl::context ctx(ssl::context::tls_client);
  CAPSTAN_RETURN_IF_ERROR(ConfigureTls(ctx, options.tls));
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  const std::string& host = request.url.host;
  if (!IsIpLiteral(host)) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  if (!options.tls.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    if (IsIpLiteral(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
  }
  beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
  beast::get_lowest_layer(stream).async_connect(
      endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  Drive(ioc);
  if (ec) return ex.Fail("connect", ec);
  beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  Drive(ioc);
  if (ec) return ex.Fail("TLS handshake with", ec);
  auto r = ex.Run(stream, beast::get_lowest_layer(stream), ioc);
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  return r;
}

}  // namespace capstan::image
