// What the agent reports about its node: the machine's capacity and identity (`MachineInfo`,
// read from sysconf, /proc/meminfo, uname and /etc/os-release) and the Node object's labels and
// status as the kubelet posts them. Used by agent.cc; tests in tests/core/agent/.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace capstan::agent {

struct MachineInfo {
  int64_t cpus = 1;
  int64_t memory_bytes = 0;
  std::string os_image = "Linux";
  std::string kernel_version;
  std::string hostname;
  std::string internal_ip = "127.0.0.1";  // first non-loopback IPv4 address, else loopback
};

// Reads this machine's facts; fields it cannot read keep their defaults.
MachineInfo DetectMachine();

struct NodeReport {
  std::string node_name;
  MachineInfo machine;
  int64_t max_pods = 110;
  std::string runtime_version;  // "fake://0.1.0"
  std::map<std::string, std::string> extra_labels;
  int daemon_port = 10250;  // the agent API's port (status.daemonEndpoints)
};

// metadata.labels: kubernetes.io/hostname, kubernetes.io/os=linux, kubernetes.io/arch=amd64 and
// the extra labels (which win).
nlohmann::json NodeLabels(const NodeReport& report);

// spec.podCIDR and spec.podCIDRs (the one CIDR) for a merge patch.
nlohmann::json NodePodCidrSpec(const std::string& pod_cidr);

// status: capacity = allocatable (cpu, memory "<n>Ki", pods), nodeInfo, addresses, conditions
// (Ready=True "KubeletReady"; MemoryPressure, DiskPressure, PIDPressure False) with
// lastHeartbeatTime `now` and lastTransitionTime `ready_since`.
nlohmann::json NodeStatus(const NodeReport& report, const std::string& now,
                          const std::string& ready_since);

}  // namespace capstan::agent
