// Keeps a long-lived, mostly idle process (the node agent) from holding code it ran once. The
// kernel maps up to 16 neighbouring pages of a file on every page fault ("fault-around"), and
// start-up runs code of every subsystem once, so an idle agent kept ~10 MB of its binary's and
// libraries' code resident. Partner: core/cmd/agent_cmd.cc.
#pragma once

#include <cstdint>

namespace capstan::memory {

struct TrimStats {
  int mappings = 0;        // executable file mappings trimmed
  int64_t dropped_kb = 0;  // their resident size before the trim
};

// For every executable, never-written file mapping of this process (code of the binary, its
// libraries and loaded plugins): turns fault-around off (MADV_RANDOM), so that later faults map
// only the page touched, and drops its pages from the page table (MADV_DONTNEED; they stay in
// the page cache and fault back in when run again). Mappings with private dirty pages are left
// alone (dropping them would lose their writes). Safe to call any time; Linux only (a no-op
// elsewhere); never fails.
TrimStats TrimResidentCode();

}  // namespace capstan::memory
