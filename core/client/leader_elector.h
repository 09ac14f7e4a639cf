// `LeaderElector`: leader election on a coordination.k8s.io/v1 Lease, so that of several
// replicas of a component (scheduler, controller host) exactly one acts at a time. Acquires the
// Lease when absent, released or expired, renews it while leading, releases it on Stop.
// Compare-and-swap on resourceVersion; 409 means another candidate won the race.
// Partner: api_client.h. Implementation in leader_elector.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::client {

struct LeaderElectorOptions {
  std::string lease_namespace = "kube-system";
  std::string lease_name;  // required, e.g. "capstan-scheduler"
  std::string identity;    // required and unique per candidate, e.g. "<hostname>_<pid>"
  // How long a Lease stays valid after its holder's last renewal, as seen by the others
  // (written as spec.leaseDurationSeconds; rounded up to whole seconds, at least 1).
  std::chrono::milliseconds lease_duration{15'000};
  // A leader that could not renew for this long stops leading. Must be < lease_duration.
  std::chrono::milliseconds renew_deadline{10'000};
  // Pause between acquire attempts, and between renewals.
  std::chrono::milliseconds retry_period{2'000};
  // Clear holderIdentity when stopping while leading, so another candidate takes over at once
  // instead of after lease_duration.
  bool release_on_stop = true;
  // Called on the elector thread when this candidate starts / stops leading. They must return
  // promptly (start or signal workers; do not run them here). on_stopped_leading is called once
  // for every on_started_leading, including on Stop().
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // Called on the elector thread when the observed holder changes (may be this identity).
  std::function<void(const std::string& holder)> on_new_leader;
};

// Thread-safe. One elector thread runs the acquire/renew loop.
class LeaderElector {
 public:
  // Validates the options and starts the elector thread. `client` is borrowed and must outlive
  // the elector. Errors: kInvalid naming the option (empty lease_name or identity, non-positive
  // durations, renew_deadline >= lease_duration, retry_period >= renew_deadline).
  static Result<std::unique_ptr<LeaderElector>> Start(ApiClient* client,
                                                      LeaderElectorOptions options);
  // Stops (see Stop()).
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Ends the loop; when leading, calls on_stopped_leading and (with release_on_stop) releases
  // the Lease. Joins the thread. Idempotent; must not be called from the callbacks.
  void Stop();

  // True between on_started_leading and on_stopped_leading.
  bool IsLeader() const;
  // The holder last observed in the Lease ("" when none or unknown).
  std::string Leader() const;

 private:
  LeaderElector(ApiClient* client, LeaderElectorOptions options);
  void Run();
  // One attempt to acquire or renew; true when this identity holds the Lease afterwards.
  bool TryAcquireOrRenew();
  Status Release();
  std::string LeasePath() const;
  nlohmann::json LeaseSpec(const nlohmann::json* old_spec) const;
  void ObserveHolder(const std::string& holder);
  bool SleepFor(std::chrono::milliseconds d);

  ApiClient* client_;
  const LeaderElectorOptions options_;

  mutable std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  bool stopping_ = false;
  bool leading_ = false;
  std::string observed_holder_;
  // The last Lease record seen and when (local monotonic clock): expiry is judged from the time
  // we saw the record change, never from the holder's clock.
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_time_;
  std::thread thread_;
};

}  // namespace capstan::client
