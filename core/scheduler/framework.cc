// Extension-point sorting and the call primitive (framework.h).
#include "core/scheduler/framework.h"

#include <cstring>

namespace capstan::scheduler {

CallSlot::CallSlot() {
  handle.cancel = nullptr;
  call.struct_size = sizeof(capstan_call);
  call.error_buf = error.data();
  call.error_cap = static_cast<uint32_t>(error.size());
  call.handle = reinterpret_cast<capstan_host_call_handle*>(&handle);
}

std::string_view CallSlot::View() const {
  return std::string_view(error.data(), strnlen(error.data(), error.size()));
}

CallSlot& Framework::ThreadSlot() {
  thread_local CallSlot slot;
  return slot;
}

int64_t Framework::Deadline(const SchedPluginRef& p, int64_t phase_start_ns,
                            int64_t cycle_deadline_ns) {
  int64_t d = p.timeout_ns > 0 && phase_start_ns > 0 ? phase_start_ns + p.timeout_ns : 0;
  if (cycle_deadline_ns > 0 && (d == 0 || cycle_deadline_ns < d)) d = cycle_deadline_ns;
  return d;
}

bool Framework::QueueLess(const PodInfo& a, const PodInfo& b) const {
  return queue_sort_->vt->on_queue_less(queue_sort_->state, a.view(), b.view()) != 0;
}

Result<std::unique_ptr<Framework>> Framework::Create(const plugin::Chain& chain,
                                                     std::string profile_name) {
  std::unique_ptr<Framework> fw(new Framework());
  fw->profile_name_ = std::move(profile_name);
  fw->budget_ns_ = chain.budget_ns;
  for (const plugin::ChainEntry& entry : chain.entries) {
    if (!entry.status.ok() || entry.instance == nullptr) {
      return InvalidError("sched chain entry '" + entry.config.name +
                          "' is not loaded: " + entry.status.message());
    }
    const capstan_sched_v1* vt = entry.instance->sched();
    if (vt == nullptr) {
      return InvalidError("sched chain entry '" + entry.config.name +
                          "' does not implement the sched kind");
    }
    SchedPluginRef ref;
    ref.name = entry.config.name;
    ref.instance = entry.instance.get();
    ref.vt = vt;
    ref.thread_safe = entry.instance->info().thread_safe();
    ref.ignore_errors = entry.config.failure_policy == plugin::FailurePolicy::kIgnore;
    ref.weight = entry.config.weight;
    ref.timeout_ns = entry.config.timeout_ns;
    // The state pointer is stable for the instance's life; Invoke is the one accessor.
    capstan_plugin_state* state = nullptr;
    plugin::CallOutcome probe =
        entry.instance->Invoke("state", {}, [&state](capstan_plugin_state* s, capstan_call*) {
          state = s;
          return CAPSTAN_RC_OK;
        });
    (void)probe;
    ref.state = state;
    fw->plugins_.push_back(std::move(ref));
  }
  size_t queue_sorts = 0;
  for (size_t i = 0; i < fw->plugins_.size(); ++i) {
    const capstan_sched_v1* vt = fw->plugins_[i].vt;
    if (vt->on_queue_less != nullptr) ++queue_sorts;
    if (vt->on_pre_filter != nullptr) fw->pre_filter_.push_back(i);
    if (vt->on_filter != nullptr) fw->filter_.push_back(i);
    if (vt->on_post_filter != nullptr) fw->post_filter_.push_back(i);
    if (vt->on_pre_score != nullptr) fw->pre_score_.push_back(i);
    if (vt->on_score != nullptr || vt->on_score_nodes != nullptr) fw->score_.push_back(i);
    if (vt->on_reserve != nullptr || vt->on_unreserve != nullptr) fw->reserve_.push_back(i);
    if (vt->on_permit != nullptr) fw->permit_.push_back(i);
    if (vt->on_pre_bind != nullptr) fw->pre_bind_.push_back(i);
    if (vt->on_bind != nullptr) fw->bind_.push_back(i);
    if (vt->on_post_bind != nullptr) fw->post_bind_.push_back(i);
  }
  if (queue_sorts != 1) {
    return InvalidError("profile '" + fw->profile_name_ + "' needs exactly one QueueSort plugin, " +
                        std::to_string(queue_sorts) + " in the sched chain");
  }
  for (const SchedPluginRef& p : fw->plugins_) {
    if (p.vt->on_queue_less != nullptr) fw->queue_sort_ = &p;
  }
  return fw;
}

}  // namespace capstan::scheduler
