// `CycleCache<T>`: parsed per-pod state computed once in PreFilter/PreScore and read cheaply by
// the per-node Filter/Score calls of the same scheduling cycle. The cycle state (host service
// "capstan_host_sched_cycle_write_v1"/"..._read_v1") holds only an 8-byte token under the
// plugin's key; the parsed object stays in the plugin, so Filter never parses or copies JSON.
// Header-only. Partners: sched_util.h; users: node-affinity, inter-pod-affinity, ...
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_CYCLE_CACHE_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_CYCLE_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "capstan/sdk/sched.h"

namespace capstan::sched {

// Thread-safe: `Put` and `Get` may run concurrently (Get is what Filter/Score call per node).
// A few recent cycles are remembered (cycles run one at a time, but a Filter of cycle N may
// still be reading while cycle N+1's PreFilter stores), and `Get` hands out shared ownership,
// so a slot reused later never invalidates a reader.
template <typename T>
class CycleCache {
 public:
  explicit CycleCache(std::string key) : key_(std::move(key)) {}

  // Stores `value` for `cycle`. OK, or the cycle-write error (then `Get` finds nothing and the
  // caller recomputes per node, correct but slow).
  sdk::Status Put(const sdk::Cycle& cycle, std::shared_ptr<const T> value) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t token = next_.load(std::memory_order_relaxed) + 1;
    char bytes[sizeof(token)];
    std::memcpy(bytes, &token, sizeof(token));
    sdk::Status s = cycle.Write(key_, std::string_view(bytes, sizeof(bytes)));
    if (s.ok()) slots_[token % kSlots] = {token, std::move(value)};
    // A new generation even on failure, so no thread keeps serving an older cycle's value.
    // Published after the slot, so a reader seeing the new generation finds its value.
    next_.store(token, std::memory_order_release);
    return s;
  }

  // The value stored for `cycle`, or NULL when none was (or it was evicted); use it within the
  // current plugin call (it may not own the value). Fast path: a
  // thread that already resolved this cycle since the latest `Put` reuses its answer without
  // calling the host (cycles run one at a time and each Put starts a new generation, so an
  // unchanged generation and cycle handle mean the same cycle).
  std::shared_ptr<const T> Get(const sdk::Cycle& cycle) const {
    uint64_t latest = next_.load(std::memory_order_acquire);
    ThreadMemo& memo = Memo();
    if (memo.owner == id_ && memo.cycle == cycle.raw() && memo.generation == latest) {
      // Non-owning (no shared reference-count traffic between Filter threads): the memo and the
      // slot keep the value alive far longer than the current plugin call.
      return std::shared_ptr<const T>(std::shared_ptr<const T>(), memo.value.get());
    }
    std::string_view raw;
    if (!cycle.Read(key_, &raw).ok() || raw.size() != sizeof(uint64_t)) return nullptr;
    uint64_t token = 0;
    std::memcpy(&token, raw.data(), sizeof(token));
    std::shared_ptr<const T> value;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto& slot = slots_[token % kSlots];
      if (slot.first == token) value = slot.second;
    }
    if (value != nullptr && token == latest) memo = ThreadMemo{id_, cycle.raw(), latest, value};
    return value;
  }

  const std::string& key() const { return key_; }

 private:
  struct ThreadMemo {
    uint64_t owner = 0;  // `id_` of the cache
    capstan_sched_cycle* cycle = nullptr;
    uint64_t generation = 0;
    std::shared_ptr<const T> value;
  };
  static ThreadMemo& Memo() {
    thread_local ThreadMemo memo;
    return memo;
  }

  static constexpr size_t kSlots = 8;
  static uint64_t NextId() {
    static std::atomic<uint64_t> ids{0};
    return ids.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  const std::string key_;
  const uint64_t id_ = NextId();  // unique per cache object, unlike its address
  std::atomic<uint64_t> next_{0};
  mutable std::mutex mu_;  // guards slots_
  std::array<std::pair<uint64_t, std::shared_ptr<const T>>, kSlots> slots_{};
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_CYCLE_CACHE_H_
