// Endpoints subsets from pods (endpoints_subsets.h).
#include "plugins/controllers/endpoints/endpoints_subsets.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {
namespace {

struct Group {
  Json ports;
  std::vector<Json> ready;
  std::vector<Json> not_ready;
};

// The Endpoints ports of `pod` for the Service's ports; unresolvable named ports are skipped.
Json PodPorts(const Json& service, const Json& pod) {
  Json out = Json::array();
  const Json* ports = sdk::json::FindPath(service, {"spec", "ports"});
  for (const Json& sp : ports != nullptr && ports->is_array() ? *ports : Json::array()) {
    std::optional<int64_t> number = ResolveTargetPort(sp, pod);
    if (!number) continue;
    Json port = {{"port", *number}, {"protocol", GetStr(sp, {"protocol"}, "TCP")}};
    if (std::string name = GetStr(sp, {"name"}); !name.empty()) port["name"] = name;
    if (std::string app = GetStr(sp, {"appProtocol"}); !app.empty()) port["appProtocol"] = app;
    out.push_back(std::move(port));
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
    return std::make_tuple(GetStr(a, {"name"}), GetNum(a, {"port"}), GetStr(a, {"protocol"})) <
           std::make_tuple(GetStr(b, {"name"}), GetNum(b, {"port"}), GetStr(b, {"protocol"}));
  });
  return out;
}

bool ByIp(const Json& a, const Json& b) {
  return std::make_pair(GetStr(a, {"ip"}), GetStr(a, {"targetRef", "uid"})) <
         std::make_pair(GetStr(b, {"ip"}), GetStr(b, {"targetRef", "uid"}));
}

}  // namespace

Json BuildSubsets(const Json& service, const std::vector<Json>& pods, int64_t max_addresses,
                  bool* truncated) {
  *truncated = false;
  bool publish_not_ready = PublishNotReadyAddresses(service);
  const Json* service_ports = sdk::json::FindPath(service, {"spec", "ports"});
  bool no_ports = service_ports == nullptr || !service_ports->is_array() || service_ports->empty();
  std::map<std::string, Group> groups;  // by the dumped port list
  for (const Json& pod : pods) {
    if (!ShouldPodBeInEndpoints(pod, publish_not_ready)) continue;
    Json address = {{"ip", PodIpv4(pod)}, {"targetRef", PodReference(pod)}};
    if (std::string node = GetStr(pod, {"spec", "nodeName"}); !node.empty()) {
      address["nodeName"] = node;
    }
    if (ShouldSetHostname(pod, service)) address["hostname"] = GetStr(pod, {"spec", "hostname"});
    Json ports = PodPorts(service, pod);
    // A headless Service without ports still lists its pods; otherwise a pod needs a port.
    if (ports.empty() && !(no_ports && IsHeadless(service))) continue;
    Group& g = groups[sdk::json::Dump(ports)];
    g.ports = ports;
    (publish_not_ready || IsPodReady(pod) ? g.ready : g.not_ready).push_back(std::move(address));
  }
  Json subsets = Json::array();
  int64_t budget = max_addresses;
  for (std::vector<Json> Group::*which : {&Group::ready, &Group::not_ready}) {
    for (auto& [key, g] : groups) {
      std::vector<Json>& list = g.*which;
      std::sort(list.begin(), list.end(), ByIp);
      if (static_cast<int64_t>(list.size()) > budget) {
        list.resize(static_cast<size_t>(std::max<int64_t>(budget, 0)));
        *truncated = true;
      }
      budget -= static_cast<int64_t>(list.size());
    }
  }
  for (auto& [key, g] : groups) {
    if (g.ready.empty() && g.not_ready.empty()) continue;
    Json subset = Json::object();
    if (!g.ready.empty()) subset["addresses"] = g.ready;
    if (!g.not_ready.empty()) subset["notReadyAddresses"] = g.not_ready;
    if (!g.ports.empty()) subset["ports"] = g.ports;
    subsets.push_back(std::move(subset));
  }
  return subsets;
}

}  // namespace capstan::controllers
