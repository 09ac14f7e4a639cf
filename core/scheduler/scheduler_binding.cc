// The binding cycle of `Scheduler` (scheduler.h): Permit wait, PreBind, Bind (first binder not
// returning SKIP), PostBind; and Unreserve. Runs on the binding pool.
#include <chrono>
#include <thread>

#include "core/scheduler/scheduler.h"

namespace capstan::scheduler {

using plugin::MonotonicNowNs;

void Scheduler::Unreserve(CycleState& state, const PodInfo& pod, const std::string& node) {
  const std::vector<SchedPluginRef>& plugins = framework_->plugins();
  const std::vector<size_t>& reserve = framework_->reserve();
  capstan_host_str node_name = HostStr(node);
  int64_t now = MonotonicNowNs();
  for (auto it = reserve.rbegin(); it != reserve.rend(); ++it) {
    const SchedPluginRef& p = plugins[*it];
    if (p.vt->on_unreserve == nullptr) continue;
    (void)framework_->Call(p, Framework::Deadline(p, now, 0), "on_unreserve", nullptr,
                           [&](capstan_plugin_state* s, capstan_call* c) {
                             p.vt->on_unreserve(s, c, state.handle(), pod.view(), node_name);
                             return CAPSTAN_RC_OK;
                           });
  }
  cache_.ForgetPod(pod.key());
}

std::string Scheduler::Bind(CycleState& state, const PodInfo& pod, const std::string& node,
                            uint64_t permit_wait_ms, const std::string& permit_plugin) {
  if (permit_wait_ms > 0) {
    // ABI v1 has no service to allow a waiting pod, so a wait always ends in a timeout; it is
    // still honoured (interruptible by Stop) so plugins can rate-limit bindings.
    std::unique_lock lock(run_mu_);
    stop_cv_.wait_for(lock, std::chrono::milliseconds(permit_wait_ms),
                      [this] { return stopping_; });
    return "pod \"" + pod.key() +
           "\" rejected while waiting on permit: rejected due to timeout after waiting " +
           std::to_string(permit_wait_ms) + "ms at plugin " + permit_plugin;
  }
  const std::vector<SchedPluginRef>& plugins = framework_->plugins();
  capstan_host_str node_name = HostStr(node);
  int64_t t0 = MonotonicNowNs();
  for (size_t i : framework_->pre_bind()) {
    const SchedPluginRef& p = plugins[i];
    std::string msg;
    capstan_rc rc =
        framework_->Call(p, Framework::Deadline(p, t0, 0), "on_pre_bind", &msg,
                         [&](capstan_plugin_state* s, capstan_call* c) {
                           return p.vt->on_pre_bind(s, c, state.handle(), pod.view(), node_name);
                         });
    if (rc == CAPSTAN_RC_OK || (rc == CAPSTAN_RC_ERROR && p.ignore_errors)) continue;
    stats_.pre_bind.Add(MonotonicNowNs() - t0);
    return "running PreBind plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
  }
  int64_t t1 = MonotonicNowNs();
  stats_.pre_bind.Add(t1 - t0);
  bool bound = false;
  for (size_t i : framework_->bind()) {
    const SchedPluginRef& p = plugins[i];
    std::string msg;
    capstan_rc rc =
        framework_->Call(p, Framework::Deadline(p, t1, 0), "on_bind", &msg,
                         [&](capstan_plugin_state* s, capstan_call* c) {
                           return p.vt->on_bind(s, c, state.handle(), pod.view(), node_name);
                         });
    if (rc == CAPSTAN_RC_OK) {
      bound = true;
      break;
    }
    if (rc == CAPSTAN_RC_SKIP || (rc == CAPSTAN_RC_ERROR && p.ignore_errors)) continue;
    stats_.bind.Add(MonotonicNowNs() - t1);
    return "running Bind plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
  }
  int64_t t2 = MonotonicNowNs();
  stats_.bind.Add(t2 - t1);
  if (!bound) return "no Bind plugin bound pod \"" + pod.key() + "\" (all skipped)";
  for (size_t i : framework_->post_bind()) {
    const SchedPluginRef& p = plugins[i];
    (void)framework_->Call(p, Framework::Deadline(p, t2, 0), "on_post_bind", nullptr,
                           [&](capstan_plugin_state* s, capstan_call* c) {
                             p.vt->on_post_bind(s, c, state.handle(), pod.view(), node_name);
                             return CAPSTAN_RC_OK;
                           });
  }
  stats_.post_bind.Add(MonotonicNowNs() - t2);
  return "";
}

}  // namespace capstan::scheduler
