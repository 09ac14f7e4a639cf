// `EventRecorder`: core/v1 Events about pods as the kubelet emits them (source component
// "kubelet", host = node; involvedObject with fieldPath `spec.containers{name}`), with the
// client-go style aggregation of repeats (same object, field, reason and message: count and
// lastTimestamp PATCHed onto the first event). Implementation in events.cc.
// Thread-safety: every method may be called from any thread (one mutex for the repeat table).
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "core/client/api_client.h"

namespace capstan::agent {

class EventRecorder {
 public:
  // `client` is borrowed and must outlive the recorder.
  EventRecorder(client::ApiClient* client, std::string node_name)
      : client_(client), node_name_(std::move(node_name)) {}

  // Records a Normal (`warning` false) or Warning event on `pod`. `field_path` is "" or
  // "spec.containers{name}" / "spec.initContainers{name}". Failures are logged, not returned:
  // events are best effort, as upstream.
  void Record(const nlohmann::json& pod, const std::string& field_path, bool warning,
              const std::string& reason, const std::string& message);
  // Forgets the repeat table entries of pod `uid` (after the pod is gone).
  void Forget(const std::string& uid);

 private:
  struct Seen {
    std::string ns;
    std::string name;  // the Event's name
    int count = 1;
  };
  using Key = std::tuple<std::string, std::string, std::string, std::string>;

  client::ApiClient* client_;
  std::string node_name_;
  std::mutex mu_;
  std::map<Key, Seen> seen_;  // guarded by mu_; (uid, field, reason, message)
};

}  // namespace capstan::agent
