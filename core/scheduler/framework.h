// One scheduling profile's plugins, sorted into extension points from the `sched` chain, and
// the primitive that calls them. Thread-safe plugins are called directly with a reusable
// per-thread `capstan_call` (no allocation per call: Filter/Score run thousands of times per
// pod); others go through `PluginInstance::Invoke`, which serializes them. Used by
// algorithm.h (the cycle) and binder.h. Tests in tests/core/scheduler/scheduler_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/sched.h"
#include "core/common/status.h"
#include "core/plugin/call.h"
#include "core/plugin/registry.h"
#include "core/scheduler/pod_info.h"

namespace capstan::scheduler {

// One chain entry as the framework calls it.
struct SchedPluginRef {
  std::string name;  // chain entry (instance) name
  plugin::PluginInstance* instance = nullptr;
  const capstan_sched_v1* vt = nullptr;
  capstan_plugin_state* state = nullptr;
  bool thread_safe = false;
  bool ignore_errors = false;  // failurePolicy: Ignore
  int64_t weight = 1;
  int64_t timeout_ns = 0;
};

// A reusable call context for one thread. The fields that never change are set once by the
// constructor, so `Prepare` (once per plugin call) writes only the deadline and clears the
// error text. Not copyable: `call` points into the slot itself.
struct CallSlot {
  CallSlot();
  CallSlot(const CallSlot&) = delete;
  CallSlot& operator=(const CallSlot&) = delete;
  std::array<char, 1024> error{};
  plugin::CallContext::Handle handle;
  capstan_call call{};
  capstan_call* Prepare(int64_t deadline_mono_ns) {
    error[0] = '\0';
    handle.deadline_mono_ns = deadline_mono_ns;
    call.deadline_mono_ns = deadline_mono_ns;
    call.retry_after_ms = 0;
    return &call;
  }
  // The plugin's error text (bounded by the buffer).
  std::string_view View() const;
  std::string Text() const { return std::string(View()); }
};

// Immutable after Create; shared by the cycle thread, the filter/score pool and binding threads.
class Framework {
 public:
  // Sorts `chain`'s loaded entries into extension points. Errors: kInvalid when an entry failed
  // to load, does not implement the sched kind, or when not exactly one entry implements
  // QueueSort. `chain` (and its registry) must outlive the framework.
  static Result<std::unique_ptr<Framework>> Create(const plugin::Chain& chain,
                                                   std::string profile_name);

  const std::string& profile_name() const { return profile_name_; }
  const std::vector<SchedPluginRef>& plugins() const { return plugins_; }
  // Indices into plugins() per extension point, in chain order.
  const std::vector<size_t>& pre_filter() const { return pre_filter_; }
  const std::vector<size_t>& filter() const { return filter_; }
  const std::vector<size_t>& post_filter() const { return post_filter_; }
  const std::vector<size_t>& pre_score() const { return pre_score_; }
  const std::vector<size_t>& score() const { return score_; }
  const std::vector<size_t>& reserve() const { return reserve_; }
  const std::vector<size_t>& permit() const { return permit_; }
  const std::vector<size_t>& pre_bind() const { return pre_bind_; }
  const std::vector<size_t>& bind() const { return bind_; }
  const std::vector<size_t>& post_bind() const { return post_bind_; }
  int64_t budget_ns() const { return budget_ns_; }
  // This thread's reusable call slot.
  static CallSlot& ThreadSlot();

  // QueueSort through the one plugin providing it.
  bool QueueLess(const PodInfo& a, const PodInfo& b) const;

  // Calls `fn(state, call)` on plugin `p`. Returns a known code (unknown codes and exceptions
  // become ERROR); on a non-OK code `*message` (when not NULL) receives the plugin's text.
  template <typename Fn>
  capstan_rc Call(const SchedPluginRef& p, int64_t deadline_mono_ns, const char* what,
                  std::string* message, Fn&& fn) const {
    if (!p.thread_safe) return CallSerialized(p, deadline_mono_ns, what, message, fn);
    return CallIn(ThreadSlot(), p, deadline_mono_ns, message, fn);
  }

  // `Call` for a thread-safe `p` with the caller's slot (the Filter/Score loops take one per
  // worker, keeping the thread-local lookup off the per-node path). `slot` must belong to the
  // calling thread; its error text stays readable (`slot.View()`) until its next use.
  template <typename Fn>
  capstan_rc CallIn(CallSlot& slot, const SchedPluginRef& p, int64_t deadline_mono_ns,
                    std::string* message, Fn&& fn) const {
    capstan_call* c = slot.Prepare(deadline_mono_ns);
    capstan_rc rc = CAPSTAN_RC_ERROR;
    try {
      rc = fn(p.state, c);
    } catch (...) {
      if (message != nullptr) *message = "plugin threw across the ABI";
      return CAPSTAN_RC_ERROR;
    }
    if (rc == CAPSTAN_RC_OK) return rc;
    if (rc < 0 || rc > CAPSTAN_RC_DEADLINE_EXCEEDED) {
      if (message != nullptr) *message = "unknown return code " + std::to_string(rc);
      return CAPSTAN_RC_ERROR;
    }
    if (message != nullptr) *message = slot.Text();
    return rc;
  }

  // The deadline of a call to `p` in a phase that started at `phase_start_ns` (0: none), capped
  // by `cycle_deadline_ns` (0: none). Filter/Score compute it once per phase, keeping clock
  // reads off the per-node path.
  static int64_t Deadline(const SchedPluginRef& p, int64_t phase_start_ns,
                          int64_t cycle_deadline_ns);

 private:
  Framework() = default;
  template <typename Fn>
  capstan_rc CallSerialized(const SchedPluginRef& p, int64_t deadline, const char* what,
                            std::string* message, Fn& fn) const {
    plugin::CallOptions options;
    options.deadline_mono_ns = deadline;
    plugin::CallOutcome out = p.instance->Invoke(what, options, fn);
    if (!out.ok() && message != nullptr) *message = std::move(out.message);
    return out.rc;
  }

  std::string profile_name_;
  int64_t budget_ns_ = 0;
  std::vector<SchedPluginRef> plugins_;
  const SchedPluginRef* queue_sort_ = nullptr;
  std::vector<size_t> pre_filter_, filter_, post_filter_, pre_score_, score_, reserve_, permit_,
      pre_bind_, bind_, post_bind_;
};

}  // namespace capstan::scheduler
