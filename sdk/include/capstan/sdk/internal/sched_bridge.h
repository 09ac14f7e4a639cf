// Export trampolines for `SchedPlugin` (capstan/sdk/sched.h): one noexcept C function per
// extension point, present in the vtable only when the plugin class overrides it.
// Included by sched.h; not for direct use.
#ifndef CAPSTAN_SDK_INTERNAL_SCHED_BRIDGE_H_
#define CAPSTAN_SDK_INTERNAL_SCHED_BRIDGE_H_

#include <algorithm>

#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/sched.h"

namespace capstan::sdk::internal {

template <typename D>
struct SchedBridge {
  using B = SchedPlugin;
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, QueueLess, "bool QueueLess(const PodView&, const PodView&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, PreFilter,
                              "Status PreFilter(Call&, Cycle&, const PodView&, std::string*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Filter,
                              "Status Filter(Call&, Cycle&, const PodView&, const NodeView&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(
      D, B, PostFilter,
      "Status PostFilter(Call&, Cycle&, const PodView&, const NodeStatuses&, std::string*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, PreScore,
                              "Status PreScore(Call&, Cycle&, const PodView&, const NodeList&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(
      D, B, Score, "Status Score(Call&, Cycle&, const PodView&, const NodeView&, int64_t*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, NormalizeScore,
                              "Status NormalizeScore(Call&, Cycle&, const PodView&, NodeScores&)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Reserve,
                              "Status Reserve(Call&, Cycle&, const PodView&, std::string_view)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Unreserve,
                              "void Unreserve(Call&, Cycle&, const PodView&, std::string_view)");
  CAPSTAN_SDK_CHECK_SIGNATURE(
      D, B, Permit, "Status Permit(Call&, Cycle&, const PodView&, std::string_view, uint64_t*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, PreBind,
                              "Status PreBind(Call&, Cycle&, const PodView&, std::string_view)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, Bind,
                              "Status Bind(Call&, Cycle&, const PodView&, std::string_view)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, B, PostBind,
                              "void PostBind(Call&, Cycle&, const PodView&, std::string_view)");

  static B& Plugin(capstan_plugin_state* state) { return Instance<D>::From(state)->plugin; }

  static int32_t OnQueueLess(capstan_plugin_state* state, const capstan_sched_pod_view* a,
                             const capstan_sched_pod_view* b) noexcept {
    try {
      return Plugin(state).QueueLess(PodView(a), PodView(b)) ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }

  static capstan_rc OnPreFilter(capstan_plugin_state* state, capstan_call* call,
                                capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                                capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      std::string& buf = inst->out.Take(kSlotPreFilter);
      Status s = static_cast<B&>(inst->plugin).PreFilter(c, cy, PodView(pod), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static capstan_rc OnFilter(capstan_plugin_state* state, capstan_call* call,
                             capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                             const capstan_sched_node_view* node) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      return Finish(call,
                    static_cast<B&>(inst->plugin).Filter(c, cy, PodView(pod), NodeView(node)));
    });
  }

  static capstan_rc OnPostFilter(capstan_plugin_state* state, capstan_call* call,
                                 capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                                 const capstan_sched_node_status* statuses, uint32_t status_count,
                                 capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      std::string& buf = inst->out.Take(kSlotPostFilter);
      Status s = static_cast<B&>(inst->plugin)
                     .PostFilter(c, cy, PodView(pod), NodeStatuses(statuses, status_count), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static capstan_rc OnPreScore(capstan_plugin_state* state, capstan_call* call,
                               capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                               const capstan_sched_node_view* const* nodes,
                               uint32_t node_count) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      return Finish(
          call,
          static_cast<B&>(inst->plugin).PreScore(c, cy, PodView(pod), NodeList(nodes, node_count)));
    });
  }

  static capstan_rc OnScore(capstan_plugin_state* state, capstan_call* call,
                            capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                            const capstan_sched_node_view* node, int64_t* out_score) noexcept {
    if (out_score != nullptr) *out_score = 0;
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      int64_t score = 0;
      Status s = static_cast<B&>(inst->plugin).Score(c, cy, PodView(pod), NodeView(node), &score);
      if (out_score != nullptr) *out_score = score;
      return Finish(call, s);
    });
  }

  // One Guard and one instance lookup for a slice of nodes; the plugin's Score runs per node.
  static capstan_rc OnScoreNodes(capstan_plugin_state* state, capstan_call* call,
                                 capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                                 const capstan_sched_node_view* const* nodes, uint32_t node_count,
                                 int64_t* out_scores) noexcept {
    if (out_scores != nullptr) std::fill(out_scores, out_scores + node_count, int64_t{0});
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      PodView pv(pod);
      B& plugin = static_cast<B&>(inst->plugin);
      for (uint32_t i = 0; i < node_count; ++i) {
        int64_t score = 0;
        Status s = plugin.Score(c, cy, pv, NodeView(nodes[i]), &score);
        if (!s.ok()) return Finish(call, s);
        if (out_scores != nullptr) out_scores[i] = score;
      }
      return Finish(call, Status::Ok());
    });
  }

  static capstan_rc OnNormalizeScore(capstan_plugin_state* state, capstan_call* call,
                                     capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                                     capstan_sched_node_score* scores,
                                     uint32_t score_count) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      NodeScores list(scores, score_count);
      return Finish(call, static_cast<B&>(inst->plugin).NormalizeScore(c, cy, PodView(pod), list));
    });
  }

  // Reserve, PreBind and Bind share one shape: (pod, node name) -> code.
  template <Status (B::*M)(Call&, Cycle&, const PodView&, std::string_view)>
  static capstan_rc OnNodeStep(capstan_plugin_state* state, capstan_call* call,
                               capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                               capstan_host_str node_name) noexcept {
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      return Finish(call,
                    (static_cast<B&>(inst->plugin).*M)(c, cy, PodView(pod), ToView(node_name)));
    });
  }

  // Unreserve and PostBind: no code to return, so exceptions are logged.
  template <void (B::*M)(Call&, Cycle&, const PodView&, std::string_view), bool kUnreserve>
  static void OnNodeNotice(capstan_plugin_state* state, capstan_call* call,
                           capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                           capstan_host_str node_name) noexcept {
    auto* inst = Instance<D>::From(state);
    GuardVoid(inst->host, kUnreserve ? "Unreserve" : "PostBind", [&] {
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      (static_cast<B&>(inst->plugin).*M)(c, cy, PodView(pod), ToView(node_name));
    });
  }

  static capstan_rc OnPermit(capstan_plugin_state* state, capstan_call* call,
                             capstan_sched_cycle* cycle, const capstan_sched_pod_view* pod,
                             capstan_host_str node_name, uint64_t* out_wait_ms) noexcept {
    if (out_wait_ms != nullptr) *out_wait_ms = 0;
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      Cycle cy(cycle, inst->host);
      uint64_t wait_ms = 0;
      Status s =
          static_cast<B&>(inst->plugin).Permit(c, cy, PodView(pod), ToView(node_name), &wait_ms);
      if (out_wait_ms != nullptr) *out_wait_ms = wait_ms;
      return Finish(call, s);
    });
  }

  static constexpr capstan_sched_v1 kVtable = {
      sizeof(capstan_sched_v1),
      0,
      CAPSTAN_SDK_OPTIONAL(D, B, QueueLess, &OnQueueLess),
      CAPSTAN_SDK_OPTIONAL(D, B, PreFilter, &OnPreFilter),
      CAPSTAN_SDK_OPTIONAL(D, B, Filter, &OnFilter),
      CAPSTAN_SDK_OPTIONAL(D, B, PostFilter, &OnPostFilter),
      CAPSTAN_SDK_OPTIONAL(D, B, PreScore, &OnPreScore),
      CAPSTAN_SDK_OPTIONAL(D, B, Score, &OnScore),
      CAPSTAN_SDK_OPTIONAL(D, B, NormalizeScore, &OnNormalizeScore),
      CAPSTAN_SDK_OPTIONAL(D, B, Reserve, &OnNodeStep<&B::Reserve>),
      CAPSTAN_SDK_OPTIONAL(D, B, Unreserve, (&OnNodeNotice<&B::Unreserve, true>)),
      CAPSTAN_SDK_OPTIONAL(D, B, Permit, &OnPermit),
      CAPSTAN_SDK_OPTIONAL(D, B, PreBind, &OnNodeStep<&B::PreBind>),
      CAPSTAN_SDK_OPTIONAL(D, B, Bind, &OnNodeStep<&B::Bind>),
      CAPSTAN_SDK_OPTIONAL(D, B, PostBind, (&OnNodeNotice<&B::PostBind, false>)),
      CAPSTAN_SDK_OPTIONAL(D, B, Score, &OnScoreNodes),
  };
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_SCHED,
            CAPSTAN_SCHED_IFACE_MAJOR,
            CAPSTAN_SCHED_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace capstan::sdk::internal

#endif  // CAPSTAN_SDK_INTERNAL_SCHED_BRIDGE_H_
