// Runtime plugin `runc`: removing the cgroup directories runc leaves behind. Containers get
// relative cgroupsPaths, which runc nests under the caller's own cgroup in every hierarchy
// (cgroup v1, the unified v2 mount, or pure v2). Used by runc_runtime.cc and its test.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUPS_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUPS_H_

#include <string>

namespace capstan::plugins::runc_runtime {

// rmdir()s `<mount of each hierarchy>/<this process's cgroup there>/<relative>`. Directories
// that are absent or still in use stay; nothing is reported (best effort). Thread-safe.
void RemoveRelativeCgroup(const std::string& relative);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_CGROUPS_H_
