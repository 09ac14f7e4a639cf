// Host-port conflicts; see node_ports.h.
#include "plugins/sched/node-ports/node_ports.h"

namespace capstan::sched {
sdk::Status NodePorts::PreFilter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                 std::string* node_names_json) {
  (void)call, (void)cycle, (void)node_names_json;
  for (const capstan_sched_host_port& p : pod.host_ports()) {
    if (p.port > 0) return sdk::Status::Ok();
  }
  return sdk::Status::Skip();
}

sdk::Status NodePorts::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                              const sdk::NodeView& node) {
  (void)call, (void)cycle;
  for (const capstan_sched_host_port& want : pod.host_ports()) {
    if (want.port <= 0) continue;
    for (const capstan_sched_host_port& used : node.used_host_ports()) {
      if (HostPortsConflict(want, used)) return sdk::Status::Unschedulable(kNodePortsReason);
    }
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
