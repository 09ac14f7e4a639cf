// `HttpRequest`: one parsed HTTP/1.1 request as the HTTPS server (http_server.h) hands it to a
// handler through `HttpExchange` (http_exchange.h), plus the URL helpers that build it.
// Implementation in http_request.cc; tests in tests/core/apiserver/http_request_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::apiserver {

// An ordered list of (name, value) pairs where names may repeat: query parameters
// (`command=ls&command=-la`) and headers (`X-Stream-Protocol-Version` sent several times).
// Lookups are linear, which beats hashing for the dozen entries a request carries.
// Thread-safety: a value; const methods may be called concurrently.
class FieldList {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }
  // The first value for `name` (exact, case-sensitive match), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value for `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

struct HttpRequest {
  std::string method;      // as sent, e.g. "GET"
  std::string target;      // raw request-target, e.g. "/api/v1/pods?watch=1"
  std::string path;        // percent-decoded path, e.g. "/api/v1/pods"
  std::string raw_query;   // text after '?', undecoded; empty when absent
  FieldList query;         // decoded parameters in order; '+' decodes to ' '
  FieldList headers;       // names lower-cased; repeated headers stay separate entries
  std::string body;        // whole body (at most the server's body limit)
  unsigned version = 11;   // 10 for HTTP/1.0, 11 for HTTP/1.1
  bool keep_alive = true;  // whether the client allows another request on this connection
  std::string remote_ip;   // "127.0.0.1" or "::1"
  uint16_t remote_port = 0;
  // TLS client certificate, when the server requests one (HttpServerOptions::tls.client_ca_pem)
  // and the client sent one: PEM, leaf first. When verified, this is the verified chain up to
  // and including the trusted CA; otherwise the certificates as the client sent them.
  std::string client_cert_chain_pem;
  // True only when a certificate was sent and verified against the client CA bundle.
  bool client_cert_verified = false;

  // The first value of header `lower_name` (pass it lower-case), or nullopt.
  std::optional<std::string_view> Header(std::string_view lower_name) const {
    return headers.Get(lower_name);
  }
  // True for a protocol-upgrade request ("Connection: Upgrade" plus an "Upgrade" header), as
  // WebSocket and SPDY exec/port-forward send. See `HttpExchange::TakeOverSocket`.
  bool IsUpgrade() const;
};

// Decodes %XX escapes (and, when `plus_as_space`, '+' as ' '). Errors: kBadRequest on a
// truncated or non-hex escape.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Parses `raw_query` ("a=1&b=x%20y&flag") into `out` the way Go's url.Query() does: pairs
// separated by '&', a missing '=' gives an empty value, empty pairs are skipped, and a pair
// with a malformed escape is dropped.
void ParseQuery(std::string_view raw_query, FieldList* out);

// Splits a request-target into decoded path, raw query and parsed query. Accepts origin form
// ("/p?q"), absolute form ("https://host/p?q", as proxies send) and "*". Errors: kBadRequest
// for anything else or a malformed escape in the path.
Status ParseTarget(std::string_view target, HttpRequest* request);

// True when the comma-separated header value contains `token` (case-insensitive), e.g.
// HeaderHasToken("keep-alive, Upgrade", "upgrade").
bool HeaderHasToken(std::string_view value, std::string_view token);

}  // namespace capstan::apiserver
