// `EventRecorder`: core/v1 Events about pods as the kubelet emits them (source component
// "kubelet", host = node; involvedObject with fieldPath `spec.containers{name}`), with the
// client-go style aggregation of repeats (same object, field, reason and message: count and
// lastTimestamp PATCHed onto the first event). Events are sent by the recorder's own thread, as
// client-go's broadcaster does, so a pod's start never waits for its events' API writes.
// Implementation in events.cc.
// Thread-safety: every method may be called from any thread (one mutex for the queue).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>

#include "core/client/api_client.h"

namespace capstan::agent {

// A unique event name for `object`: "<object>.<hex nanoseconds><hex counter>", as upstream's.
std::string EventName(const std::string& object);

// The body of a new event (count 1, first and last seen `now`) that the kubelet of `node`
// records on `involved` in namespace `ns`. Shared with node_events.h.
nlohmann::json KubeletEvent(const std::string& name, const std::string& ns, nlohmann::json involved,
                            bool warning, const std::string& reason, const std::string& message,
                            const std::string& node, const std::string& now);

class EventRecorder {
 public:
  // `client` is borrowed and must outlive the recorder. Starts the sending thread.
  EventRecorder(client::ApiClient* client, std::string node_name);
  // Sends what is queued for at most `kDrainTime` more (the API may be gone), drops the rest,
  // then stops the thread.
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Queues a Normal (`warning` false) or Warning event on `pod`, stamped now. `field_path` is ""
  // or "spec.containers{name}" / "spec.initContainers{name}". Sent in order by the recorder's
  // thread; failures are logged, not returned, and past `kMaxQueued` unsent events new ones are
  // dropped with a warning: events are best effort, as upstream (client-go buffers 1000).
  void Record(const nlohmann::json& pod, const std::string& field_path, bool warning,
              const std::string& reason, const std::string& message);
  // Forgets the repeat table entries of pod `uid` (after the pod is gone), after the pod's
  // queued events.
  void Forget(const std::string& uid);

  static constexpr size_t kMaxQueued = 1000;
  static constexpr std::chrono::seconds kDrainTime{2};

 private:
  struct Seen {
    std::string ns;
    std::string name;  // the Event's name
    int count = 1;
  };
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  struct Pending {
    bool forget = false;  // a Forget(uid) in line with the events
    std::string ns, pod_name, uid, resource_version, field_path, reason, message, now;
    bool warning = false;
  };

  void SendLoop();
  void Send(const Pending& p);  // on the sending thread only

  client::ApiClient* client_;
  std::string node_name_;
  std::map<Key, Seen> seen_;  // the sending thread's only; (uid, field, reason, message)
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;                            // guarded by mu_
  bool stopping_ = false;                                // guarded by mu_
  std::chrono::steady_clock::time_point drain_until_{};  // guarded by mu_; set with stopping_
  std::thread sender_;
};

}  // namespace capstan::agent
