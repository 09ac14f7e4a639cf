// What the EndpointSlice controller writes for one Service, computed without I/O: the desired
// endpoints (one group per distinct set of resolved ports, as upstream's reconciler groups them)
// and the plan that turns the Service's existing managed slices into them while moving as few
// endpoints as possible: surviving endpoints stay in their slice, new ones fill slices with room
// before new slices are created, empty slices are deleted, and a Service without endpoints keeps
// one empty placeholder slice. Used by endpointslice_controller.cc; tests in
// tests/plugins/controllers/endpointslice/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_SLICE_PLAN_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_SLICE_PLAN_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kManagedByLabel[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kManagedBy[] = "endpointslice-controller.k8s.io";

struct EndpointGroup {
  Json ports = Json::array();       // discovery/v1 EndpointPorts, sorted
  std::map<std::string, Json> eps;  // endpoint key (pod uid or address) -> discovery Endpoint
};
// Port-list JSON -> group.
using DesiredEndpoints = std::map<std::string, EndpointGroup>;

// Endpoints of the IPv4 pods among `pods` (those the selector matches): conditions
// ready/serving/terminating from the Ready condition, deletionTimestamp and
// publishNotReadyAddresses, nodeName, targetRef, hostname.
DesiredEndpoints DesiredFor(const Json& service, const std::vector<Json>& pods);

struct SlicePlan {
  std::vector<Json> create;         // complete objects with metadata.generateName
  std::vector<Json> update;         // complete objects carrying their resourceVersion
  std::vector<std::string> remove;  // names
  bool empty() const { return create.empty() && update.empty() && remove.empty(); }
};

// `existing`: the slices labelled for this Service and managed by this controller. Slices owned
// by another uid (an earlier Service of the same name) are removed.
SlicePlan PlanSlices(const Json& service, const DesiredEndpoints& desired,
                     const std::vector<Json>& existing, size_t max_per_slice);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTSLICE_SLICE_PLAN_H_
