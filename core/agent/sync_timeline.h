// `SyncTimeline`: where a pod sync's milliseconds go (volumes, sandbox, network, image, runtime
// calls, events, status PATCH), logged at debug level as one structured record per sync that
// set something up. Used by the pod workers (pod_sync.cc, container_start.cc, pod_report.cc);
// bench/pod_startup_bench.py --timeline aggregates the records.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/log.h"

namespace capstan::agent {

// Thread-safety: none; a timeline belongs to the worker holding its pod's key. Costs nothing but
// a branch unless debug logging is on.
class SyncTimeline {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts a new sync: forgets earlier marks.
  void Begin() {
    active_ = log::Enabled(log::Level::kDebug);
    steps_.clear();
    noteworthy_ = false;
    if (active_) begin_ = last_ = Clock::now();
  }
  // Closes the step that ran since the previous mark (or Begin) under `step`; steps of one name
  // add up.
  void Mark(std::string_view step) {
    if (!active_) return;
    Clock::time_point now = Clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    for (auto& [name, total] : steps_) {
      if (name == step) {
        total += ms;
        return;
      }
    }
    steps_.emplace_back(std::string(step), ms);
  }
  // Makes End log the record (a sandbox or a container was set up in this sync).
  void Noteworthy() { noteworthy_ = true; }
  // Logs "pod sync timeline" with `steps` ("name=ms ...") and `total_ms` for `pod` when this sync
  // was noteworthy.
  void End(const std::string& pod) {
    if (!active_ || !noteworthy_) return;
    Mark("other");
    std::string steps;
    char buf[64];
    for (const auto& [name, ms] : steps_) {
      std::snprintf(buf, sizeof(buf), "%.2f", ms);
      steps += (steps.empty() ? "" : " ") + name + "=" + buf;
    }
    std::snprintf(buf, sizeof(buf), "%.2f",
                  std::chrono::duration<double, std::milli>(Clock::now() - begin_).count());
    log::Debug("agent", "pod sync timeline", {{"pod", pod}, {"steps", steps}, {"total_ms", buf}});
    active_ = false;
  }

 private:
  bool active_ = false;
  bool noteworthy_ = false;
  Clock::time_point begin_{};
  Clock::time_point last_{};
  std::vector<std::pair<std::string, double>> steps_;
};

}  // namespace capstan::agent
