// Runtime plugin `runc`: cgroup usage files (see cgroup_stats.h).
#include "cgroup_stats.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

namespace capstan::plugins::runc_runtime {
namespace {

std::optional<uint64_t> ParseUint(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  return v;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<uint64_t> ReadUintFile(const std::string& path) {
  std::optional<std::string> text = ReadFile(path);
  return text ? ParseUint(*text) : std::nullopt;
}

// The value of `key` in a flat-keyed file ("key value" lines: cpu.stat, memory.stat).
std::optional<uint64_t> ReadKeyed(const std::string& path, std::string_view key) {
  std::optional<std::string> text = ReadFile(path);
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t space = line.find(' ');
    if (space != std::string::npos && std::string_view(line).substr(0, space) == key) {
      return ParseUint(std::string_view(line).substr(space + 1));
    }
  }
  return std::nullopt;
}

uint64_t WorkingSet(uint64_t usage, std::optional<uint64_t> inactive_file) {
  uint64_t inactive = inactive_file.value_or(0);
  return usage > inactive ? usage - inactive : 0;
}

// One line of /proc/self/cgroup: "<id>:<controllers>:<path>".
struct Hierarchy {
  std::vector<std::string> controllers;  // empty for v2
  std::string mount_name;                // the directory under the mount root
  std::string path;
};

std::vector<Hierarchy> ParseSelfCgroup(const std::string& text) {
  std::vector<Hierarchy> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    Hierarchy h;
    h.mount_name = line.substr(a + 1, b - a - 1);
    h.path = line.substr(b + 1);
    std::istringstream names(h.mount_name);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (!name.empty()) h.controllers.push_back(name);
    }
    out.push_back(std::move(h));
  }
  return out;
}

bool Has(const Hierarchy& h, std::string_view controller) {
  for (const std::string& c : h.controllers) {
    if (c == controller) return true;
  }
  return false;
}

std::string Dir(const std::string& mount, const std::string& own, const std::string& relative) {
  return mount + (own == "/" ? "" : own) + "/" + relative;
}

}  // namespace

CgroupUsage ReadCgroupUsage(const std::string& fs_root, const std::string& self_cgroup,
                            const std::string& relative) {
  CgroupUsage usage;
  std::optional<std::string> v2_dir;
  for (const Hierarchy& h : ParseSelfCgroup(self_cgroup)) {
    if (h.controllers.empty()) {
      std::error_code ec;
      std::string mount =
          std::filesystem::is_directory(fs_root + "/unified", ec) ? fs_root + "/unified" : fs_root;
      v2_dir = Dir(mount, h.path, relative);
      continue;
    }
    std::string dir = Dir(fs_root + "/" + h.mount_name, h.path, relative);
    if (!usage.has_cpu && Has(h, "cpuacct")) {
      if (std::optional<uint64_t> ns = ReadUintFile(dir + "/cpuacct.usage")) {
        usage.has_cpu = true;
        usage.cpu_ns = *ns;
      }
    }
    if (!usage.has_memory && Has(h, "memory")) {
      if (std::optional<uint64_t> bytes = ReadUintFile(dir + "/memory.usage_in_bytes")) {
        usage.has_memory = true;
        usage.working_set_bytes =
            WorkingSet(*bytes, ReadKeyed(dir + "/memory.stat", "total_inactive_file"));
      }
    }
  }
  if (v2_dir && !usage.has_cpu) {
    if (std::optional<uint64_t> usec = ReadKeyed(*v2_dir + "/cpu.stat", "usage_usec")) {
      usage.has_cpu = true;
      usage.cpu_ns = *usec * 1000;
    }
  }
  if (v2_dir && !usage.has_memory) {
    if (std::optional<uint64_t> bytes = ReadUintFile(*v2_dir + "/memory.current")) {
      usage.has_memory = true;
      usage.working_set_bytes =
          WorkingSet(*bytes, ReadKeyed(*v2_dir + "/memory.stat", "inactive_file"));
    }
  }
  return usage;
}

std::string ReadSelfCgroup() { return ReadFile("/proc/self/cgroup").value_or(""); }

}  // namespace capstan::plugins::runc_runtime
