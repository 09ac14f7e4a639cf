// API discovery for controllers that act on every served resource (garbage collector,
// namespace controller): reads /api/v1, /apis and each group's preferred version through the
// host's API client, and answers "which resource serves apiVersion X, kind Y". Sees only the
// SDK. Partners: api.h. Tests in tests/plugins/controllers/kit/discovery_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_DISCOVERY_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_DISCOVERY_H_

#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/call.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// One served resource (not a subresource).
struct ApiResource {
  std::string group_version;  // "v1", "apps/v1"
  std::string kind;           // "ReplicaSet"
  std::string plural;         // "replicasets"
  bool namespaced = false;
  std::vector<std::string> verbs;

  bool Can(std::string_view verb) const;
  // The controller host's resource name: "/v1/pods", "apps/v1/replicasets".
  std::string HostResource() const;
  // ApiPath for this resource.
  std::string Path(std::string_view ns, std::string_view name = {}) const;
};

// The resources of one discovery document (APIResourceList JSON) whose names have no '/'.
std::vector<ApiResource> ParseResourceList(const Json& list);

// Every resource of the core group and of each group's preferred version, in discovery order.
// Groups whose document fails to load are skipped and named in `*failed_groups` (when not
// NULL), as upstream's partial discovery; `*first_error` (when not NULL) gets the first such
// failure's message. Errors: the status of GET /api/v1 or GET /apis.
sdk::Status DiscoverResources(sdk::Call& call, std::vector<ApiResource>* out,
                              std::vector<std::string>* failed_groups = nullptr,
                              std::string* first_error = nullptr);

// The resource serving objects of `api_version` and `kind`, or NULL.
const ApiResource* FindByKind(const std::vector<ApiResource>& resources,
                              std::string_view api_version, std::string_view kind);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_DISCOVERY_H_
