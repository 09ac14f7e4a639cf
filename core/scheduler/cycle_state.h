// Per-cycle state shared by the plugins of one scheduling attempt (`capstan_sched_cycle*`):
// key/value bytes written in the serial phases and read from any thread, plus the snapshot the
// cycle runs on (for "capstan_host_sched_node_pods_v1"). Partner: host_services.h.
// Tests in tests/core/scheduler/host_services_test.cc.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/abi/sched.h"
#include "core/scheduler/snapshot.h"

namespace capstan::scheduler {

// Thread-safety: Write only while `writable()` (the host clears it around the parallel
// Filter/Score phases, so reads there need no lock); Read from any thread. Values stay valid
// for the life of the object even when a key is overwritten (the ABI promises "valid for the
// cycle"). Shared with the binding task, which outlives the cycle.
class CycleState {
 public:
  explicit CycleState(const Snapshot* snapshot) : snapshot_(snapshot) {}

  capstan_sched_cycle* handle() { return reinterpret_cast<capstan_sched_cycle*>(this); }
  static CycleState* FromHandle(capstan_sched_cycle* h) { return reinterpret_cast<CycleState*>(h); }

  // False (nothing stored) outside the serial phases.
  bool Write(std::string_view key, std::string_view value);
  // NULL when absent.
  const std::string* Read(std::string_view key) const;

  void set_writable(bool w) { writable_.store(w, std::memory_order_release); }
  bool writable() const { return writable_.load(std::memory_order_acquire); }
  // NULL once the cycle is over (binding runs while the next cycle updates the snapshot).
  const Snapshot* snapshot() const { return snapshot_.load(std::memory_order_acquire); }
  void DetachSnapshot() { snapshot_.store(nullptr, std::memory_order_release); }

 private:
  std::atomic<const Snapshot*> snapshot_;
  std::atomic<bool> writable_{true};
  // Newest last; old values are kept so earlier reads stay valid.
  std::vector<std::pair<std::string, std::unique_ptr<std::string>>> values_;
};

}  // namespace capstan::scheduler
