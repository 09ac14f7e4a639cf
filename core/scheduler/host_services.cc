// The scheduler's host services (host_services.h): C entry points that resolve the opaque
// handles back to SchedObject / CycleState and never throw.
#include "core/scheduler/host_services.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/sched.h"
#include "core/plugin/call.h"
#include "core/scheduler/cycle_state.h"
#include "core/scheduler/pod_info.h"

namespace capstan::scheduler {
namespace {

constexpr char kServicesKey[] = "capstan.scheduler.services";

std::string_view View(capstan_host_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len);
}

capstan_rc ObjectJson(capstan_host_ctx*, capstan_sched_object* object, capstan_host_buf* out) {
  if (out == nullptr) return CAPSTAN_RC_INVALID;
  *out = capstan_host_buf{nullptr, 0};
  if (object == nullptr) return CAPSTAN_RC_INVALID;
  try {
    const std::string& text = SchedObject::FromHandle(object)->Text();
    *out = capstan_host_buf{reinterpret_cast<const uint8_t*>(text.data()), text.size()};
    return CAPSTAN_RC_OK;
  } catch (...) {
    return CAPSTAN_RC_ERROR;
  }
}

capstan_rc NodePods(capstan_host_ctx*, capstan_sched_cycle* cycle, uint32_t node_index,
                    const capstan_sched_pod_view** out_pods, uint32_t* out_count) {
  if (out_pods == nullptr || out_count == nullptr || cycle == nullptr) return CAPSTAN_RC_INVALID;
  *out_pods = nullptr;
  *out_count = 0;
  const Snapshot* snapshot = CycleState::FromHandle(cycle)->snapshot();
  if (snapshot == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  if (node_index >= snapshot->size()) return CAPSTAN_RC_NOT_FOUND;
  const SnapshotNode& node = snapshot->node(node_index);
  *out_pods = node.pod_views.empty() ? nullptr : node.pod_views.data();
  *out_count = static_cast<uint32_t>(node.pod_views.size());
  return CAPSTAN_RC_OK;
}

// "capstan_host_sched_node_view_v1" (capstan/abi/sched.h): the view of snapshot node
// `node_index`; NOT_FOUND past the last node, so PreFilter/PreScore of inter-pod-affinity and
// pod-topology-spread can walk every node.
using NodeViewFn = capstan_host_sched_node_view_v1_fn;

capstan_rc NodeView(capstan_host_ctx*, capstan_sched_cycle* cycle, uint32_t node_index,
                    const capstan_sched_node_view** out_node) {
  if (out_node == nullptr || cycle == nullptr) return CAPSTAN_RC_INVALID;
  *out_node = nullptr;
  const Snapshot* snapshot = CycleState::FromHandle(cycle)->snapshot();
  if (snapshot == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  if (node_index >= snapshot->size()) return CAPSTAN_RC_NOT_FOUND;
  *out_node = &snapshot->node(node_index).view;
  return CAPSTAN_RC_OK;
}

// "capstan_host_sched_affinity_nodes_v1" (capstan/abi/sched.h): the snapshot's precomputed
// lists of nodes holding pods with affinity terms; a mask of both bits answers the affinity
// list, which includes every node of the anti-affinity one.
capstan_rc AffinityNodes(capstan_host_ctx*, capstan_sched_cycle* cycle, uint32_t pod_flags,
                         const uint32_t** out_indices, uint32_t* out_count) {
  if (out_indices == nullptr || out_count == nullptr || cycle == nullptr) {
    return CAPSTAN_RC_INVALID;
  }
  *out_indices = nullptr;
  *out_count = 0;
  constexpr uint32_t kAll =
      CAPSTAN_SCHED_POD_HAS_AFFINITY | CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY;
  if (pod_flags == 0 || (pod_flags & ~kAll) != 0) return CAPSTAN_RC_INVALID;
  const Snapshot* snapshot = CycleState::FromHandle(cycle)->snapshot();
  if (snapshot == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  const std::vector<uint32_t>* nodes = snapshot->NodesWithPodFlag(
      (pod_flags & CAPSTAN_SCHED_POD_HAS_AFFINITY) != 0 ? CAPSTAN_SCHED_POD_HAS_AFFINITY
                                                        : pod_flags);
  *out_indices = nodes->empty() ? nullptr : nodes->data();
  *out_count = static_cast<uint32_t>(nodes->size());
  return CAPSTAN_RC_OK;
}

// "capstan_host_sched_changed_nodes_v1" (capstan/abi/sched.h): the snapshot's change log, so
// inter-pod-affinity keeps its index across cycles and revisits only changed nodes. The indices
// live in a per-thread buffer (valid until the thread's next call, as the ABI says).
capstan_rc ChangedNodes(capstan_host_ctx*, capstan_sched_cycle* cycle, uint64_t since,
                        uint64_t* out_token, int32_t* out_full, const uint32_t** out_indices,
                        uint32_t* out_count) {
  if (cycle == nullptr || out_token == nullptr || out_full == nullptr || out_indices == nullptr ||
      out_count == nullptr) {
    return CAPSTAN_RC_INVALID;
  }
  *out_token = 0;
  *out_full = 1;
  *out_indices = nullptr;
  *out_count = 0;
  const Snapshot* snapshot = CycleState::FromHandle(cycle)->snapshot();
  if (snapshot == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  thread_local std::vector<uint32_t> changed;
  try {
    *out_token = snapshot->change_token();
    if (!snapshot->ChangedSince(since, &changed)) return CAPSTAN_RC_OK;
  } catch (...) {
    return CAPSTAN_RC_ERROR;
  }
  *out_full = 0;
  *out_indices = changed.empty() ? nullptr : changed.data();
  *out_count = static_cast<uint32_t>(changed.size());
  return CAPSTAN_RC_OK;
}

capstan_rc CycleWrite(capstan_host_ctx*, capstan_sched_cycle* cycle, capstan_host_str key,
                      capstan_host_buf value) {
  if (cycle == nullptr || (value.data == nullptr && value.len > 0)) return CAPSTAN_RC_INVALID;
  try {
    std::string_view v(reinterpret_cast<const char*>(value.data), value.len);
    return CycleState::FromHandle(cycle)->Write(View(key), v) ? CAPSTAN_RC_OK
                                                              : CAPSTAN_RC_UNAVAILABLE;
  } catch (...) {
    return CAPSTAN_RC_ERROR;
  }
}

capstan_rc CycleRead(capstan_host_ctx*, capstan_sched_cycle* cycle, capstan_host_str key,
                     capstan_host_buf* out) {
  if (cycle == nullptr || out == nullptr) return CAPSTAN_RC_INVALID;
  *out = capstan_host_buf{nullptr, 0};
  const std::string* v = CycleState::FromHandle(cycle)->Read(View(key));
  if (v == nullptr) return CAPSTAN_RC_NOT_FOUND;
  *out = capstan_host_buf{reinterpret_cast<const uint8_t*>(v->data()), v->size()};
  return CAPSTAN_RC_OK;
}

capstan_rc ApiRequest(capstan_host_ctx* ctx, capstan_call* call, capstan_host_str method,
                      capstan_host_str path, capstan_host_str content_type, capstan_host_buf body,
                      int32_t* out_status, capstan_host_buf* out_body) {
  if (out_status == nullptr || out_body == nullptr || ctx == nullptr) return CAPSTAN_RC_INVALID;
  *out_status = 0;
  *out_body = capstan_host_buf{nullptr, 0};
  // Host-owned output valid until this thread's next object-access call (common.h).
  thread_local std::string reply_body;
  try {
    auto* services = static_cast<SchedHostServices*>(
        plugin::HostContext::FromHandle(ctx)->UserData(kServicesKey));
    std::shared_ptr<SchedulerApi> api = services != nullptr ? services->api() : nullptr;
    if (api == nullptr) return CAPSTAN_RC_UNAVAILABLE;
    std::chrono::milliseconds timeout{0};
    if (call != nullptr && call->deadline_mono_ns > 0) {
      int64_t left = call->deadline_mono_ns - plugin::MonotonicNowNs();
      if (left <= 0) return CAPSTAN_RC_DEADLINE_EXCEEDED;
      timeout = std::chrono::milliseconds(std::max<int64_t>(1, left / 1'000'000));
    }
    std::string b(reinterpret_cast<const char*>(body.data), body.data == nullptr ? 0 : body.len);
    Result<ApiReply> reply =
        api->Request(View(method), View(path), View(content_type), std::move(b), timeout);
    if (!reply.ok()) {
      return reply.status().code() == StatusCode::kTimeout ? CAPSTAN_RC_DEADLINE_EXCEEDED
                                                           : CAPSTAN_RC_UNAVAILABLE;
    }
    reply_body = std::move(reply->body);
    *out_status = reply->status;
    *out_body =
        capstan_host_buf{reinterpret_cast<const uint8_t*>(reply_body.data()), reply_body.size()};
    return CAPSTAN_RC_OK;
  } catch (...) {
    return CAPSTAN_RC_ERROR;
  }
}

template <typename Fn>
capstan_host_proc Proc(Fn fn) {
  return reinterpret_cast<capstan_host_proc>(fn);
}

}  // namespace

void SchedHostServices::SetApi(std::shared_ptr<SchedulerApi> api) {
  std::lock_guard lock(mu_);
  api_ = std::move(api);
}

std::shared_ptr<SchedulerApi> SchedHostServices::api() const {
  std::lock_guard lock(mu_);
  return api_;
}

void RegisterSchedHostServices(plugin::HostContext& ctx, SchedHostServices* services) {
  ctx.SetUserData(kServicesKey, services);
  ctx.RegisterProc("capstan_host_sched_object_json_v1",
                   Proc<capstan_host_sched_object_json_v1_fn>(&ObjectJson));
  ctx.RegisterProc("capstan_host_sched_node_pods_v1",
                   Proc<capstan_host_sched_node_pods_v1_fn>(&NodePods));
  ctx.RegisterProc("capstan_host_sched_node_view_v1", Proc<NodeViewFn>(&NodeView));
  ctx.RegisterProc("capstan_host_sched_affinity_nodes_v1",
                   Proc<capstan_host_sched_affinity_nodes_v1_fn>(&AffinityNodes));
  ctx.RegisterProc("capstan_host_sched_changed_nodes_v1",
                   Proc<capstan_host_sched_changed_nodes_v1_fn>(&ChangedNodes));
  ctx.RegisterProc("capstan_host_sched_cycle_write_v1",
                   Proc<capstan_host_sched_cycle_write_v1_fn>(&CycleWrite));
  ctx.RegisterProc("capstan_host_sched_cycle_read_v1",
                   Proc<capstan_host_sched_cycle_read_v1_fn>(&CycleRead));
  ctx.RegisterProc("capstan_host_api_request_v1",
                   Proc<capstan_host_api_request_v1_fn>(&ApiRequest));
}

std::function<void(uint32_t, plugin::HostContext&)> SchedHostConfigurer(
    std::shared_ptr<SchedHostServices> services,
    std::function<void(uint32_t, plugin::HostContext&)> next) {
  return [services = std::move(services), next = std::move(next)](uint32_t kind,
                                                                  plugin::HostContext& ctx) {
    if (kind == CAPSTAN_KIND_SCHED) RegisterSchedHostServices(ctx, services.get());
    if (next) next(kind, ctx);
  };
}

}  // namespace capstan::scheduler
