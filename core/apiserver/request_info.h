// `RequestInfo`: what a Kubernetes API request addresses (group, version, namespace, resource,
// name, subresource) and its verb, parsed from the method and URL path as the upstream
// apiserver's RequestInfoFactory does. Used by authorization and routing (api_handler.cc).
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::apiserver {

struct RequestInfo {
  // False for non-resource paths (/healthz, /version, /openapi/v3, /api, /apis, /apis/<g>).
  bool is_resource_request = false;
  std::string path;
  // Resource requests: get, list, watch, create, update, patch, delete, deletecollection.
  // Non-resource requests: the lower-case HTTP method.
  std::string verb;
  std::string api_prefix;  // "api" or "apis"
  std::string api_group;   // "" for the core group
  std::string api_version;
  std::string namespace_name;
  std::string resource;
  std::string name;
  std::string subresource;
};

// Parses `path` (already percent-decoded, without query). `watch` is the value of the `watch`
// query parameter being true. Never fails: unknown shapes become non-resource requests.
RequestInfo ParseRequestInfo(std::string_view method, std::string_view path, bool watch);

}  // namespace capstan::apiserver
