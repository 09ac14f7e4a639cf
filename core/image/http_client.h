// A small blocking HTTP/1.1 client over Boost.Beast (plain TCP or TLS via OpenSSL) for registry
// traffic: one connection per request, streaming response bodies to a sink so multi-GB layers
// never sit in memory. Implementation in http_client.cc; used by registry_client.cc.
// Thread-safety: `HttpDo` is reentrant; each call owns its io_context and socket.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::image {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::string port;    // always set ("80"/"443" by default)
  std::string target;  // path and query, at least "/"

  // "host:port" as written in Host headers (port omitted when default).
  std::string HostHeader() const;
  std::string String() const;
};

// Parses "http[s]://host[:port][/path][?query]". kInvalid on anything else.
Result<Url> ParseUrl(std::string_view text);

// Resolves `location` (a Location header: absolute URL or absolute/relative path) against `base`.
Result<Url> ResolveUrl(const Url& base, std::string_view location);

struct TlsOptions {
  std::string ca_file;                // PEM bundle to trust in addition to the system store
  bool insecure_skip_verify = false;  // accept any certificate (per-registry `insecure` over TLS)
};

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  // Lower-case names; repeated headers are joined with ", " except `www-authenticate`, whose
  // first value is kept (its commas are significant).
  std::map<std::string, std::string> headers;
  std::string body;  // empty when the body went to a sink

  std::string Header(const std::string& lower_name) const;
};

// Receives consecutive body chunks; a non-OK Status aborts the transfer with that Status.
using BodySink = std::function<Status(std::string_view chunk)>;

struct HttpOptions {
  TlsOptions tls;
  // Each network step (connect, handshake, one read) must finish within this; the whole
  // transfer may take longer as long as data keeps arriving.
  std::chrono::milliseconds idle_timeout{30000};
  // Bodies read into memory (no sink, or a non-2xx status) are capped at this size.
  size_t max_memory_body = size_t{16} << 20;
};

// Performs one request. With `sink` and a 2xx status the body streams to `sink`; otherwise it
// is returned in `body`. Redirects are NOT followed (the caller decides about credentials).
// Errors: kUnavailable for connection/TLS/protocol failures (message names the stage and the
// URL), kTimeout when a step exceeds `idle_timeout`, kRequestEntityTooLarge over the cap, or the
// sink's Status.
Result<HttpResponse> HttpDo(const HttpRequest& request, const HttpOptions& options,
                            const BodySink* sink = nullptr);

}  // namespace capstan::image
