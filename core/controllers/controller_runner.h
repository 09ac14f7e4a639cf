// `ControllerRunner`: runs one controller plugin instance — its watch description
// (`on_describe`), event handlers on the shared informers that turn events into keys (primary:
// own key; "owner": the controller ownerReference of the primary's kind; "plugin":
// `on_map_event`), a `client::WorkQueue`, N workers calling `on_reconcile` with requeue/backoff,
// an optional periodic resync, and Prometheus metrics. Partners: controller_host.h (owns
// runners), informer_set.h, host_services.h. Tests: tests/core/controllers/.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/client/informer.h"
#include "core/client/work_queue.h"
#include "core/common/status.h"
#include "core/controllers/host_services.h"
#include "core/controllers/informer_set.h"
#include "core/plugin/metrics.h"
#include "core/plugin/registry.h"

namespace capstan::controllers {

// The parsed `on_describe` output (capstan/abi/controller.h).
struct WatchSpec {
  enum class Map { kOwner, kPlugin };
  struct Watch {
    std::string resource;
    Map map = Map::kOwner;
  };
  std::string primary;
  std::vector<Watch> watches;
  int workers = 2;
  int64_t resync_seconds = 0;

  // Errors: kInvalid naming the field ("watches[1].map: must be \"owner\" or \"plugin\"").
  static Result<WatchSpec> Parse(const nlohmann::json& description);
};

// True when ownerReference `ref` (apiVersion, kind) names an object of `resource`
// ("apps/v1/replicasets" matches apps/v1 ReplicaSet): same group and a kind whose plural is
// the resource's (regular English plurals: +s, +es, y -> ies).
bool OwnerRefMatchesResource(const nlohmann::json& ref, std::string_view resource);

struct RunnerOptions {
  int workers_override = 0;  // > 0 replaces the plugin's "workers"
  int max_workers = 16;
};

// Thread-safety: Start/SetActive/Stop from the owner's thread; the handlers run on informer
// threads and the workers on their own; counters are atomic.
class ControllerRunner {
 public:
  // Calls `on_describe`, allows the described resources on `binding`, creates their informers
  // in `informers` (not started) and registers the event handlers. `entry` (with its instance)
  // must outlive the runner. Errors: kInvalid for a bad description or resource, the plugin's
  // failure as CallOutcome::ToStatus.
  static Result<std::unique_ptr<ControllerRunner>> Create(const plugin::ChainEntry& entry,
                                                          ServiceBinding* binding,
                                                          InformerSet& informers,
                                                          plugin::MetricsRegistry& metrics,
                                                          const RunnerOptions& options);
  ~ControllerRunner();  // Stop()

  // Starts the workers (and the resync loop); they take keys only while active.
  void Start();
  // Leader election gate: inactive workers hold keys in the queue.
  void SetActive(bool active);
  // Shuts the queue down and joins every thread. Idempotent.
  void Stop();

  const std::string& name() const { return name_; }
  const WatchSpec& spec() const { return spec_; }
  size_t QueueDepth() const { return queue_.Len(); }
  int64_t reconciles() const { return reconciles_.load(); }
  int64_t errors() const { return errors_.load(); }

 private:
  ControllerRunner(const plugin::ChainEntry& entry, WatchSpec spec, plugin::MetricsRegistry& m);
  // `texts`: the informer's text cache (informer_set.h), for events mapped by the plugin.
  void AddHandlers(client::Informer* informer, const ObjectTextCache* texts,
                   const std::string& resource, bool primary, WatchSpec::Map map);
  void Enqueue(const std::string& key);
  void EnqueueOwner(const nlohmann::json& object);
  void MapThroughPlugin(const std::string& resource, uint32_t event,
                        const client::ObjectPtr& object, const ObjectTextCache* texts);
  void Worker();
  void ReconcileOne(const std::string& key);
  void ResyncLoop();

  const plugin::ChainEntry& entry_;
  const std::string name_;
  const WatchSpec spec_;
  int workers_ = 2;
  client::Informer* primary_ = nullptr;
  client::WorkQueue queue_;

  plugin::MetricsRegistry& metrics_;
  plugin::MetricSeries* depth_ = nullptr;
  plugin::MetricSeries* total_ = nullptr;
  plugin::MetricSeries* failed_ = nullptr;
  plugin::MetricSeries* latency_ = nullptr;
  std::atomic<int64_t> reconciles_{0};
  std::atomic<int64_t> errors_{0};

  std::mutex mu_;  // guards active_, stopping_ (with cv_)
  std::condition_variable cv_;
  bool active_ = false;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace capstan::controllers
