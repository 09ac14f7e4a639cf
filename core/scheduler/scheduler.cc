// The scheduling loop, informer handlers and failure handling (scheduler.h). The binding cycle
// is in scheduler_binding.cc.
#include "core/scheduler/scheduler.h"

#include <chrono>

#include "core/common/log.h"

namespace capstan::scheduler {

using plugin::MonotonicNowNs;

Result<std::unique_ptr<Scheduler>> Scheduler::Create(SchedulerOptions options) {
  if (options.chain == nullptr) return InvalidError("scheduler: no sched plugin chain");
  Result<std::unique_ptr<Framework>> fw = Framework::Create(*options.chain, options.profile_name);
  if (!fw.ok()) return fw.status();
  std::unique_ptr<Scheduler> s(new Scheduler(std::move(options)));
  s->framework_ = std::move(*fw);
  SchedulingQueue::Options qo;
  const Framework* framework = s->framework_.get();
  qo.less = [framework](const PodInfo& a, const PodInfo& b) { return framework->QueueLess(a, b); };
  qo.initial_backoff = s->options_.initial_backoff;
  qo.max_backoff = s->options_.max_backoff;
  qo.unschedulable_timeout = s->options_.unschedulable_timeout;
  s->queue_ = std::make_unique<SchedulingQueue>(std::move(qo));
  uint64_t seed =
      s->options_.seed != 0 ? s->options_.seed : static_cast<uint64_t>(MonotonicNowNs());
  s->algorithm_ = std::make_unique<Algorithm>(framework, &s->pool_, &s->stats_,
                                              s->options_.percentage_of_nodes_to_score, seed,
                                              s->options_.min_calls_for_parallel);
  s->outcomes_ = std::make_unique<OutcomeWriter>(s->options_.api, s->options_.profile_name);
  s->binders_ = std::make_unique<TaskPool>(s->options_.binding_threads);
  return s;
}

Scheduler::Scheduler(SchedulerOptions options)
    : options_(std::move(options)), pool_(options_.parallelism) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  std::lock_guard lock(run_mu_);
  if (started_ || stopping_) return;
  started_ = true;
  loop_ = std::thread([this] { Loop(); });
  flusher_ = std::thread([this] { FlushLoop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(run_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  queue_->Close();
  if (loop_.joinable()) loop_.join();
  if (flusher_.joinable()) flusher_.join();
  binders_->Shutdown();
  outcomes_->Shutdown();
}

void Scheduler::Loop() {
  while (ScheduleOne(/*block=*/true)) {
  }
}

void Scheduler::FlushLoop() {
  std::unique_lock lock(run_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, options_.flush_interval);
    if (stopping_) break;
    lock.unlock();
    queue_->Flush();
    lock.lock();
  }
}

void Scheduler::WaitForBindings() {
  binders_->WaitIdle();
  outcomes_->WaitIdle();
}

bool Scheduler::Responsible(const PodInfo& pod) const {
  return pod.data().scheduler_name == options_.profile_name;
}

void Scheduler::HandlePod(std::shared_ptr<const PodInfo> pod, bool was_bound) {
  if (pod->bound()) {
    // Bound (by us or anyone): it holds resources on its node; it is no longer pending.
    queue_->Delete(pod->key());
    bool terminal = pod->terminal();
    cache_.AddOrUpdatePod(std::move(pod));
    // A pod that finished or changed on a node may make room or satisfy affinity.
    if (terminal || was_bound) queue_->MoveAllToActiveOrBackoff();
    return;
  }
  if (pod->terminal() || !Responsible(*pod)) {
    queue_->Delete(pod->key());
    return;
  }
  queue_->AddOrUpdate(std::move(pod));
}

void Scheduler::OnPodAdd(const std::shared_ptr<const nlohmann::json>& pod) {
  Result<std::shared_ptr<const PodInfo>> info = PodInfo::FromJson(pod);
  if (!info.ok()) {
    log::Warn("scheduler", "ignoring pod", {{"error", info.status().message()}});
    return;
  }
  HandlePod(std::move(*info), false);
}

void Scheduler::OnPodUpdate(const std::shared_ptr<const nlohmann::json>& old_pod,
                            const std::shared_ptr<const nlohmann::json>& new_pod) {
  Result<std::shared_ptr<const PodInfo>> info = PodInfo::FromJson(new_pod);
  if (!info.ok()) {
    log::Warn("scheduler", "ignoring pod", {{"error", info.status().message()}});
    return;
  }
  bool was_bound = false;
  if (old_pod != nullptr) {
    auto spec = old_pod->find("spec");
    if (spec != old_pod->end() && spec->is_object()) {
      auto node = spec->find("nodeName");
      was_bound =
          node != spec->end() && node->is_string() && !node->get_ref<const std::string&>().empty();
    }
  }
  HandlePod(std::move(*info), was_bound);
}

void Scheduler::OnPodDelete(const std::shared_ptr<const nlohmann::json>& pod) {
  Result<std::shared_ptr<const PodInfo>> info = PodInfo::FromJson(pod);
  if (!info.ok()) return;
  const std::string& key = (*info)->key();
  queue_->Delete(key);
  if (cache_.HasPod(key)) {
    cache_.RemovePod(key);
    queue_->MoveAllToActiveOrBackoff();
  }
}

void Scheduler::OnNodeAdd(const std::shared_ptr<const nlohmann::json>& node) {
  Result<std::shared_ptr<const NodeInfo>> info = NodeInfo::FromJson(node);
  if (!info.ok()) {
    log::Warn("scheduler", "ignoring node", {{"error", info.status().message()}});
    return;
  }
  cache_.AddNode(std::move(*info));
  queue_->MoveAllToActiveOrBackoff();
}

void Scheduler::OnNodeUpdate(const std::shared_ptr<const nlohmann::json>&,
                             const std::shared_ptr<const nlohmann::json>& new_node) {
  OnNodeAdd(new_node);
}

void Scheduler::OnNodeDelete(const std::shared_ptr<const nlohmann::json>& node) {
  Result<std::shared_ptr<const NodeInfo>> info = NodeInfo::FromJson(node);
  if (info.ok()) cache_.RemoveNode((*info)->name());
}

void Scheduler::Fail(QueuedPod qp, bool unschedulable, std::string message, std::string nominated) {
  (unschedulable ? stats_.unschedulable : stats_.errors).fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<const PodInfo> pod = qp.pod;
  queue_->Requeue(std::move(qp), /*backoff=*/!unschedulable);
  if (!unschedulable) {
    log::Warn("scheduler", "scheduling attempt failed", {{"pod", pod->key()}, {"error", message}});
  }
  outcomes_->Failed(pod, unschedulable ? "Unschedulable" : "SchedulerError", std::move(message),
                    std::move(nominated));
}

bool Scheduler::ScheduleOne(bool block) {
  std::optional<QueuedPod> next = block ? queue_->Pop() : queue_->TryPop();
  if (!next) return false;
  QueuedPod qp = std::move(*next);
  const std::shared_ptr<const PodInfo> pod = qp.pod;
  // Being deleted, or already assumed/bound (a stale event re-queued it): nothing to do.
  if (pod->data().deleting || cache_.HasPod(pod->key())) {
    queue_->Done(pod->key());
    return true;
  }
  int64_t t0 = MonotonicNowNs();
  cache_.UpdateSnapshot(&snapshot_);
  int64_t t1 = MonotonicNowNs();
  stats_.snapshot.Add(t1 - t0);
  int64_t deadline = framework_->budget_ns() > 0 ? t1 + framework_->budget_ns() : 0;
  auto state = std::make_shared<CycleState>(&snapshot_);
  ScheduleResult r = algorithm_->Schedule(*state, *pod, snapshot_, deadline);
  if (r.kind != ScheduleResult::Kind::kScheduled) {
    stats_.cycle.Add(MonotonicNowNs() - t0);
    Fail(std::move(qp), r.kind == ScheduleResult::Kind::kUnschedulable, std::move(r.message),
         std::move(r.nominated_node));
    return true;
  }
  // Assume, then Reserve in order.
  std::shared_ptr<const PodInfo> assumed = pod->WithNodeName(r.node_name);
  if (Status s = cache_.AssumePod(assumed); !s.ok()) {
    Fail(std::move(qp), false, s.message(), "");
    return true;
  }
  const std::vector<SchedPluginRef>& plugins = framework_->plugins();
  int64_t t2 = MonotonicNowNs();
  capstan_host_str node_name = HostStr(r.node_name);
  std::string failure;
  bool rejected = false;
  for (size_t i : framework_->reserve()) {
    const SchedPluginRef& p = plugins[i];
    if (p.vt->on_reserve == nullptr) continue;
    std::string msg;
    capstan_rc rc =
        framework_->Call(p, Framework::Deadline(p, t2, deadline), "on_reserve", &msg,
                         [&](capstan_plugin_state* s, capstan_call* c) {
                           return p.vt->on_reserve(s, c, state->handle(), pod->view(), node_name);
                         });
    if (rc == CAPSTAN_RC_OK || (rc == CAPSTAN_RC_ERROR && p.ignore_errors)) continue;
    rejected = rc == CAPSTAN_RC_UNSCHEDULABLE || rc == CAPSTAN_RC_UNRESOLVABLE;
    failure = "running Reserve plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
    break;
  }
  int64_t t3 = MonotonicNowNs();
  stats_.reserve.Add(t3 - t2);
  // Permit: any rejection rejects; WAIT holds the pod for the shortest wait.
  uint64_t wait_ms = 0;
  std::string wait_plugin;
  for (size_t i : failure.empty() ? framework_->permit() : std::vector<size_t>{}) {
    const SchedPluginRef& p = plugins[i];
    std::string msg;
    uint64_t w = 0;
    capstan_rc rc = framework_->Call(p, Framework::Deadline(p, t3, deadline), "on_permit", &msg,
                                     [&](capstan_plugin_state* s, capstan_call* c) {
                                       return p.vt->on_permit(s, c, state->handle(), pod->view(),
                                                              node_name, &w);
                                     });
    if (rc == CAPSTAN_RC_OK || (rc == CAPSTAN_RC_ERROR && p.ignore_errors)) continue;
    if (rc == CAPSTAN_RC_WAIT) {
      if (wait_ms == 0 || w < wait_ms) {
        wait_ms = std::max<uint64_t>(w, 1);
        wait_plugin = p.name;
      }
      continue;
    }
    rejected = rc != CAPSTAN_RC_ERROR;
    failure =
        "pod rejected by Permit plugin \"" + p.name + "\": " + plugin::RcName(rc) + ": " + msg;
    break;
  }
  stats_.permit.Add(MonotonicNowNs() - t3);
  if (!failure.empty()) {
    Unreserve(*state, *pod, r.node_name);
    stats_.cycle.Add(MonotonicNowNs() - t0);
    Fail(std::move(qp), rejected, std::move(failure), "");
    return true;
  }
  stats_.scheduled.fetch_add(1, std::memory_order_relaxed);
  stats_.cycle.Add(MonotonicNowNs() - t0);
  // Binding runs while the next cycle updates the snapshot: plugins lose node_pods there.
  state->DetachSnapshot();
  binders_->Post(
      [this, qp = std::move(qp), state, node = r.node_name, wait_ms, wait_plugin]() mutable {
        std::string error = Bind(*state, *qp.pod, node, wait_ms, wait_plugin);
        if (error.empty()) {
          stats_.bound.fetch_add(1, std::memory_order_relaxed);
          queue_->Done(qp.pod->key());
          outcomes_->Scheduled(qp.pod, node);
          return;
        }
        stats_.bind_failures.fetch_add(1, std::memory_order_relaxed);
        Unreserve(*state, *qp.pod, node);
        Fail(std::move(qp), false, std::move(error), "");
      });
  return true;
}

}  // namespace capstan::scheduler
