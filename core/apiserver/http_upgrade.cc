// Beast request reconstruction for upgrades (http_upgrade.h).
#include "core/apiserver/http_upgrade.h"

namespace capstan::apiserver {

boost::beast::http::request<boost::beast::http::empty_body> UpgradeRequest(
    const HttpRequest& request) {
  boost::beast::http::request<boost::beast::http::empty_body> out;
  out.method_string(request.method);
  out.target(request.target);
  out.version(request.version);
  for (const auto& [name, value] : request.headers.entries()) out.insert(name, value);
  return out;
}

}  // namespace capstan::apiserver
