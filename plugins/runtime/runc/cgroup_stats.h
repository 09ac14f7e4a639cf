// Runtime plugin `runc`: a container's CPU time and memory working set read from its cgroup
// files, in each hierarchy layout this machine may have (cgroup v1 controllers, the v2 unified
// mount of a hybrid setup, or pure v2). Used by runc_stats.cc (ListContainerStats); tested with
// files in a temporary directory in cgroup_stats_test.cc. Removal of cgroups: cgroups.h.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUP_STATS_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUP_STATS_H_

#include <cstdint>
#include <string>

namespace capstan::plugins::runc_runtime {

struct CgroupUsage {
  bool has_cpu = false;
  uint64_t cpu_ns = 0;  // cumulative CPU time of every task that ran in the cgroup
  bool has_memory = false;
  // usage minus inactive file pages (clamped at 0), the kubelet's "working set".
  uint64_t working_set_bytes = 0;
};

// Reads the usage of the cgroup `relative` nests at under this process's own cgroup (as runc
// places relative cgroupsPaths). `self_cgroup` is the text of /proc/self/cgroup and `fs_root`
// the cgroup mount root ("/sys/fs/cgroup"); both are parameters so tests can fake them.
// CPU: v1 `cpuacct.usage` (ns) in the hierarchy carrying cpuacct, else v2 `cpu.stat`
// `usage_usec`. Memory: v1 `memory.usage_in_bytes` minus `total_inactive_file` of
// `memory.stat`, else v2 `memory.current` minus `inactive_file`. The v2 hierarchy of a hybrid
// machine is at `<fs_root>/unified` when that directory exists. A figure whose files are
// missing or malformed is left unset (has_* false). Thread-safe (reads files only).
CgroupUsage ReadCgroupUsage(const std::string& fs_root, const std::string& self_cgroup,
                            const std::string& relative);

// The text of /proc/self/cgroup ("" when unreadable).
std::string ReadSelfCgroup();

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUP_STATS_H_
