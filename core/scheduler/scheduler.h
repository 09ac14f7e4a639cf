// `Scheduler`: the scheduling framework host for one profile of the `sched` plugin chain. Informer
// events feed the node cache and the queue; one loop runs cycles (snapshot, PreFilter..Score,
// assume, Reserve, Permit) and hands binding (PreBind, Bind, PostBind) to a binding pool while the
// next cycle runs; outcomes are written asynchronously. Partners: algorithm.h, cache.h, queue.h,
// outcome_writer.h, host_services.h; scheduler_runner.h wires informers. Tests in
// tests/core/scheduler/scheduler_test.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/common/status.h"
#include "core/plugin/registry.h"
#include "core/scheduler/algorithm.h"
#include "core/scheduler/api.h"
#include "core/scheduler/cache.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/outcome_writer.h"
#include "core/scheduler/parallel.h"
#include "core/scheduler/queue.h"
#include "core/scheduler/task_pool.h"

namespace capstan::scheduler {

struct SchedulerOptions {
  // Required: the loaded `sched` chain; it and its registry must outlive the scheduler.
  const plugin::Chain* chain = nullptr;
  // Status patches and events; NULL writes nothing (benchmarks, some tests).
  std::shared_ptr<SchedulerApi> api;
  // Pods whose spec.schedulerName equals this are scheduled by this profile.
  std::string profile_name = std::string(kDefaultSchedulerName);
  // Threads of the parallel Filter/Score phases, the loop's own included.
  int parallelism = 2;
  // A Filter/Score phase uses the other threads only when it expects at least this many plugin
  // calls (nodes x plugins): for cheap plugins, waking a worker costs more than it saves.
  size_t min_calls_for_parallel = 8192;
  // Binding cycles in flight at once: each Bind is a blocking API write, so more threads keep
  // the API server busy (upstream binds every pod in its own goroutine).
  int binding_threads = 8;
  // 1..100, or 0 for upstream's adaptive default.
  int percentage_of_nodes_to_score = 0;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::milliseconds unschedulable_timeout{60000};
  std::chrono::milliseconds flush_interval{1000};
  // Tie-break randomness; 0 seeds from the clock.
  uint64_t seed = 0;
};

// Thread-safety: the On* handlers may be called from any thread (informer threads). Start()
// runs the loop on its own thread; without Start(), a test or benchmark drives cycles with
// ScheduleOne() from one thread.
class Scheduler {
 public:
  // Errors: kInvalid for a missing chain or a chain that is not a valid profile (framework.h).
  static Result<std::unique_ptr<Scheduler>> Create(SchedulerOptions options);
  // Stop()s.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the scheduling loop and the queue flusher. Idempotent.
  void Start();
  // Stops the loop, finishes binding tasks and outcome writes. Idempotent.
  void Stop();

  // Informer handlers. Objects are parsed once here; a malformed object is logged and ignored.
  void OnPodAdd(const std::shared_ptr<const nlohmann::json>& pod);
  void OnPodUpdate(const std::shared_ptr<const nlohmann::json>& old_pod,
                   const std::shared_ptr<const nlohmann::json>& new_pod);
  void OnPodDelete(const std::shared_ptr<const nlohmann::json>& pod);
  void OnNodeAdd(const std::shared_ptr<const nlohmann::json>& node);
  void OnNodeUpdate(const std::shared_ptr<const nlohmann::json>& old_node,
                    const std::shared_ptr<const nlohmann::json>& new_node);
  void OnNodeDelete(const std::shared_ptr<const nlohmann::json>& node);

  // Runs one cycle for the next active pod. `block` waits for one; false returns false at
  // once when none is active (or after Stop()).
  bool ScheduleOne(bool block);
  // Blocks until binding tasks and outcome writes queued so far have finished.
  void WaitForBindings();

  const SchedulerStats& stats() const { return stats_; }
  const Framework& framework() const { return *framework_; }
  Cache& cache() { return cache_; }
  SchedulingQueue& queue() { return *queue_; }

 private:
  explicit Scheduler(SchedulerOptions options);
  void Loop();
  void FlushLoop();
  bool Responsible(const PodInfo& pod) const;
  void HandlePod(std::shared_ptr<const PodInfo> pod, bool was_bound);
  // Ends a failed attempt: requeue, then the condition and event.
  void Fail(QueuedPod qp, bool unschedulable, std::string message, std::string nominated);
  // Unreserve in reverse order on every Reserve plugin, then forget the assumed pod.
  void Unreserve(CycleState& state, const PodInfo& pod, const std::string& node);
  // Returns the failure text, or "" when the pod was bound.
  std::string Bind(CycleState& state, const PodInfo& pod, const std::string& node,
                   uint64_t permit_wait_ms, const std::string& permit_plugin);

  SchedulerOptions options_;
  std::unique_ptr<Framework> framework_;
  SchedulerStats stats_;
  Cache cache_;
  Snapshot snapshot_;
  std::unique_ptr<SchedulingQueue> queue_;
  ParallelPool pool_;
  std::unique_ptr<Algorithm> algorithm_;
  std::unique_ptr<OutcomeWriter> outcomes_;
  std::unique_ptr<TaskPool> binders_;

  std::mutex run_mu_;
  std::condition_variable stop_cv_;
  bool started_ = false;
  bool stopping_ = false;
  std::thread loop_;
  std::thread flusher_;
};

}  // namespace capstan::scheduler
