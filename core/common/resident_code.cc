// Trimming of resident code pages (resident_code.h), from /proc/self/smaps.
#include "core/common/resident_code.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace capstan::memory {
namespace {

struct Mapping {
  uintptr_t begin = 0, end = 0;
  bool executable_file = false;  // r-xp with a path
  int64_t rss_kb = 0, private_dirty_kb = 0;
};

// "begin-end perms offset dev inode path": a mapping's header line in smaps.
bool ParseHeader(const std::string& line, Mapping* m) {
  unsigned long long begin = 0, end = 0;
  char perms[5] = {0};
  int path_at = 0;
  if (std::sscanf(line.c_str(), "%llx-%llx %4s %*s %*s %*s %n", &begin, &end, perms, &path_at) <
      3) {
    return false;
  }
  m->begin = static_cast<uintptr_t>(begin);
  m->end = static_cast<uintptr_t>(end);
  const bool has_path = path_at > 0 && static_cast<size_t>(path_at) < line.size() &&
                        line[static_cast<size_t>(path_at)] == '/';
  m->executable_file = std::strcmp(perms, "r-xp") == 0 && has_path;
  return true;
}

std::vector<Mapping> ReadMappings() {
  std::vector<Mapping> out;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  while (std::getline(smaps, line)) {
    Mapping m;
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) != 0 &&
        line.find('-') != std::string::npos && ParseHeader(line, &m)) {
      out.push_back(m);
      continue;
    }
    if (out.empty()) continue;
    long long kb = 0;
    if (std::sscanf(line.c_str(), "Rss: %lld kB", &kb) == 1) out.back().rss_kb = kb;
    if (std::sscanf(line.c_str(), "Private_Dirty: %lld kB", &kb) == 1) {
      out.back().private_dirty_kb = kb;
    }
  }
  return out;
}

}  // namespace

TrimStats TrimResidentCode() {
  TrimStats stats;
#ifdef __linux__
  for (const Mapping& m : ReadMappings()) {
    if (!m.executable_file || m.private_dirty_kb != 0 || m.end <= m.begin) continue;
    void* at = reinterpret_cast<void*>(m.begin);  // NOLINT(performance-no-int-to-ptr)
    const size_t size = m.end - m.begin;
    if (madvise(at, size, MADV_RANDOM) != 0) continue;
    if (madvise(at, size, MADV_DONTNEED) != 0) continue;
    ++stats.mappings;
    stats.dropped_kb += m.rss_kb;
  }
#endif
  return stats;
}

}  // namespace capstan::memory
