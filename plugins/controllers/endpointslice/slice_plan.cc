// Desired endpoints and the slice write plan (slice_plan.h).
#include "plugins/controllers/endpointslice/slice_plan.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {
namespace {

Json PodPorts(const Json& service, const Json& pod) {
  Json out = Json::array();
  const Json* ports = sdk::json::FindPath(service, {"spec", "ports"});
  for (const Json& sp : ports != nullptr && ports->is_array() ? *ports : Json::array()) {
    std::optional<int64_t> number = ResolveTargetPort(sp, pod);
    if (!number) continue;  // a named port this pod does not declare
    Json port = {{"name", GetStr(sp, {"name"})},
                 {"port", *number},
                 {"protocol", GetStr(sp, {"protocol"}, "TCP")}};
    if (std::string app = GetStr(sp, {"appProtocol"}); !app.empty()) port["appProtocol"] = app;
    out.push_back(std::move(port));
  }
  std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
    return std::make_tuple(GetStr(a, {"name"}), GetNum(a, {"port"}), GetStr(a, {"protocol"})) <
           std::make_tuple(GetStr(b, {"name"}), GetNum(b, {"port"}), GetStr(b, {"protocol"}));
  });
  return out;
}

std::string EndpointKey(const Json& ep) {
  std::string uid = GetStr(ep, {"targetRef", "uid"});
  if (!uid.empty()) return uid;
  const Json* addresses = sdk::json::Find(ep, "addresses");
  return addresses != nullptr && addresses->is_array() && !addresses->empty() &&
                 (*addresses)[0].is_string()
             ? (*addresses)[0].get<std::string>()
             : std::string();
}

Json SliceLabels(const Json& service) {
  const Json* labels = Labels(service);
  Json out = labels != nullptr && labels->is_object() ? *labels : Json::object();
  out.erase(kHeadlessLabel);
  if (IsHeadless(service)) out[kHeadlessLabel] = "";
  out[kServiceNameLabel] = Name(service);
  out[kManagedByLabel] = kManagedBy;
  return out;
}

Json OwnerRefs(const Json& service) {
  return Json::array({NewControllerRef(service, "v1", "Service")});
}

Json ArrayOr(const Json& obj, std::string_view key) {
  const Json* v = sdk::json::Find(obj, key);
  return v != nullptr && v->is_array() ? *v : Json::array();
}

// A new slice of `service` with `ports` and `endpoints`.
Json NewSlice(const Json& service, const Json& ports, Json endpoints) {
  std::string prefix = Name(service).substr(0, 57) + "-";
  return Json{{"apiVersion", "discovery.k8s.io/v1"},
              {"kind", "EndpointSlice"},
              {"metadata",
               {{"generateName", prefix},
                {"namespace", Namespace(service)},
                {"labels", SliceLabels(service)},
                {"ownerReferences", OwnerRefs(service)}}},
              {"addressType", "IPv4"},
              {"endpoints", std::move(endpoints)},
              {"ports", ports}};
}

bool ByAddress(const Json& a, const Json& b) { return EndpointKey(a) < EndpointKey(b); }

}  // namespace

DesiredEndpoints DesiredFor(const Json& service, const std::vector<Json>& pods) {
  DesiredEndpoints out;
  bool publish = PublishNotReadyAddresses(service);
  for (const Json& pod : pods) {
    if (!ShouldPodBeInEndpoints(pod, /*include_terminating=*/true)) continue;
    bool serving = IsPodReady(pod);
    bool terminating = Deleting(pod);
    // As upstream: never ready while terminating, unless publishNotReadyAddresses.
    bool ready = publish || (serving && !terminating);
    Json ep = {
        {"addresses", Json::array({PodIpv4(pod)})},
        {"conditions", {{"ready", ready}, {"serving", serving}, {"terminating", terminating}}},
        {"targetRef", PodReference(pod)}};
    if (std::string node = GetStr(pod, {"spec", "nodeName"}); !node.empty()) ep["nodeName"] = node;
    if (ShouldSetHostname(pod, service)) ep["hostname"] = GetStr(pod, {"spec", "hostname"});
    Json ports = PodPorts(service, pod);
    EndpointGroup& g = out[sdk::json::Dump(ports)];
    g.ports = ports;
    g.eps[Uid(pod)] = std::move(ep);
  }
  return out;
}

SlicePlan PlanSlices(const Json& service, const DesiredEndpoints& desired,
                     const std::vector<Json>& existing, size_t max_per_slice) {
  SlicePlan plan;
  std::set<std::string> placed;  // endpoint keys already kept in a slice
  struct Kept {
    Json slice;
    Json endpoints;
    std::string port_key;
  };
  std::vector<Kept> kept;
  std::vector<const Json*> sorted;
  sorted.reserve(existing.size());
  for (const Json& s : existing) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](const Json* a, const Json* b) { return Name(*a) < Name(*b); });
  const Json* placeholder = nullptr;  // an existing empty slice, reused when nothing is desired
  for (const Json* slice : sorted) {
    const Json* ref = ControllerRef(*slice);
    if (ref == nullptr || GetStr(*ref, {"uid"}) != Uid(service)) {
      plan.remove.push_back(Name(*slice));
      continue;
    }
    std::string port_key = sdk::json::Dump(ArrayOr(*slice, "ports"));
    auto group = desired.find(port_key);
    Json endpoints = Json::array();
    for (const Json& ep : ArrayOr(*slice, "endpoints")) {
      std::string k = EndpointKey(ep);
      if (group == desired.end() || placed.count(k) != 0) continue;
      auto it = group->second.eps.find(k);
      if (it == group->second.eps.end() || endpoints.size() >= max_per_slice) continue;
      endpoints.push_back(it->second);
      placed.insert(k);
    }
    if (endpoints.empty()) {
      if (placeholder == nullptr && ArrayOr(*slice, "endpoints").empty()) {
        placeholder = slice;
      } else {
        plan.remove.push_back(Name(*slice));
      }
      continue;
    }
    kept.push_back({*slice, std::move(endpoints), port_key});
  }
  // New endpoints fill kept slices of their port set, then new slices.
  std::vector<Json> created;
  for (const auto& [port_key, group] : desired) {
    std::vector<Json> fresh;
    for (const auto& [k, ep] : group.eps) {
      if (placed.count(k) == 0) fresh.push_back(ep);
    }
    std::sort(fresh.begin(), fresh.end(), ByAddress);
    size_t next = 0;
    for (Kept& k : kept) {
      while (k.port_key == port_key && next < fresh.size() && k.endpoints.size() < max_per_slice) {
        k.endpoints.push_back(fresh[next++]);
      }
    }
    while (next < fresh.size()) {
      Json chunk = Json::array();
      while (next < fresh.size() && chunk.size() < max_per_slice) chunk.push_back(fresh[next++]);
      created.push_back(NewSlice(service, group.ports, std::move(chunk)));
    }
  }
  if (placeholder != nullptr) {
    if (kept.empty() && created.empty()) {
      kept.push_back({*placeholder, Json::array(), sdk::json::Dump(Json::array())});
    } else {
      plan.remove.push_back(Name(*placeholder));
    }
  }
  if (kept.empty() && created.empty()) {
    created.push_back(NewSlice(service, Json::array(), Json::array()));
  }
  Json labels = SliceLabels(service);
  Json owners = OwnerRefs(service);
  for (Kept& k : kept) {
    Json updated = k.slice;
    updated["metadata"]["labels"] = labels;
    updated["metadata"]["ownerReferences"] = owners;
    updated["addressType"] = "IPv4";
    updated["endpoints"] = std::move(k.endpoints);
    if (!sdk::json::Find(updated, "ports")) updated["ports"] = Json::array();
    if (updated != k.slice) plan.update.push_back(std::move(updated));
  }
  plan.create = std::move(created);
  return plan;
}

}  // namespace capstan::controllers
