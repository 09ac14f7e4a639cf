// The captured node-view service; see snapshot_nodes.h.
#include "plugins/sched/common/snapshot_nodes.h"

#include <atomic>

namespace capstan::sched {
namespace {

std::atomic<capstan_host_sched_node_view_v1_fn>& Service() {
  static std::atomic<capstan_host_sched_node_view_v1_fn> fn{nullptr};
  return fn;
}

std::atomic<capstan_host_sched_affinity_nodes_v1_fn>& AffinityService() {
  static std::atomic<capstan_host_sched_affinity_nodes_v1_fn> fn{nullptr};
  return fn;
}

}  // namespace

void SetAffinityNodesService(capstan_host_sched_affinity_nodes_v1_fn fn) {
  AffinityService().store(fn, std::memory_order_release);
}

capstan_host_sched_affinity_nodes_v1_fn AffinityNodesService() {
  return AffinityService().load(std::memory_order_acquire);
}

void SetNodeViewService(capstan_host_sched_node_view_v1_fn fn) {
  Service().store(fn, std::memory_order_release);
}

capstan_host_sched_node_view_v1_fn NodeViewService() {
  return Service().load(std::memory_order_acquire);
}

void CaptureHostProcs(const capstan_host* host) {
  if (host == nullptr || host->struct_size < offsetof(capstan_host, get_proc) + sizeof(void*) ||
      host->get_proc == nullptr) {
    return;
  }
  SetNodeViewService(reinterpret_cast<capstan_host_sched_node_view_v1_fn>(
      host->get_proc(host->ctx, kNodeViewService)));
  SetAffinityNodesService(reinterpret_cast<capstan_host_sched_affinity_nodes_v1_fn>(
      host->get_proc(host->ctx, kAffinityNodesService)));
}

}  // namespace capstan::sched
