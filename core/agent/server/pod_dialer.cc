// PodNetnsPath and DialInNetns (pod_dialer.h).
#include "core/agent/server/pod_dialer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

namespace capstan::agent::server {
namespace {

using nlohmann::json;

std::string StripScheme(const std::string& id) {
  size_t p = id.find("://");
  return p == std::string::npos ? id : id.substr(p + 3);
}

// A connected descriptor, or the errno of the failed connect.
Result<int> ConnectLocal(int family, uint16_t port, std::string* error) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError(std::string("socket: ") + std::strerror(errno));
  int rc;
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  if (rc == 0) return fd;
  // Go's wording, as kubectl users know it from the kubelet: "connection refused".
  std::string reason = std::strerror(errno);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
  std::string p = std::to_string(port);
  *error +=
      std::string(family == AF_INET ? "IPv4: dial tcp4 127.0.0.1:" : " IPv6: dial tcp6 [::1]:") +
      p + ": connect: " + reason;
  close(fd);
  return UnavailableError(*error);
}

Result<int> DialOnThisThread(const std::string& netns_path, uint16_t port) {
  if (!netns_path.empty()) {
    int ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      return InternalError("opening network namespace " + netns_path + ": " + std::strerror(errno));
    }
    int rc = setns(ns, CLONE_NEWNET);
    int err = errno;
    close(ns);
    if (rc != 0) {
      return InternalError("entering network namespace " + netns_path + ": " + std::strerror(err));
    }
  }
  std::string error = "failed to connect to localhost:" + std::to_string(port) +
                      " inside namespace " + (netns_path.empty() ? "(host)" : netns_path) + ", ";
  Result<int> fd = ConnectLocal(AF_INET, port, &error);
  if (fd.ok() || fd.status().code() != StatusCode::kUnavailable) return fd;
  return ConnectLocal(AF_INET6, port, &error);
}

}  // namespace

Result<std::string> PodNetnsPath(const json& pod, const RuntimeCall& runtime) {
  const json spec = pod.value("spec", json::object());
  if (spec.value("hostNetwork", false)) return std::string();
  std::string container_id;
  const json status = pod.value("status", json::object());
  for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
    const json list = status.value(key, json::array());
    if (!list.is_array()) continue;
    for (const json& cs : list) {
      if (cs.is_object() && !cs.value("containerID", "").empty()) {
        container_id = StripScheme(cs.value("containerID", ""));
        break;
      }
    }
    if (!container_id.empty()) break;
  }
  if (container_id.empty()) {
    return BadRequestError("pod has no created container yet: its network is not known");
  }
  Result<json> c = runtime("ContainerStatus", {{"containerId", container_id}});
  if (!c.ok()) return c.status().WithContext("looking up container " + container_id);
  std::string sandbox = c->value("status", json::object()).value("podSandboxId", "");
  if (sandbox.empty()) return NotFoundError("container " + container_id + " has no sandbox");
  Result<json> sb = runtime("PodSandboxStatus", {{"podSandboxId", sandbox}});
  if (!sb.ok()) return sb.status().WithContext("looking up sandbox " + sandbox);
  std::string netns = sb->value("info", json::object()).value("netnsPath", "");
  if (netns.empty()) return NotFoundError("sandbox " + sandbox + " reports no network namespace");
  return netns;
}

Result<int> DialInNetns(const std::string& netns_path, uint16_t port) {
  Result<int> out = InternalError("dial thread did not run");
  // A thread of its own: setns changes only the calling thread, which then ends.
  std::thread([&] { out = DialOnThisThread(netns_path, port); }).join();
  return out;
}

}  // namespace capstan::agent::server
