// The placement part of a scheduling cycle (algorithm.h).
#include "core/scheduler/algorithm.h"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

namespace capstan::scheduler {
namespace {

constexpr size_t kMinFeasibleNodesToFind = 100;
constexpr size_t kChunk = 8;
constexpr size_t kMinNodesForParallel = 32;
// Nodes per on_score_nodes call: large enough that one ABI crossing serves many nodes, small
// enough that two workers still share 100+ feasible nodes evenly.
constexpr size_t kScoreSlice = 32;

bool Rejects(capstan_rc rc) {
  return rc == CAPSTAN_RC_UNSCHEDULABLE || rc == CAPSTAN_RC_UNRESOLVABLE || rc == CAPSTAN_RC_DENIED;
}

using plugin::MonotonicNowNs;

// Starts loading the view of the node at `pos` (the next one a Filter worker visits): with
// thousands of nodes each view is a cache miss, and the plugins read its first lines at once.
void Prefetch(const Snapshot& snapshot, const std::vector<uint32_t>* restricted, size_t pos) {
  uint32_t idx = restricted != nullptr ? (*restricted)[pos] : static_cast<uint32_t>(pos);
  const char* v = reinterpret_cast<const char*>(&snapshot.node(idx).view);
  __builtin_prefetch(v);
  __builtin_prefetch(v + 64);
  __builtin_prefetch(v + 128);
}

// Parses PreFilter's JSON array of node names into sorted snapshot indices.
Result<std::vector<uint32_t>> ParseNodeNames(const capstan_plugin_buf& buf,
                                             const Snapshot& snapshot) {
  const char* begin = reinterpret_cast<const char*>(buf.data);
  nlohmann::json doc = nlohmann::json::parse(begin, begin + buf.len, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    return InternalError("PreFilter node names must be a JSON array of strings");
  }
  std::vector<uint32_t> out;
  for (const nlohmann::json& n : doc) {
    if (!n.is_string()) return InternalError("PreFilter node names must be strings");
    int64_t idx = snapshot.Find(n.get_ref<const std::string&>());
    if (idx >= 0) out.push_back(static_cast<uint32_t>(idx));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Algorithm::Algorithm(const Framework* framework, ParallelPool* pool, SchedulerStats* stats,
                     int percentage, uint64_t seed, size_t min_calls_for_parallel)
    : fw_(framework),
      pool_(pool),
      stats_(stats),
      percentage_(percentage),
      min_calls_for_parallel_(min_calls_for_parallel),
      rng_(seed) {}

// Default plugins cost ~100-200 ns a call; waking a worker, or waiting for one the OS preempted
// mid-chunk on a busy 2-core box, costs more than a few thousand such calls save (5,000 nodes:
// 500 sampled x 4-5 plugins ran ~2.9x faster per pod serially under load, scheduler_bench).
bool Algorithm::WorthParallel(size_t nodes, size_t calls_per_node) const {
  return nodes >= kMinNodesForParallel && nodes * calls_per_node >= min_calls_for_parallel_;
}

size_t Algorithm::NumFeasibleNodesToFind(size_t n) const {
  if (n < kMinFeasibleNodesToFind || percentage_ >= 100) return n;
  int64_t p = percentage_;
  if (p <= 0) p = std::max<int64_t>(5, 50 - static_cast<int64_t>(n) / 125);
  size_t k = n * static_cast<size_t>(p) / 100;
  return std::max(k, kMinFeasibleNodesToFind);
}

ScheduleResult Algorithm::Schedule(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                                   int64_t cycle_deadline_ns) {
  ScheduleResult r;
  r.diagnosis.num_all_nodes = snapshot.size();
  if (snapshot.size() == 0) {
    r.kind = ScheduleResult::Kind::kUnschedulable;
    r.message = "no nodes available to schedule pods";
    return r;
  }
  const std::vector<SchedPluginRef>& plugins = fw_->plugins();
  // PreFilter.
  int64_t t0 = MonotonicNowNs();
  std::vector<bool> skipped(plugins.size(), false);
  std::optional<std::vector<uint32_t>> restricted;
  for (size_t i : fw_->pre_filter()) {
    const SchedPluginRef& p = plugins[i];
    capstan_plugin_buf out{nullptr, 0};
    std::string msg;
    capstan_rc rc = fw_->Call(p, Framework::Deadline(p, t0, cycle_deadline_ns), "on_pre_filter",
                              &msg, [&](capstan_plugin_state* s, capstan_call* c) {
                                return p.vt->on_pre_filter(s, c, state.handle(), pod.view(), &out);
                              });
    if (rc == CAPSTAN_RC_SKIP) {
      skipped[i] = true;
      continue;
    }
    if (Rejects(rc)) {
      stats_->pre_filter.Add(MonotonicNowNs() - t0);
      r.kind = ScheduleResult::Kind::kUnschedulable;
      r.diagnosis.pre_filter_msg = msg.empty() ? "rejected by PreFilter plugin " + p.name : msg;
      if (rc == CAPSTAN_RC_UNSCHEDULABLE)
        RunPostFilter(state, pod, snapshot, cycle_deadline_ns, &r);
      r.message = FitErrorMessage(r.diagnosis);
      return r;
    }
    Result<std::vector<uint32_t>> names =
        rc == CAPSTAN_RC_OK && out.len > 0
            ? (out.data == nullptr
                   ? Result<std::vector<uint32_t>>(InternalError("malformed PreFilter output"))
                   : ParseNodeNames(out, snapshot))
            : Result<std::vector<uint32_t>>(std::vector<uint32_t>{});
    if (rc != CAPSTAN_RC_OK || !names.ok()) {
      if (p.ignore_errors) {
        skipped[i] = true;
        continue;
      }
      stats_->pre_filter.Add(MonotonicNowNs() - t0);
      r.kind = ScheduleResult::Kind::kError;
      r.message = "running PreFilter plugin \"" + p.name + "\": " +
                  (names.ok() ? plugin::RcName(rc) + ": " + msg : names.status().message());
      return r;
    }
    if (rc == CAPSTAN_RC_OK && out.len > 0) {
      r.diagnosis.restricting_plugins.push_back(p.name);
      if (!restricted) {
        restricted = std::move(*names);
      } else {
        std::vector<uint32_t> both;
        std::set_intersection(restricted->begin(), restricted->end(), names->begin(), names->end(),
                              std::back_inserter(both));
        restricted = std::move(both);
      }
    }
  }
  int64_t t1 = MonotonicNowNs();
  stats_->pre_filter.Add(t1 - t0);
  if (restricted) r.diagnosis.absent_nodes = snapshot.size() - restricted->size();

  FilterOutcome filtered = RunFilters(state, pod, snapshot, restricted ? &*restricted : nullptr,
                                      skipped, cycle_deadline_ns, &r.diagnosis);
  int64_t t2 = MonotonicNowNs();
  stats_->filter.Add(t2 - t1);
  if (!filtered.error.empty()) {
    r.kind = ScheduleResult::Kind::kError;
    r.message = std::move(filtered.error);
    return r;
  }
  r.feasible = filtered.feasible.size();
  r.evaluated = r.feasible + filtered.rejected;
  if (filtered.feasible.empty()) {
    r.kind = ScheduleResult::Kind::kUnschedulable;
    bool resolvable =
        std::any_of(r.diagnosis.failures.begin(), r.diagnosis.failures.end(),
                    [](const NodeFailure& f) { return f.code == CAPSTAN_RC_UNSCHEDULABLE; });
    if (resolvable) RunPostFilter(state, pod, snapshot, cycle_deadline_ns, &r);
    r.message = FitErrorMessage(r.diagnosis);
    return r;
  }
  if (filtered.feasible.size() == 1) {
    r.kind = ScheduleResult::Kind::kScheduled;
    r.node = filtered.feasible[0];
    r.node_name = snapshot.node(r.node).info->name();
    return r;
  }
  std::vector<int64_t> totals;
  std::string error =
      RunScores(state, pod, snapshot, filtered.feasible, cycle_deadline_ns, &totals);
  if (!error.empty()) {
    r.kind = ScheduleResult::Kind::kError;
    r.message = std::move(error);
    return r;
  }
  // Highest total; ties broken uniformly at random (reservoir sampling).
  size_t best = 0;
  size_t ties = 1;
  for (size_t j = 1; j < totals.size(); ++j) {
    if (totals[j] > totals[best]) {
      best = j;
      ties = 1;
    } else if (totals[j] == totals[best] && rng_() % ++ties == 0) {
      best = j;
    }
  }
  r.kind = ScheduleResult::Kind::kScheduled;
  r.node = filtered.feasible[best];
  r.node_name = snapshot.node(r.node).info->name();
  return r;
}

Algorithm::FilterOutcome Algorithm::RunFilters(CycleState& state, const PodInfo& pod,
                                               const Snapshot& snapshot,
                                               const std::vector<uint32_t>* restricted,
                                               const std::vector<bool>& skipped,
                                               int64_t cycle_deadline_ns, Diagnosis* diagnosis) {
  FilterOutcome out;
  const std::vector<SchedPluginRef>& plugins = fw_->plugins();
  const size_t n = restricted != nullptr ? restricted->size() : snapshot.size();
  if (n == 0) return out;
  const size_t to_find = NumFeasibleNodesToFind(n);
  std::vector<size_t> active;
  bool all_thread_safe = true;
  int64_t phase_start = MonotonicNowNs();
  std::vector<int64_t> deadlines(plugins.size(), 0);
  for (size_t i : fw_->filter()) {
    if (skipped[i]) continue;
    active.push_back(i);
    all_thread_safe = all_thread_safe && plugins[i].thread_safe;
    deadlines[i] = Framework::Deadline(plugins[i], phase_start, cycle_deadline_ns);
  }
  const size_t start = restricted != nullptr ? 0 : next_start_ % n;
  out.feasible.assign(to_find, 0);
  std::atomic<size_t> found{0};
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  // At least `to_find` nodes are evaluated unless fewer exist.
  int workers = all_thread_safe && WorthParallel(std::min(n, to_find), active.size())
                    ? pool_->parallelism()
                    : 1;
  std::vector<WorkerFailures> failures(static_cast<size_t>(workers));
  std::vector<size_t> processed(static_cast<size_t>(workers), 0);
  state.set_writable(false);
  auto work = [&](int w) {
    WorkerFailures& fails = failures[static_cast<size_t>(w)];
    fails.last_reason.assign(plugins.size(), -1);
    CallSlot& slot = Framework::ThreadSlot();
    size_t done = 0;
    std::string msg;
    for (;;) {
      size_t begin = next.fetch_add(kChunk, std::memory_order_relaxed);
      if (begin >= n) break;
      size_t end = std::min(n, begin + kChunk);
      for (size_t k = begin; k < end; ++k) {
        if (found.load(std::memory_order_relaxed) >= to_find ||
            failed.load(std::memory_order_relaxed)) {
          next.store(n, std::memory_order_relaxed);
          break;
        }
        size_t pos = (start + k) % n;
        uint32_t idx = restricted != nullptr ? (*restricted)[pos] : static_cast<uint32_t>(pos);
        const capstan_sched_node_view* nv = &snapshot.node(idx).view;
        if (k + 1 < end) Prefetch(snapshot, restricted, (start + k + 1) % n);
        ++done;
        bool pass = true;
        for (size_t pi : active) {
          const SchedPluginRef& p = plugins[pi];
          auto filter = [&](capstan_plugin_state* s, capstan_call* c) {
            return p.vt->on_filter(s, c, state.handle(), pod.view(), nv);
          };
          // Rejections are the common non-OK outcome; their text is read from the slot without
          // a copy (and kept once per distinct text, see WorkerFailures).
          capstan_rc rc = p.thread_safe ? fw_->CallIn(slot, p, deadlines[pi], nullptr, filter)
                                        : fw_->Call(p, deadlines[pi], "on_filter", &msg, filter);
          if (rc == CAPSTAN_RC_OK) continue;
          if (Rejects(rc)) {
            fails.Add(idx, rc == CAPSTAN_RC_DENIED ? CAPSTAN_RC_UNRESOLVABLE : rc,
                      static_cast<uint32_t>(pi), p.thread_safe ? slot.View() : msg);
            pass = false;
            break;
          }
          if (p.ignore_errors) continue;
          pass = false;
          if (!failed.exchange(true)) {
            std::lock_guard lock(error_mu);
            out.error = "running Filter plugin \"" + p.name + "\" on node \"" +
                        snapshot.node(idx).info->name() + "\": " + plugin::RcName(rc) + ": " +
                        std::string(p.thread_safe ? slot.View() : msg);
          }
          break;
        }
        if (pass) {
          size_t slot_index = found.fetch_add(1, std::memory_order_relaxed);
          if (slot_index < to_find) out.feasible[slot_index] = idx;
        }
      }
    }
    processed[static_cast<size_t>(w)] = done;
  };
  pool_->Run(workers, work);
  state.set_writable(true);
  size_t total = 0;
  size_t rejected = 0;
  for (size_t w = 0; w < failures.size(); ++w) {
    total += processed[w];
    rejected += failures[w].items.size();
  }
  out.rejected = rejected;
  stats_->filter_calls.fetch_add(static_cast<int64_t>(total * active.size()),
                                 std::memory_order_relaxed);
  if (restricted == nullptr) next_start_ = (start + total) % n;
  out.feasible.resize(std::min(found.load(), to_find));
  // Per-node failures matter only when no node fits (PostFilter and the FailedScheduling text).
  if (out.feasible.empty()) {
    diagnosis->failures.reserve(diagnosis->failures.size() + rejected);
    for (const WorkerFailures& wf : failures) {
      for (const WorkerFailures::Item& f : wf.items) {
        diagnosis->failures.push_back(
            {f.node, f.code, plugins[f.plugin].name, wf.reasons[f.reason]});
      }
    }
  }
  return out;
}

void Algorithm::WorkerFailures::Add(uint32_t node, capstan_rc code, uint32_t plugin,
                                    std::string_view reason) {
  int32_t& last = last_reason[plugin];
  if (last < 0 || reasons[static_cast<size_t>(last)] != reason) {
    last = static_cast<int32_t>(reasons.size());
    reasons.emplace_back(reason);
  }
  items.push_back({node, code, plugin, static_cast<uint32_t>(last)});
}

std::string Algorithm::RunScores(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                                 const std::vector<uint32_t>& feasible, int64_t cycle_deadline_ns,
                                 std::vector<int64_t>* totals) {
  const std::vector<SchedPluginRef>& plugins = fw_->plugins();
  const size_t m = feasible.size();
  totals->assign(m, 0);
  int64_t t0 = MonotonicNowNs();
  std::vector<const capstan_sched_node_view*> views(m);
  for (size_t j = 0; j < m; ++j) views[j] = &snapshot.node(feasible[j]).view;
  std::vector<bool> skipped(plugins.size(), false);
  for (size_t i : fw_->pre_score()) {
    const SchedPluginRef& p = plugins[i];
    std::string msg;
    capstan_rc rc = fw_->Call(p, Framework::Deadline(p, t0, cycle_deadline_ns), "on_pre_score",
                              &msg, [&](capstan_plugin_state* s, capstan_call* c) {
                                return p.vt->on_pre_score(s, c, state.handle(), pod.view(),
                                                          views.data(), static_cast<uint32_t>(m));
                              });
    if (rc == CAPSTAN_RC_OK) continue;
    if (rc == CAPSTAN_RC_SKIP || p.ignore_errors) {
      skipped[i] = true;
      continue;
    }
    stats_->pre_score.Add(MonotonicNowNs() - t0);
    return "running PreScore plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
  }
  int64_t t1 = MonotonicNowNs();
  stats_->pre_score.Add(t1 - t0);
  std::vector<size_t> active;
  bool all_thread_safe = true;
  std::vector<int64_t> deadlines(plugins.size(), 0);
  for (size_t i : fw_->score()) {
    if (skipped[i]) continue;
    active.push_back(i);
    all_thread_safe = all_thread_safe && plugins[i].thread_safe;
    deadlines[i] = Framework::Deadline(plugins[i], t1, cycle_deadline_ns);
  }
  if (active.empty()) return "";
  const size_t k = active.size();
  std::vector<int64_t> scores(k * m, 0);
  std::vector<uint8_t> ignored(k, 0);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;
  state.set_writable(false);
  auto fail = [&](const SchedPluginRef& p, capstan_rc rc, const std::string& msg) {
    if (failed.exchange(true)) return;
    std::lock_guard lock(error_mu);
    error = "running Score plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
  };
  // Plugins with on_score_nodes score a slice of nodes per call; the others one node per call.
  std::vector<size_t> batched;
  std::vector<size_t> single;
  for (size_t a = 0; a < k; ++a) {
    (plugins[active[a]].vt->on_score_nodes != nullptr ? batched : single).push_back(a);
  }
  auto work = [&](int) {
    CallSlot& slot = Framework::ThreadSlot();
    std::string msg;
    for (;;) {
      size_t begin = next.fetch_add(kScoreSlice, std::memory_order_relaxed);
      if (begin >= m || failed.load(std::memory_order_relaxed)) break;
      const size_t end = std::min(m, begin + kScoreSlice);
      for (size_t a : batched) {
        const SchedPluginRef& p = plugins[active[a]];
        int64_t* out = &scores[a * m + begin];
        auto call = [&](capstan_plugin_state* s, capstan_call* c) {
          return p.vt->on_score_nodes(s, c, state.handle(), pod.view(), &views[begin],
                                      static_cast<uint32_t>(end - begin), out);
        };
        capstan_rc rc = p.thread_safe
                            ? fw_->CallIn(slot, p, deadlines[active[a]], &msg, call)
                            : fw_->Call(p, deadlines[active[a]], "on_score_nodes", &msg, call);
        if (rc == CAPSTAN_RC_OK) continue;
        if (p.ignore_errors) {
          std::fill(out, out + (end - begin), int64_t{0});
        } else {
          fail(p, rc, msg);
        }
      }
      if (single.empty()) continue;
      for (size_t j = begin; j < end; ++j) {
        if (j + 1 < m) {
          const char* v = reinterpret_cast<const char*>(views[j + 1]);
          __builtin_prefetch(v);
          __builtin_prefetch(v + 64);
          __builtin_prefetch(v + 128);
        }
        for (size_t a : single) {
          const SchedPluginRef& p = plugins[active[a]];
          int64_t score = 0;
          auto call = [&](capstan_plugin_state* s, capstan_call* c) {
            return p.vt->on_score(s, c, state.handle(), pod.view(), views[j], &score);
          };
          capstan_rc rc = p.thread_safe
                              ? fw_->CallIn(slot, p, deadlines[active[a]], &msg, call)
                              : fw_->Call(p, deadlines[active[a]], "on_score", &msg, call);
          if (rc == CAPSTAN_RC_OK) {
            scores[a * m + j] = score;
          } else if (p.ignore_errors) {
            scores[a * m + j] = 0;
          } else {
            fail(p, rc, msg);
          }
        }
      }
    }
  };
  int workers = all_thread_safe && WorthParallel(m, k) ? pool_->parallelism() : 1;
  pool_->Run(workers, work);
  state.set_writable(true);
  stats_->score_calls.fetch_add(static_cast<int64_t>(k * m), std::memory_order_relaxed);
  int64_t t2 = MonotonicNowNs();
  stats_->score.Add(t2 - t1);
  if (!error.empty()) return error;
  std::vector<capstan_sched_node_score> normalized(m);
  for (size_t a = 0; a < k; ++a) {
    const SchedPluginRef& p = plugins[active[a]];
    int64_t* row = &scores[a * m];
    if (p.vt->on_normalize_score != nullptr) {
      for (size_t j = 0; j < m; ++j) normalized[j] = {views[j]->name, row[j]};
      std::string msg;
      capstan_rc rc =
          fw_->Call(p, Framework::Deadline(p, t2, cycle_deadline_ns), "on_normalize_score", &msg,
                    [&](capstan_plugin_state* s, capstan_call* c) {
                      return p.vt->on_normalize_score(s, c, state.handle(), pod.view(),
                                                      normalized.data(), static_cast<uint32_t>(m));
                    });
      if (rc != CAPSTAN_RC_OK && !p.ignore_errors) {
        return "running NormalizeScore plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " +
               msg;
      }
      if (rc == CAPSTAN_RC_OK) {
        for (size_t j = 0; j < m; ++j) row[j] = normalized[j].score;
      }
    }
    for (size_t j = 0; j < m; ++j) {
      if (row[j] < 0 || row[j] > 100) {
        return "plugin \"" + p.name + "\" returns an invalid score " + std::to_string(row[j]) +
               ", it should in the range of [0, 100] after normalizing";
      }
      (*totals)[j] += row[j] * p.weight;
    }
  }
  stats_->normalize_score.Add(MonotonicNowNs() - t2);
  return "";
}

void Algorithm::RunPostFilter(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                              int64_t cycle_deadline_ns, ScheduleResult* result) {
  if (fw_->post_filter().empty()) return;
  int64_t t0 = MonotonicNowNs();
  const std::vector<NodeFailure>& failures = result->diagnosis.failures;
  std::vector<capstan_sched_node_status> statuses(failures.size());
  for (size_t i = 0; i < failures.size(); ++i) {
    statuses[i].node_name = snapshot.node(failures[i].node).view.name;
    statuses[i].code = failures[i].code;
    statuses[i].reason = HostStr(failures[i].reason);
  }
  for (size_t i : fw_->post_filter()) {
    const SchedPluginRef& p = fw_->plugins()[i];
    capstan_plugin_buf out{nullptr, 0};
    std::string msg;
    capstan_rc rc =
        fw_->Call(p, Framework::Deadline(p, t0, cycle_deadline_ns), "on_post_filter", &msg,
                  [&](capstan_plugin_state* s, capstan_call* c) {
                    return p.vt->on_post_filter(s, c, state.handle(), pod.view(), statuses.data(),
                                                static_cast<uint32_t>(statuses.size()), &out);
                  });
    if (rc == CAPSTAN_RC_OK) {
      if (out.data != nullptr && out.len > 0) {
        result->nominated_node.assign(reinterpret_cast<const char*>(out.data), out.len);
      }
      break;
    }
    if (!msg.empty()) result->diagnosis.post_filter_msg = msg;
  }
  stats_->post_filter.Add(MonotonicNowNs() - t0);
}

}  // namespace capstan::scheduler
