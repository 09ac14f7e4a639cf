// Scheduler plugins (CAPSTAN_KIND_SCHED, capstan/abi/sched.h): `SchedPlugin` to derive from —
// override any subset of the extension points; the rest are NULL in the vtable, so the host
// skips the plugin there — plus `Cycle` (per-cycle host services) and the export trampolines
// used by CAPSTAN_PLUGIN (plugin.h). Views live in sched_views.h. Header-only, C++17.
#ifndef CAPSTAN_SDK_SCHED_H_
#define CAPSTAN_SDK_SCHED_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/sched.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/sched_views.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// One scheduling cycle's shared state and object access. Valid for the call; everything it
// returns is host-owned and valid for the cycle. Reads are thread-safe; writes belong in
// PreFilter/PreScore (sched.h). Every method returns UNAVAILABLE when the host lacks the service.
class Cycle {
 public:
  Cycle(capstan_sched_cycle* raw, const Host& host) : raw_(raw), host_(&host) {}

  // Stores `value` under `key` (by convention the plugin's name) for later extension points.
  Status Write(std::string_view key, std::string_view value) const {
    auto fn = host_->sched_cycle_write();
    if (fn == nullptr) return Status::Unavailable("host has no cycle state");
    capstan_rc rc = fn(host_->ctx(), raw_, ToHostStr(key), ToHostBuf(value));
    return rc == CAPSTAN_RC_OK ? Status::Ok() : Status(rc, "cycle write failed");
  }
  // OK with `*value` viewing host memory, or NOT_FOUND.
  Status Read(std::string_view key, std::string_view* value) const {
    *value = {};
    auto fn = host_->sched_cycle_read();
    if (fn == nullptr) return Status::Unavailable("host has no cycle state");
    capstan_host_buf buf{nullptr, 0};
    capstan_rc rc = fn(host_->ctx(), raw_, ToHostStr(key), &buf);
    if (rc != CAPSTAN_RC_OK) return Status(rc, "cycle key '" + std::string(key) + "' not found");
    *value = ToView(buf);
    return Status::Ok();
  }
  // The full Kubernetes JSON of a pod or node (slower than the views; use sparingly).
  Status ObjectJson(capstan_sched_object* object, std::string_view* json) const {
    *json = {};
    auto fn = host_->sched_object_json();
    if (fn == nullptr) return Status::Unavailable("host has no object JSON service");
    capstan_host_buf buf{nullptr, 0};
    capstan_rc rc = fn(host_->ctx(), object, &buf);
    if (rc != CAPSTAN_RC_OK) return Status(rc, "object JSON unavailable");
    *json = ToView(buf);
    return Status::Ok();
  }
  // The pods on snapshot node `node.index()`.
  Status NodePods(const NodeView& node, Span<capstan_sched_pod_view>* pods) const {
    *pods = {};
    auto fn = host_->sched_node_pods();
    if (fn == nullptr) return Status::Unavailable("host has no node pods service");
    const capstan_sched_pod_view* data = nullptr;
    uint32_t count = 0;
    capstan_rc rc = fn(host_->ctx(), raw_, node.index(), &data, &count);
    if (rc != CAPSTAN_RC_OK) return Status(rc, "node pods unavailable");
    *pods = Span<capstan_sched_pod_view>(data, count);
    return Status::Ok();
  }
  capstan_sched_cycle* raw() const { return raw_; }

 private:
  capstan_sched_cycle* raw_;
  const Host* host_;
};

// Derive from this and override the extension points you need. Defaults mean "not taking part"
// and are never called by the host (their vtable entries are NULL). Threading: cycles run one at
// a time; Filter and Score run concurrently across nodes with CAPSTAN_CAP_THREAD_SAFE;
// PreBind/Bind/PostBind run on binding threads, concurrently with the next cycle.
// Non-OK reasons go in the Status message; they appear in the pod's FailedScheduling event.
class SchedPlugin {
 public:
  virtual ~SchedPlugin() = default;

  // QueueSort: true when `a` goes before `b`. Pure, fast, no call context; an exception reads as
  // false. Exactly one plugin in a profile provides it.
  virtual bool QueueLess(const PodView& a, const PodView& b) {
    (void)a, (void)b;
    return false;
  }
  // OK; SKIP to skip this plugin's Filter; UNSCHEDULABLE/UNRESOLVABLE rejects the pod
  // everywhere. May restrict the nodes with a JSON array of names in `*node_names_json`.
  virtual Status PreFilter(Call& call, Cycle& cycle, const PodView& pod,
                           std::string* node_names_json) {
    (void)call, (void)cycle, (void)pod, (void)node_names_json;
    return Status::Skip();
  }
  // OK when `pod` fits `node`, else UNSCHEDULABLE or UNRESOLVABLE with a reason.
  virtual Status Filter(Call& call, Cycle& cycle, const PodView& pod, const NodeView& node) {
    (void)call, (void)cycle, (void)pod, (void)node;
    return Status::Ok();
  }
  // Runs when no node fits: OK after making room, with the nominated node in `*nominated_node`;
  // UNSCHEDULABLE when it cannot help.
  virtual Status PostFilter(Call& call, Cycle& cycle, const PodView& pod,
                            const NodeStatuses& statuses, std::string* nominated_node) {
    (void)call, (void)cycle, (void)pod, (void)statuses, (void)nominated_node;
    return Status::Unschedulable("");
  }
  // Over the feasible nodes: OK, or SKIP to skip this plugin's Score.
  virtual Status PreScore(Call& call, Cycle& cycle, const PodView& pod, const NodeList& nodes) {
    (void)call, (void)cycle, (void)pod, (void)nodes;
    return Status::Skip();
  }
  // A raw score in [0, 100] (unless NormalizeScore maps it) in `*score`.
  virtual Status Score(Call& call, Cycle& cycle, const PodView& pod, const NodeView& node,
                       int64_t* score) {
    (void)call, (void)cycle, (void)pod, (void)node;
    *score = 0;
    return Status::Ok();
  }
  // Rewrites `scores` into [0, 100].
  virtual Status NormalizeScore(Call& call, Cycle& cycle, const PodView& pod, NodeScores& scores) {
    (void)call, (void)cycle, (void)pod, (void)scores;
    return Status::Ok();
  }
  // Claims resources on `node_name`; a non-OK code unreserves and retries.
  virtual Status Reserve(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name) {
    (void)call, (void)cycle, (void)pod, (void)node_name;
    return Status::Ok();
  }
  // Undoes Reserve. Idempotent; cannot fail (exceptions are logged and dropped).
  virtual void Unreserve(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name) {
    (void)call, (void)cycle, (void)pod, (void)node_name;
  }
  // OK allows; DENIED rejects; WAIT holds the pod up to `*wait_ms`.
  virtual Status Permit(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name,
                        uint64_t* wait_ms) {
    (void)call, (void)cycle, (void)pod, (void)node_name, (void)wait_ms;
    return Status::Ok();
  }
  // Prepares the node (e.g. attaches volumes); non-OK aborts the binding.
  virtual Status PreBind(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name) {
    (void)call, (void)cycle, (void)pod, (void)node_name;
    return Status::Ok();
  }
  // OK when bound; SKIP lets the next binder try; ERROR aborts.
  virtual Status Bind(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name) {
    (void)call, (void)cycle, (void)pod, (void)node_name;
    return Status::Skip();
  }
  // Informational, after a successful bind (exceptions are logged and dropped).
  virtual void PostBind(Call& call, Cycle& cycle, const PodView& pod, std::string_view node_name) {
    (void)call, (void)cycle, (void)pod, (void)node_name;
  }
};

}  // namespace capstan::sdk

#include "capstan/sdk/internal/sched_bridge.h"

#endif  // CAPSTAN_SDK_SCHED_H_
