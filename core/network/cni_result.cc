// Parsing of CNI result documents (cni_result.h).
#include "core/network/cni_result.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

namespace capstan::network {
namespace {

using nlohmann::json;

Status Bad(std::string_view what) { return InternalError("CNI result: " + std::string(what)); }

bool IsCidr(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos || slash + 1 == s.size()) return false;
  std::string ip = s.substr(0, slash);
  char* end = nullptr;
  long bits = std::strtol(s.c_str() + slash + 1, &end, 10);
  bool v6 = ip.find(':') != std::string::npos;
  unsigned char buf[sizeof(struct in6_addr)];
  return *end == '\0' && bits >= 0 && bits <= (v6 ? 128 : 32) &&
         inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), buf) == 1;
}

// Reads `obj[key]` as a string into `*out`; absent is fine, another type is an error.
Status OptString(const json& obj, const char* key, const std::string& path, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return Bad(path + "." + key + " is not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status OptStrings(const json& obj, const char* key, const std::string& path,
                  std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return Bad(path + "." + key + " is not a list");
  for (const json& v : *it) {
    if (!v.is_string()) return Bad(path + "." + key + " holds a non-string");
    out->push_back(v.get<std::string>());
  }
  return Status::Ok();
}

// The list `doc[key]` (absent: empty) with each element checked to be an object.
Result<const json*> ObjectList(const json& doc, const char* key) {
  static const json kEmpty = json::array();
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return &kEmpty;
  if (!it->is_array()) return Bad(std::string(key) + " is not a list");
  for (const json& v : *it) {
    if (!v.is_object()) return Bad(std::string(key) + " holds a non-object");
  }
  return &*it;
}

Status ParseIps(const json& doc, CniResult& r) {
  Result<const json*> ips = ObjectList(doc, "ips");
  if (!ips.ok()) return ips.status();
  for (size_t i = 0; i < (*ips)->size(); ++i) {
    const json& v = (**ips)[i];
    std::string path = "ips[" + std::to_string(i) + "]";
    CniIp ip;
    CAPSTAN_RETURN_IF_ERROR(OptString(v, "address", path, &ip.address));
    if (!IsCidr(ip.address)) return Bad(path + ".address '" + ip.address + "' is not a CIDR");
    CAPSTAN_RETURN_IF_ERROR(OptString(v, "gateway", path, &ip.gateway));
    auto idx = v.find("interface");
    if (idx != v.end() && !idx->is_null()) {
      if (!idx->is_number_integer() || idx->get<int64_t>() < 0 ||
          idx->get<int64_t>() >= static_cast<int64_t>(r.interfaces.size())) {
        return Bad(path + ".interface is not an index into interfaces");
      }
      ip.interface = static_cast<int>(idx->get<int64_t>());
    }
    r.ips.push_back(std::move(ip));
  }
  return Status::Ok();
}

Status ParseDocument(const json& doc, CniResult& r) {
  if (!doc.is_object()) return Bad("not a JSON object");
  if (doc.contains("code") && !doc.contains("ips") && !doc.contains("interfaces")) {
    return Bad("an error document, not a result");
  }
  CAPSTAN_RETURN_IF_ERROR(OptString(doc, "cniVersion", "result", &r.cni_version));
  Result<const json*> ifaces = ObjectList(doc, "interfaces");
  if (!ifaces.ok()) return ifaces.status();
  for (size_t i = 0; i < (*ifaces)->size(); ++i) {
    const json& v = (**ifaces)[i];
    std::string path = "interfaces[" + std::to_string(i) + "]";
    CniInterface iface;
    CAPSTAN_RETURN_IF_ERROR(OptString(v, "name", path, &iface.name));
    CAPSTAN_RETURN_IF_ERROR(OptString(v, "mac", path, &iface.mac));
    CAPSTAN_RETURN_IF_ERROR(OptString(v, "sandbox", path, &iface.sandbox));
    r.interfaces.push_back(std::move(iface));
  }
  CAPSTAN_RETURN_IF_ERROR(ParseIps(doc, r));
  Result<const json*> routes = ObjectList(doc, "routes");
  if (!routes.ok()) return routes.status();
  for (size_t i = 0; i < (*routes)->size(); ++i) {
    std::string path = "routes[" + std::to_string(i) + "]";
    CniRoute route;
    CAPSTAN_RETURN_IF_ERROR(OptString((**routes)[i], "dst", path, &route.dst));
    CAPSTAN_RETURN_IF_ERROR(OptString((**routes)[i], "gw", path, &route.gw));
    r.routes.push_back(std::move(route));
  }
  auto dns = doc.find("dns");
  if (dns != doc.end() && !dns->is_null()) {
    if (!dns->is_object()) return Bad("dns is not an object");
    CAPSTAN_RETURN_IF_ERROR(OptStrings(*dns, "nameservers", "dns", &r.dns.nameservers));
    CAPSTAN_RETURN_IF_ERROR(OptString(*dns, "domain", "dns", &r.dns.domain));
    CAPSTAN_RETURN_IF_ERROR(OptStrings(*dns, "search", "dns", &r.dns.search));
    CAPSTAN_RETURN_IF_ERROR(OptStrings(*dns, "options", "dns", &r.dns.options));
  }
  return Status::Ok();
}

}  // namespace

std::string CniIp::Ip() const { return address.substr(0, address.find('/')); }

std::vector<std::string> CniResult::PodIps() const {
  std::vector<std::string> out;
  for (bool v6 : {false, true}) {
    for (const CniIp& ip : ips) {
      if (ip.IsV6() == v6) out.push_back(ip.Ip());
    }
  }
  return out;
}

std::string CniResult::PrimaryIp() const {
  std::vector<std::string> all = PodIps();
  return all.empty() ? std::string() : all.front();
}

Result<CniResult> ParseCniResult(std::string_view json_text) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad("not valid JSON");
  CniResult r;
  CAPSTAN_RETURN_IF_ERROR(ParseDocument(doc, r));
  r.raw_json = std::string(json_text);
  return r;
}

}  // namespace capstan::network
