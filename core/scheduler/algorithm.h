// The placement part of a scheduling cycle: PreFilter (node restrictions merged), Filter in
// parallel across nodes until `percentageOfNodesToScore` feasible nodes are found (rotating the
// start index), PostFilter when none fit, PreScore, Score, NormalizeScore, weights, and the pick
// (highest total, random tie-break). Reserve/Permit/Bind are in scheduler.cc.
// Tests in tests/core/scheduler/scheduler_test.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/scheduler/cycle_state.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/messages.h"
#include "core/scheduler/parallel.h"
#include "core/scheduler/snapshot.h"

namespace capstan::scheduler {

// Cumulative time and count of one extension point (all plugins), for metrics and the bench.
struct PhaseStat {
  std::atomic<int64_t> ns{0};
  std::atomic<int64_t> count{0};
  void Add(int64_t d) {
    ns.fetch_add(d, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
  }
};

struct SchedulerStats {
  PhaseStat snapshot, pre_filter, filter, post_filter, pre_score, score, normalize_score, reserve,
      permit, pre_bind, bind, post_bind, cycle;
  std::atomic<int64_t> filter_calls{0};
  std::atomic<int64_t> score_calls{0};
  std::atomic<int64_t> scheduled{0};
  std::atomic<int64_t> unschedulable{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> bound{0};
  std::atomic<int64_t> bind_failures{0};
};

struct ScheduleResult {
  enum class Kind : uint8_t { kScheduled, kUnschedulable, kError };
  Kind kind = Kind::kError;
  uint32_t node = 0;  // snapshot index when scheduled
  std::string node_name;
  size_t evaluated = 0;
  size_t feasible = 0;
  Diagnosis diagnosis;         // when unschedulable
  std::string message;         // FitErrorMessage or the error
  std::string nominated_node;  // set by PostFilter
};

// Runs on the scheduling loop only (one Schedule at a time).
class Algorithm {
 public:
  // `percentage` of nodes to score: 1..100, or 0 for upstream's adaptive default.
  // A phase runs on `pool` only when it expects `min_calls_for_parallel` plugin calls or more.
  Algorithm(const Framework* framework, ParallelPool* pool, SchedulerStats* stats, int percentage,
            uint64_t seed, size_t min_calls_for_parallel = 8192);

  ScheduleResult Schedule(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                          int64_t cycle_deadline_ns);

  // Upstream's numFeasibleNodesToFind: all below 100 nodes, else max(100, n * p / 100) with the
  // adaptive p = max(5, 50 - n / 125).
  size_t NumFeasibleNodesToFind(size_t num_all_nodes) const;

 private:
  struct FilterOutcome {
    std::vector<uint32_t> feasible;
    size_t rejected = 0;  // nodes a Filter plugin rejected
    std::string error;
  };
  // One Filter worker's rejections, kept compact: most rejections of a plugin in a cycle share
  // one text ("node(s) had untolerated taint ..."), which is stored once.
  struct WorkerFailures {
    struct Item {
      uint32_t node;
      capstan_rc code;
      uint32_t plugin;  // index into Framework::plugins()
      uint32_t reason;  // index into `reasons`
    };
    std::vector<Item> items;
    std::vector<std::string> reasons;
    std::vector<int32_t> last_reason;  // per plugin: its latest entry in `reasons`, or -1
    void Add(uint32_t node, capstan_rc code, uint32_t plugin, std::string_view reason);
  };
  FilterOutcome RunFilters(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                           const std::vector<uint32_t>* restricted,
                           const std::vector<bool>& skipped, int64_t cycle_deadline_ns,
                           Diagnosis* diagnosis);
  std::string RunScores(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                        const std::vector<uint32_t>& feasible, int64_t cycle_deadline_ns,
                        std::vector<int64_t>* totals);
  bool WorthParallel(size_t nodes, size_t calls_per_node) const;
  void RunPostFilter(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                     int64_t cycle_deadline_ns, ScheduleResult* result);

  const Framework* fw_;
  ParallelPool* pool_;
  SchedulerStats* stats_;
  int percentage_;
  size_t min_calls_for_parallel_;
  size_t next_start_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace capstan::scheduler
