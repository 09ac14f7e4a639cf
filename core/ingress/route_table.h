// `RouteTable`: the immutable routing snapshot of the ingress proxy — which Ingresses are ours
// (IngressClass selection), host and path rules, resolved Service backends with their ready
// endpoints, and which TLS Secret serves which host. Built from informer caches by
// ingress_controller.cc; read lock-free by every request in proxy_server.cc.
// Tests: tests/core/ingress/route_table_test.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::ingress {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// The IngressClass `spec.controller` value this proxy implements.
inline constexpr char kControllerName[] = "capstan.io/ingress";
// The annotation marking an IngressClass as the cluster default.
inline constexpr char kDefaultClassAnnotation[] = "ingressclass.kubernetes.io/is-default-class";

// True when `ingress` belongs to this controller, as upstream decides: `spec.ingressClassName`
// names one of `classes` whose `spec.controller` is kControllerName; without a class name, the
// deprecated `kubernetes.io/ingress.class` annotation names such a class; with neither, one of
// our classes carries kDefaultClassAnnotation "true".
bool IsOurIngress(const nlohmann::json& ingress, const std::vector<ObjectPtr>& classes);

// One ready upstream address.
struct Endpoint {
  std::string address;  // IPv4 or IPv6 literal
  uint16_t port = 0;
};

// A Service backend resolved to its ready endpoints. Shared by every route that names the same
// Service port; `Pick` is thread-safe (an atomic round-robin cursor).
struct Backend {
  std::string service;  // "namespace/name:port", for logs
  std::vector<Endpoint> endpoints;
  mutable std::atomic<uint64_t> cursor{0};

  // The next endpoint in round-robin order; null when there is none.
  const Endpoint* Pick() const;
};

enum class PathType : uint8_t { kPrefix, kExact };

// What a request matched.
struct RouteMatch {
  enum Kind : uint8_t { kNotFound, kBackend };
  Kind kind = kNotFound;
  // For kBackend: never null; its `endpoints` may be empty (the proxy answers 503).
  std::shared_ptr<const Backend> backend;
  std::string ingress;  // "namespace/name" of the Ingress that supplied the route
};

// The inputs of a build: our Ingresses (already selected by IsOurIngress), and every Service
// and EndpointSlice (any namespace).
struct ClusterObjects {
  std::vector<ObjectPtr> ingresses;
  std::vector<ObjectPtr> services;
  std::vector<ObjectPtr> endpoint_slices;
};

// Immutable after Build; every method is const and thread-safe.
//
// Matching (upstream Ingress semantics): the request host (Host header without port,
// case-insensitive) selects rules whose host is equal, then rules whose `*.suffix` wildcard
// covers exactly one more label, then rules without a host; within that order the first group
// with a matching path wins. Among paths the longest wins; at equal length Exact beats Prefix.
// Prefix matches element-wise ("/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar";
// a trailing '/' in the rule is ignored); ImplementationSpecific is treated as Prefix. When no
// rule matches, the `defaultBackend` of the oldest Ingress that has one answers; otherwise
// kNotFound. Conflicting rules (same host, path and type) go to the oldest Ingress.
class RouteTable {
 public:
  static std::shared_ptr<const RouteTable> Build(const ClusterObjects& objects);

  // `host` may carry a ":port" suffix; `target` may carry a query string.
  RouteMatch Match(std::string_view host, std::string_view target) const;

  // The TLS Secret ("namespace/name") serving `server_name` (SNI, lower-cased): an exact
  // `spec.tls[].hosts` entry first, then a wildcard one; "" when none (the default
  // certificate). A `spec.tls[]` entry without hosts covers the hosts of its Ingress's rules.
  std::string TlsSecretFor(std::string_view server_name) const;
  // Every Secret named by a `spec.tls[]` entry, "namespace/name".
  std::vector<std::string> TlsSecrets() const;

  size_t route_count() const;

 private:
  struct Path {
    std::string path;  // Prefix: without trailing '/', "" for "/"
    PathType type = PathType::kPrefix;
    std::shared_ptr<const Backend> backend;
    std::string ingress;
  };
  struct HostRules {
    std::vector<Path> paths;  // longest first, Exact before Prefix at equal length
  };
  static bool PathMatches(const Path& p, std::string_view path);
  const Path* MatchPaths(const HostRules& rules, std::string_view path) const;

  std::map<std::string, HostRules, std::less<>> exact_hosts_;
  std::map<std::string, HostRules, std::less<>> wildcard_hosts_;  // key: suffix without "*."
  HostRules any_host_;
  std::shared_ptr<const Backend> default_backend_;
  std::string default_ingress_;
  std::map<std::string, std::string, std::less<>> tls_exact_;
  std::map<std::string, std::string, std::less<>> tls_wildcard_;  // suffix -> secret
};

// Lower-cases `host` and strips a trailing ":port" (IPv6 literals keep their brackets).
std::string NormalizeHost(std::string_view host);

}  // namespace capstan::ingress
