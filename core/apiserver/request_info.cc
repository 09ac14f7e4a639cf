// URL → RequestInfo, following the shapes of the upstream apiserver (request_info.h).
#include "core/apiserver/request_info.h"

#include <vector>

namespace capstan::apiserver {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

std::string LowerMethod(std::string_view method) {
  std::string out(method);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

RequestInfo ParseRequestInfo(std::string_view method, std::string_view path, bool watch) {
  RequestInfo info;
  info.path = std::string(path);
  info.verb = LowerMethod(method);
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = std::string(parts[0]);
  size_t pos = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 4) return info;  // /apis, /apis/<group>, /apis/<group>/<version>: discovery
    info.api_group = std::string(parts[1]);
    pos = 2;
  } else if (parts.size() < 3) {
    return info;  // /api, /api/v1: discovery
  }
  info.api_version = std::string(parts[pos++]);
  info.is_resource_request = true;

  // Legacy "/watch/" prefix: /api/v1/watch/namespaces/x/pods.
  bool legacy_watch = false;
  if (pos < parts.size() && parts[pos] == "watch") {
    legacy_watch = true;
    ++pos;
  }
  std::vector<std::string_view> rest(parts.begin() + static_cast<std::ptrdiff_t>(pos), parts.end());
  if (!rest.empty() && rest[0] == "namespaces" && rest.size() > 1) {
    info.namespace_name = std::string(rest[1]);
    // "namespaces/<ns>/<resource>..." addresses a namespaced resource, except the namespace's
    // own subresources (status, finalize).
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (!rest.empty()) info.resource = std::string(rest[0]);
  if (rest.size() > 1) info.name = std::string(rest[1]);
  if (rest.size() > 2) info.subresource = std::string(rest[2]);
  if (rest.size() > 3) {  // deeper paths (e.g. proxy/<path>) keep the rest in the subresource
    info.is_resource_request = info.subresource == "proxy";
  }

  const std::string m = LowerMethod(method);
  if (m == "get" || m == "head") {
    if (watch || legacy_watch) {
      info.verb = "watch";
    } else {
      info.verb = info.name.empty() ? "list" : "get";
    }
  } else if (m == "post") {
    info.verb = "create";
  } else if (m == "put") {
    info.verb = "update";
  } else if (m == "patch") {
    info.verb = "patch";
  } else if (m == "delete") {
    info.verb = info.name.empty() ? "deletecollection" : "delete";
  }
  return info;
}

}  // namespace capstan::apiserver
