// API discovery: the exact JSON bodies for `/version`, `/api`, `/apis` (legacy and aggregated
// `apidiscovery.k8s.io/v2` / `v2beta1`), `/api/v1`, `/apis/<g>` and `/apis/<g>/<v>`, built from
// a `Registry` (resource.h) and cached until the registry changes. Accept negotiation for
// `/api` and `/apis` is `NegotiateDiscovery`. Tests: tests/core/api/discovery_test.cc.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/api/resource.h"
#include "core/api/served_document.h"
#include "core/common/status.h"

namespace capstan::api {

enum class DiscoveryFormat {
  kLegacy,             // APIVersions / APIGroupList, plain application/json
  kAggregatedV2,       // apidiscovery.k8s.io/v2 APIGroupDiscoveryList
  kAggregatedV2Beta1,  // apidiscovery.k8s.io/v2beta1 APIGroupDiscoveryList
};

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kAggregatedV2ContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr std::string_view kAggregatedV2Beta1ContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

struct DiscoveryNegotiation {
  DiscoveryFormat format;
  std::string_view content_type;  // one of the constants above
};

// Picks the format for `/api` and `/apis` from an Accept header: the first media range (by
// q-value, then order) that is aggregated JSON v2 or v2beta1, or plain JSON (`application/json`,
// `application/*`, `*/*`). Protobuf and unknown types are skipped. Never fails: anything
// unusable (empty, malformed, only protobuf) gives legacy JSON, because kubectl treats a 406 on
// discovery as fatal.
DiscoveryNegotiation NegotiateDiscovery(std::string_view accept);

// What `/version` reports. kubectl's dispatcher picks the client binary from `minor`, so it must
// stay "32" for kubectl 1.32 to answer.
struct VersionInfo {
  std::string major = "1";
  std::string minor = "32";
  std::string git_version = "v1.32.0-capstan";
  std::string git_commit = "unknown";
  std::string git_tree_state = "clean";
  std::string build_date = "1970-01-01T00:00:00Z";
  std::string go_version = "none";  // no Go here; clients only print it
  std::string compiler;             // filled from the C++ compiler when empty
  std::string platform;             // "linux/amd64"; filled from the build target when empty
};

struct DiscoveryOptions {
  VersionInfo version;
  // `host:port` clients should use, reported in `/api`'s `serverAddressByClientCIDRs`.
  std::string server_address = "127.0.0.1:6443";
};

// Thread-safety: all methods are thread-safe. Bodies are built once per registry generation
// (under an internal mutex) and shared; requests between changes only copy shared_ptrs.
class Discovery {
 public:
  // `registry` is borrowed and must outlive this object.
  Discovery(const Registry& registry, DiscoveryOptions options);
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // True for the paths `Serve` owns: /version, /api, /apis, /api/<v>, /apis/<g>, /apis/<g>/<v>
  // (a trailing '/' is allowed; no query string). Longer paths are resource URLs.
  static bool IsDiscoveryPath(std::string_view path);

  // The response for a discovery path. `accept` is the request's Accept header (only `/api`
  // and `/apis` look at it). Errors: kNotFound for an unknown group or version, or a path that
  // `IsDiscoveryPath` rejects.
  Result<ServedDocument> Serve(std::string_view path, std::string_view accept) const;

  // The individual documents, as `Serve` returns them.
  ServedDocument Version() const;
  ServedDocument Api(DiscoveryFormat format) const;
  ServedDocument Apis(DiscoveryFormat format) const;
  // Errors: kNotFound when the group-version (or group) is not served.
  Result<ServedDocument> ResourceList(std::string_view group, std::string_view version) const;
  Result<ServedDocument> Group(std::string_view group) const;

 private:
  struct Bodies;
  std::shared_ptr<const Bodies> Current() const;

  const Registry& registry_;
  const DiscoveryOptions options_;
  mutable std::mutex mu_;  // guards `cache_`
  mutable std::shared_ptr<const Bodies> cache_;
};

}  // namespace capstan::api
