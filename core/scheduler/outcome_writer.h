// Writes scheduling outcomes to the API asynchronously so they never slow the cycle: the pod's
// PodScheduled=False condition (strategic merge patch of pods/status, with nominatedNodeName
// after preemption) and core/v1 Events (Scheduled / FailedScheduling, reportingComponent
// default-scheduler). Used by scheduler.cc. Tests in tests/core/scheduler/outcome_writer_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/scheduler/api.h"
#include "core/scheduler/pod_info.h"
#include "core/scheduler/task_pool.h"

namespace capstan::scheduler {

// The Event object (core/v1) about `pod`. `now_ns` is Unix time in nanoseconds.
nlohmann::json BuildPodEvent(const PodData& pod, std::string_view type, std::string_view reason,
                             std::string_view action, std::string_view message,
                             std::string_view component, int64_t now_ns);
// The strategic merge patch for pods/status: PodScheduled=False with `reason` and `message`,
// plus status.nominatedNodeName when `nominated_node` is not empty.
nlohmann::json BuildUnschedulablePatch(std::string_view reason, std::string_view message,
                                       std::string_view nominated_node, int64_t now_ns);
// True when the pod's PodScheduled condition already says False/`reason`/`message` (the patch
// would change nothing, as upstream skips it).
bool ConditionUnchanged(const nlohmann::json& pod, std::string_view reason,
                        std::string_view message);
// RFC 3339 UTC with seconds ("2026-01-02T03:04:05Z").
std::string FormatTime(int64_t unix_ns);

// Thread-safe. With a NULL api every call is a no-op. One writer thread; the backlog is bounded
// (writes beyond it are dropped and counted: the next attempt writes again).
class OutcomeWriter {
 public:
  OutcomeWriter(std::shared_ptr<SchedulerApi> api, std::string component,
                size_t max_backlog = 10000);

  void Scheduled(const std::shared_ptr<const PodInfo>& pod, const std::string& node);
  // `reason`: "Unschedulable" or "SchedulerError".
  void Failed(const std::shared_ptr<const PodInfo>& pod, std::string reason, std::string message,
              std::string nominated_node);
  // Blocks until every queued write finished (tests, shutdown).
  void WaitIdle() { pool_.WaitIdle(); }
  void Shutdown() { pool_.Shutdown(); }
  uint64_t dropped() const { return pool_.dropped(); }
  int64_t failed_writes() const;

 private:
  void Send(std::string_view method, const std::string& path, std::string_view content_type,
            std::string body);

  std::shared_ptr<SchedulerApi> api_;
  std::string component_;
  std::atomic<int64_t> failed_writes_{0};
  TaskPool pool_;
};

}  // namespace capstan::scheduler
