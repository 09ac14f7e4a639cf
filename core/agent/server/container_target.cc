// Container resolution for the node API (container_target.h).
#include "core/agent/server/container_target.h"

#include <algorithm>
#include <filesystem>

namespace capstan::agent::server {

using nlohmann::json;

json FindContainerStatus(const json& pod, const std::string& container) {
  const json status = pod.value("status", json::object());
  for (const char* key :
       {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    for (const json& s : status.value(key, json::array())) {
      if (s.value("name", "") == container) return s;
    }
  }
  return nullptr;
}

Result<ContainerTarget> ResolveContainer(const PodLookup& get_pod, const std::string& pods_dir,
                                         const std::string& ns, const std::string& pod,
                                         const std::string& container) {
  std::shared_ptr<const json> obj = get_pod(ns, pod);
  if (obj == nullptr) return NotFoundError("pods \"" + pod + "\" not found");
  bool found = false;
  const json spec = obj->value("spec", json::object());
  json spec_container;
  for (const char* key : {"containers", "initContainers", "ephemeralContainers"}) {
    for (const json& c : spec.value(key, json::array())) {
      if (c.is_object() && c.value("name", "") == container) {
        found = true;
        spec_container = c;
      }
    }
  }
  if (!found) {
    return NotFoundError("container \"" + container + "\" not found in pod \"" + pod + "\"");
  }
  ContainerTarget t;
  t.ns = ns;
  t.pod = pod;
  t.container = container;
  t.uid = obj->value("metadata", json::object()).value("uid", "");
  t.log_dir = pods_dir + "/" + t.uid + "/logs/" + container;
  t.stdin = spec_container.value("stdin", false);
  t.stdin_once = spec_container.value("stdinOnce", false);
  t.tty = spec_container.value("tty", false);
  t.status = FindContainerStatus(*obj, container);
  if (t.status.is_object()) {
    std::string id = t.status.value("containerID", "");
    size_t scheme = id.find("://");
    t.container_id = scheme == std::string::npos ? id : id.substr(scheme + 3);
    t.running = t.status.value("state", json::object()).contains("running");
  }
  return t;
}

std::vector<int> LogAttempts(const std::string& log_dir) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".log") != 0) continue;
    std::string num = name.substr(0, name.size() - 4);
    if (num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(std::stoi(num));
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

bool RunEnded(const PodLookup& get_pod, const ContainerTarget& target, int attempt) {
  std::shared_ptr<const json> pod = get_pod(target.ns, target.pod);
  if (pod == nullptr || pod->value("metadata", json::object()).value("uid", "") != target.uid) {
    return true;
  }
  std::error_code ec;
  if (std::filesystem::exists(target.log_dir + "/" + std::to_string(attempt + 1) + ".log", ec)) {
    return true;
  }
  std::string phase = pod->value("status", json::object()).value("phase", "");
  if (phase == "Succeeded" || phase == "Failed") return true;
  json status = FindContainerStatus(*pod, target.container);
  if (!status.is_object() || status.value("restartCount", 0) != attempt) return false;
  const json state = status.value("state", json::object());
  if (state.contains("terminated")) return true;
  // Crash-loop backoff: this run ended and the next one has not started.
  return state.contains("waiting") &&
         status.value("lastState", json::object()).contains("terminated");
}

}  // namespace

bool ContainerRunEnded(const PodLookup& get_pod, const ContainerTarget& target, int attempt) {
  // nlohmann throws on fields of an unexpected type; a pod that odd ends the stream.
  try {
    return RunEnded(get_pod, target, attempt);
  } catch (const std::exception&) {
    return true;
  }
}

}  // namespace capstan::agent::server
