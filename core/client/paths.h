// Building API paths and query strings for ApiClient calls: collection and object paths of core
// ("/api/v1/...") and group ("/apis/<group>/<version>/...") resources, and query escaping.
// Implementation in paths.cc; used by informer_list.cc and leader_elector.cc.
#pragma once

#include <string>
#include <string_view>

namespace capstan::client {

// "/api/v1/namespaces/default/pods/web-0/binding" and the like. `group` "" means the core
// group. Empty `ns` gives the cluster-wide (or cluster-scoped) path; empty `name` the collection;
// `subresource` is appended only with a name. Values are used as given (names are already
// DNS-safe by validation).
std::string ResourcePath(std::string_view group, std::string_view version,
                         std::string_view resource, std::string_view ns = "",
                         std::string_view name = "", std::string_view subresource = "");

// Percent-encodes everything but unreserved characters (RFC 3986), for query values such as
// label selectors ("app in (web)" -> "app%20in%20%28web%29").
std::string QueryEscape(std::string_view value);

}  // namespace capstan::client
