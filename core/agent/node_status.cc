// Node labels and status (node_status.h).
#include "core/agent/node_status.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace capstan::agent {
namespace {

using nlohmann::json;

int64_t MemTotalBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  while (in >> key) {
    if (key == "MemTotal:" && (in >> kib)) return kib * 1024;
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return "Linux";
}

std::string FirstIpv4() {
  ifaddrs* addrs = nullptr;
  if (getifaddrs(&addrs) != 0) return "127.0.0.1";
  std::string found = "127.0.0.1";
  for (ifaddrs* a = addrs; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) == nullptr) continue;
    std::string ip = buf;
    if (ip.rfind("127.", 0) == 0) continue;
    found = ip;
    break;
  }
  freeifaddrs(addrs);
  return found;
}

json Condition(const std::string& type, bool status, const std::string& reason,
               const std::string& message, const std::string& now, const std::string& since) {
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"reason", reason},
          {"message", message},
          {"lastHeartbeatTime", now},
          {"lastTransitionTime", since}};
}

}  // namespace

MachineInfo DetectMachine() {
  MachineInfo m;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) m.cpus = cpus;
  m.memory_bytes = MemTotalBytes();
  m.os_image = OsImage();
  utsname u{};
  if (uname(&u) == 0) m.kernel_version = u.release;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) m.hostname = host;
  m.internal_ip = FirstIpv4();
  return m;
}

json NodeLabels(const NodeReport& report) {
  json labels = {{"kubernetes.io/hostname", report.node_name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", "amd64"},
                 {"beta.kubernetes.io/os", "linux"},
                 {"beta.kubernetes.io/arch", "amd64"}};
  for (const auto& [k, v] : report.extra_labels) labels[k] = v;
  return labels;
}

json NodePodCidrSpec(const std::string& pod_cidr) {
  return {{"podCIDR", pod_cidr}, {"podCIDRs", json::array({pod_cidr})}};
}

json NodeStatus(const NodeReport& report, const std::string& now, const std::string& ready_since) {
  const MachineInfo& m = report.machine;
  json resources = {{"cpu", std::to_string(m.cpus)},
                    {"memory", std::to_string(m.memory_bytes / 1024) + "Ki"},
                    {"pods", std::to_string(report.max_pods)}};
  json node_info = {{"machineID", ""},
                    {"systemUUID", ""},
                    {"bootID", ""},
                    {"kernelVersion", m.kernel_version},
                    {"osImage", m.os_image},
                    {"containerRuntimeVersion", report.runtime_version},
                    {"kubeletVersion", "v1.32.0-capstan"},
                    {"kubeProxyVersion", ""},
                    {"operatingSystem", "linux"},
                    {"architecture", "amd64"}};
  json addresses = json::array({{{"type", "InternalIP"}, {"address", m.internal_ip}},
                                {{"type", "Hostname"}, {"address", report.node_name}}});
  json conditions = json::array({
      Condition("MemoryPressure", false, "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available", now, ready_since),
      Condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure",
                now, ready_since),
      Condition("PIDPressure", false, "KubeletHasSufficientPID",
                "kubelet has sufficient PID available", now, ready_since),
      Condition("Ready", true, "KubeletReady", "capstan agent is posting ready status", now,
                ready_since),
  });
  return {{"capacity", resources},
          {"allocatable", resources},
          {"nodeInfo", node_info},
          {"addresses", addresses},
          {"conditions", conditions},
          {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", report.daemon_port}}}}}};
}

}  // namespace capstan::agent
