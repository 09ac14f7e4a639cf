// API paths and query escaping (paths.h).
#include "core/client/paths.h"

#include <cctype>

namespace capstan::client {

std::string ResourcePath(std::string_view group, std::string_view version,
                         std::string_view resource, std::string_view ns, std::string_view name,
                         std::string_view subresource) {
  std::string p = group.empty() ? "/api/" : "/apis/" + std::string(group) + "/";
  p += version;
  if (!ns.empty()) {
    p += "/namespaces/";
    p += ns;
  }
  p += '/';
  p += resource;
  if (!name.empty()) {
    p += '/';
    p += name;
    if (!subresource.empty()) {
      p += '/';
      p += subresource;
    }
  }
  return p;
}

std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace capstan::client
