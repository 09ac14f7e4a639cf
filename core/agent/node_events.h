// `NodeEventRecorder`: core/v1 Events about the agent's own Node, as the kubelet records them
// on its `nodeRef` (involvedObject kind Node, uid = the node name, namespace "default"), with
// repeats of one reason and message folded into `count`. Pod events are events.h's; the image
// garbage collector (image_gc_manager.h) is the first user. Implementation in node_events.cc.
// Thread-safety: every method may be called from any thread (one mutex for the repeat table).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "core/client/api_client.h"

namespace capstan::agent {

class NodeEventRecorder {
 public:
  // `client` is borrowed and must outlive the recorder.
  NodeEventRecorder(client::ApiClient* client, std::string node_name)
      : client_(client), node_name_(std::move(node_name)) {}

  // Records a Normal (`warning` false) or Warning event on the Node. Best effort, as upstream:
  // failures are logged, not returned.
  void Record(bool warning, const std::string& reason, const std::string& message);

 private:
  struct Seen {
    std::string name;  // the Event's name in "default"
    int count = 1;
  };

  client::ApiClient* client_;
  std::string node_name_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Seen> seen_;  // (reason, message); guarded by mu_
};

}  // namespace capstan::agent
