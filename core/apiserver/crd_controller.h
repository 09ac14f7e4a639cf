// `CrdController`: serves the custom resources that CustomResourceDefinitions define. It watches
// the CRD watch cache, and for each CRD validates it, registers every served version with the
// `ApiServer` (discovery, routing, storage with a schema strategy), publishes an OpenAPI v3
// document per group-version, writes the CRD's status (NamesAccepted, Established,
// acceptedNames, storedVersions) and runs the `customresourcecleanup.apiextensions.k8s.io`
// finalizer (delete all custom resources, then let the CRD go). Partners: crd_definition.h,
// crd_strategy.h, crd_openapi.h, api_server.h.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/apiserver/api_server.h"
#include "core/apiserver/crd_definition.h"
#include "core/apiserver/crd_strategy.h"

namespace capstan::apiserver {

struct CrdControllerOptions {
  Clock clock = SystemClockMs;  // condition lastTransitionTime
  // Delay before a failed or unfinished reconcile (e.g. custom resources still finalizing) runs
  // again.
  int64_t retry_delay_ms = 500;
  // How long Start waits for the CRDs that exist at start to be served.
  int64_t initial_sync_timeout_ms = 10000;
};

// Thread-safety: the watch callback only enqueues CRD names; one worker thread reconciles them
// and alone touches the per-CRD state. Start/Stop/destruction from one owner thread.
class CrdController {
 public:
  // Starts watching CRDs. Returns once the CRDs that exist are served (or after
  // `initial_sync_timeout_ms`), so CRDs survive restarts without a window of 404s.
  // `server` is borrowed and must outlive the controller. Errors: kInternal when the server does
  // not serve customresourcedefinitions; the watch's errors.
  static Result<std::unique_ptr<CrdController>> Start(ApiServer* server,
                                                      const CrdControllerOptions& options = {});
  ~CrdController();
  CrdController(const CrdController&) = delete;
  CrdController& operator=(const CrdController&) = delete;

  // Stops the watch and the worker. Custom resources stay registered. Idempotent.
  void Stop();

 private:
  // What is served for one CRD (by CRD name).
  struct Served {
    std::string group;
    CrdNames names;
    std::vector<api::ResourceInfo> resources;
    std::map<std::string, nlohmann::json> schemas;  // version -> openAPIV3Schema
  };
  struct Condition {
    std::string type;
    std::string status;
    std::string reason;
    std::string message;
  };

  CrdController(ApiServer* server, RestStorage* crds, CrdControllerOptions options);
  void Enqueue(const std::string& name);
  void EnqueueAfter(const std::string& name, int64_t delay_ms);
  void Run();

  void Reconcile(const std::string& name);
  // Returns false when the reconcile must be retried.
  bool ServeCrd(const std::string& name, const nlohmann::json& crd);
  bool Finalize(const std::string& name, const nlohmann::json& crd);
  // Stops serving what `name` registered (CRD gone or invalid).
  void Withdraw(const std::string& name);
  Status Register(const std::string& name, const CrdDefinition& def);
  bool FindConflict(const CrdDefinition& def, Condition* names_condition) const;
  std::shared_ptr<CustomResourceStrategy> StrategyFor(const CrdDefinition& def);
  void RefreshOpenApi(const std::set<std::pair<std::string, std::string>>& group_versions);

  // Status and metadata writes through the CRD storage.
  bool WriteStatus(const std::string& name, const std::vector<Condition>& conditions,
                   const CrdNames* accepted, const std::string& stored_version);
  bool SetFinalizer(const std::string& name, bool present);

  ApiServer* server_;
  RestStorage* crds_;
  CrdControllerOptions options_;
  nlohmann::json shared_schemas_;  // OpenAPI components every CR document references
  std::unique_ptr<CacheWatcher> watcher_;

  std::mutex mu_;  // guards the queue members below
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  std::multimap<std::chrono::steady_clock::time_point, std::string> delayed_;
  bool stopping_ = false;
  bool busy_ = false;  // a reconcile is running
  std::thread worker_;

  // Worker-thread state.
  std::map<std::string, Served> served_;
  std::map<std::string, std::shared_ptr<CustomResourceStrategy>> strategies_;  // "group/plural"
  std::map<std::string, std::string> documents_;  // OpenAPI v3 path -> installed body
};

}  // namespace capstan::apiserver
