// Parsing Services and EndpointSlices into the proxy model, and joining them (service_model.h).
#include "core/proxy/service_model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace capstan::proxy {
namespace {

using Json = nlohmann::json;

// Non-throwing field access: a missing or mistyped field reads as empty.
const Json& Field(const Json& object, const char* key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Str(const Json& object, const char* key) {
  const Json& v = Field(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t Int(const Json& object, const char* key) {
  const Json& v = Field(object, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

uint16_t Port(const Json& object, const char* key) {
  int64_t p = Int(object, key);
  return p > 0 && p <= 65535 ? static_cast<uint16_t>(p) : 0;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsIpv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

std::vector<std::string> Ipv4List(const Json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const Json& v : list) {
    if (v.is_string() && IsIpv4(v.get<std::string>())) out.push_back(v.get<std::string>());
  }
  return out;
}

// A condition: absent (null) means `absent_value`.
bool Condition(const Json& conditions, const char* key, bool absent_value) {
  const Json& v = Field(conditions, key);
  return v.is_boolean() ? v.get<bool>() : absent_value;
}

}  // namespace

ServiceInfo ParseService(const Json& service) {
  ServiceInfo s;
  const Json& meta = Field(service, "metadata");
  const Json& spec = Field(service, "spec");
  s.ns = Str(meta, "namespace");
  s.name = Str(meta, "name");
  std::string type = Str(spec, "type");
  s.cluster_ips = Ipv4List(Field(spec, "clusterIPs"));
  std::string cluster_ip = Str(spec, "clusterIP");
  if (s.cluster_ips.empty() && IsIpv4(cluster_ip)) s.cluster_ips.push_back(cluster_ip);
  s.external_ips = Ipv4List(Field(spec, "externalIPs"));
  if (type == "LoadBalancer") {
    // The load-balancer addresses (service-lb or any implementation that sets status) are
    // served like externalIPs: the node answers for them itself.
    const Json& ingress = Field(Field(Field(service, "status"), "loadBalancer"), "ingress");
    if (ingress.is_array()) {
      for (const Json& i : ingress) {
        std::string ip = Str(i, "ip");
        if (IsIpv4(ip) &&
            std::find(s.external_ips.begin(), s.external_ips.end(), ip) == s.external_ips.end()) {
          s.external_ips.push_back(ip);
        }
      }
    }
  }
  s.proxied = type != "ExternalName" && !s.cluster_ips.empty();
  s.external_local = Str(spec, "externalTrafficPolicy") == "Local";
  if (Str(spec, "sessionAffinity") == "ClientIP") {
    int64_t t = Int(Field(Field(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
    s.affinity_timeout_seconds = t > 0 && t <= 86400 ? static_cast<int32_t>(t) : 10800;
  }
  const Json& ports = Field(spec, "ports");
  if (ports.is_array()) {
    for (const Json& p : ports) {
      ServicePortSpec sp;
      sp.name = Str(p, "name");
      sp.protocol = Lower(Str(p, "protocol"));
      if (sp.protocol.empty()) sp.protocol = "tcp";
      sp.port = Port(p, "port");
      sp.node_port = Port(p, "nodePort");
      if (sp.port != 0) s.ports.push_back(std::move(sp));
    }
  }
  return s;
}

SliceInfo ParseEndpointSlice(const Json& slice) {
  SliceInfo s;
  const Json& meta = Field(slice, "metadata");
  s.ns = Str(meta, "namespace");
  s.name = Str(meta, "name");
  s.service = Str(Field(meta, "labels"), "kubernetes.io/service-name");
  const Json& ports = Field(slice, "ports");
  if (ports.is_array()) {
    for (const Json& p : ports) {
      SlicePort sp{Str(p, "name"), Lower(Str(p, "protocol")), Port(p, "port")};
      if (sp.protocol.empty()) sp.protocol = "tcp";
      s.ports.push_back(std::move(sp));
    }
  }
  if (Str(slice, "addressType") != "IPv4") return s;
  const Json& endpoints = Field(slice, "endpoints");
  if (!endpoints.is_array()) return s;
  for (const Json& e : endpoints) {
    SliceEndpoint se;
    se.addresses = Ipv4List(Field(e, "addresses"));
    se.node_name = Str(e, "nodeName");
    const Json& c = Field(e, "conditions");
    se.ready = Condition(c, "ready", true);
    se.serving = Condition(c, "serving", se.ready);
    se.terminating = Condition(c, "terminating", false);
    if (!se.addresses.empty()) s.endpoints.push_back(std::move(se));
  }
  return s;
}

std::vector<ServicePortState> BuildPortStates(const ServiceInfo& service,
                                              const std::vector<const SliceInfo*>& slices,
                                              const std::string& node_name) {
  std::vector<ServicePortState> out;
  if (!service.proxied) return out;
  for (const ServicePortSpec& sp : service.ports) {
    ServicePortState st;
    st.id = service.ns + "/" + service.name + "/" + sp.protocol + "/" + std::to_string(sp.port);
    st.protocol = sp.protocol;
    st.port = sp.port;
    st.node_port = sp.node_port;
    st.cluster_ips = service.cluster_ips;
    st.external_ips = service.external_ips;
    st.external_local = service.external_local;
    st.affinity_timeout_seconds = service.affinity_timeout_seconds;
    std::vector<Endpoint> ready, fallback;
    for (const SliceInfo* slice : slices) {
      for (const SlicePort& p : slice->ports) {
        if (p.name != sp.name || p.protocol != sp.protocol || p.port == 0) continue;
        for (const SliceEndpoint& e : slice->endpoints) {
          Endpoint ep{e.addresses.front(), p.port, !node_name.empty() && e.node_name == node_name};
          if (e.ready) {
            ready.push_back(ep);
          } else if (e.serving && e.terminating) {
            fallback.push_back(ep);
          }
        }
      }
    }
    std::vector<Endpoint>& chosen = ready.empty() ? fallback : ready;
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    st.endpoints = std::move(chosen);
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace capstan::proxy
