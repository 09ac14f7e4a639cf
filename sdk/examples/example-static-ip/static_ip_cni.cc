// Example CNI plugin `example-static-ip`: ADD/DEL/CHECK/STATUS/GC (see static_ip_cni.h).
#include "static_ip_cni.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <iterator>
#include <optional>

#include "capstan/sdk/json.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;

bool IsAddress(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsCidr(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash + 1 == s.size()) return false;
  std::string ip = s.substr(0, slash);
  char* end = nullptr;
  long bits = std::strtol(s.c_str() + slash + 1, &end, 10);
  long max = ip.find(':') == std::string::npos ? 32 : 128;
  return *end == '\0' && bits >= 0 && bits <= max && IsAddress(ip);
}

// The request's cniVersion, if it is one this plugin speaks.
std::optional<std::string> NegotiatedVersion(const Json& net_config) {
  std::string v = sdk::json::GetString(net_config, "cniVersion").value_or("1.1.0");
  if (v == "1.0.0" || v == "1.1.0") return v;
  return std::nullopt;
}

}  // namespace

sdk::Status StaticIpCni::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  address_ = sdk::json::GetString(*config, "address").value_or("");
  if (!IsCidr(address_)) return sdk::Status::Invalid("address must be a CIDR: '" + address_ + "'");
  gateway_ = sdk::json::GetString(*config, "gateway").value_or("");
  if (!gateway_.empty() && !IsAddress(gateway_)) {
    return sdk::Status::Invalid("gateway is not an address: '" + gateway_ + "'");
  }
  if (const Json* routes = sdk::json::GetArray(*config, "routes"))
    routes_json_ = sdk::json::Dump(*routes);
  if (const Json* dns = sdk::json::GetObject(*config, "dns")) dns_json_ = sdk::json::Dump(*dns);
  return sdk::Status::Ok();
}

sdk::Status StaticIpCni::CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                                std::string* result_json) {
  (void)call;
  std::optional<Json> net = sdk::json::Parse(request.config_json());
  if (!net || !net->is_object()) return sdk::Status::Invalid("network config is not JSON");
  std::optional<std::string> version = NegotiatedVersion(*net);
  if (!version) return sdk::Status::Invalid("incompatible cniVersion (speaks 1.0.0, 1.1.0)");
  std::string id(request.container_id());
  if (id.empty()) return sdk::Status::Invalid("CNI_CONTAINERID is empty");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!attached_.empty() && attached_.begin()->first != id) {
      return sdk::Status::Error("address " + address_ + " is in use by container " +
                                attached_.begin()->first);
    }
    attached_[id] = Attachment{std::string(request.ifname()), std::string(request.netns())};
  }
  Json ip = {{"address", address_}, {"interface", 0}};
  if (!gateway_.empty()) ip["gateway"] = gateway_;
  Json result = {{"cniVersion", *version},
                 {"interfaces", Json::array({Json{{"name", std::string(request.ifname())},
                                                  {"sandbox", std::string(request.netns())}}})},
                 {"ips", Json::array({ip})},
                 {"routes", sdk::json::Parse(routes_json_).value_or(Json::array())},
                 {"dns", sdk::json::Parse(dns_json_).value_or(Json::object())}};
  *result_json = sdk::json::Dump(result);
  return sdk::Status::Ok();
}

sdk::Status StaticIpCni::CniDel(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::lock_guard<std::mutex> lock(mu_);
  attached_.erase(std::string(request.container_id()));
  return sdk::Status::Ok();
}

sdk::Status StaticIpCni::CniCheck(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = attached_.find(std::string(request.container_id()));
  if (it == attached_.end()) {
    return sdk::Status::Error("container " + std::string(request.container_id()) +
                              " holds no address");
  }
  if (it->second.ifname != request.ifname()) {
    return sdk::Status::Error("address is on " + it->second.ifname + ", not " +
                              std::string(request.ifname()));
  }
  return sdk::Status::Ok();
}

sdk::Status StaticIpCni::CniStatus(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call, (void)request;
  return sdk::Status::Ok();
}

sdk::Status StaticIpCni::CniGc(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::optional<Json> net = sdk::json::Parse(request.config_json());
  if (!net || !net->is_object()) return sdk::Status::Invalid("network config is not JSON");
  static const Json kNone = Json::array();
  const Json* valid = sdk::json::GetArray(*net, "cni.dev/valid-attachments");
  const Json& keep_list = valid != nullptr ? *valid : kNone;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = attached_.begin(); it != attached_.end();) {
    bool keep = false;
    for (const Json& a : keep_list) {
      keep = keep || (sdk::json::GetString(a, "containerID") == it->first &&
                      sdk::json::GetString(a, "ifname") == it->second.ifname);
    }
    it = keep ? std::next(it) : attached_.erase(it);
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::examples
