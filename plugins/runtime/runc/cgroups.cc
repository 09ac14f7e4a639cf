// Runtime plugin `runc`: removal of relative cgroup directories (see cgroups.h).
#include "cgroups.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace capstan::plugins::runc_runtime {

void RemoveRelativeCgroup(const std::string& relative) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    std::string mount;
    if (controllers.empty()) {
      mount = std::filesystem::exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
                                                                : "/sys/fs/cgroup";
    } else if (controllers.rfind("name=", 0) == 0) {
      mount = "/sys/fs/cgroup/" + controllers.substr(5);
    } else {
      mount = "/sys/fs/cgroup/" + controllers;
    }
    std::string dir = mount + (path == "/" ? "" : path) + "/" + relative;
    rmdir(dir.c_str());
  }
}

}  // namespace capstan::plugins::runc_runtime
