// `BitmapAllocator`: hands out the integers of [0, size) at most once each, remembering which
// object (its metadata.uid) owns each one and when it was taken, so allocations can be checked
// ("is this port really this Service's?"), released per owner and repaired after crashes.
// The Service IP and NodePort allocators (service_allocators.h) are built on it.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace capstan::registry {

// Thread-safe: every method takes the one internal mutex.
class BitmapAllocator {
 public:
  // `clock_ms` stamps allocations (monotonic milliseconds); `seed` makes the order of dynamic
  // allocation reproducible in tests.
  BitmapAllocator(uint32_t size, std::function<int64_t()> clock_ms, uint64_t seed);

  uint32_t size() const { return size_; }

  // Marks `offset` as owned by `owner`. True when it was free or already `owner`'s (idempotent);
  // false when another owner holds it. `offset` must be < size().
  bool Allocate(uint32_t offset, std::string_view owner);
  // A free offset owned from now on by `owner`: a random one in [preferred_begin, size) first,
  // then in [min_offset, preferred_begin). nullopt when none is free.
  std::optional<uint32_t> AllocateNext(std::string_view owner, uint32_t min_offset,
                                       uint32_t preferred_begin);
  // Frees `offset` if `owner` holds it (any owner when `owner` is empty).
  void Release(uint32_t offset, std::string_view owner);
  // Frees everything `owner` holds except `keep` and what it took after `taken_before_ms`.
  void ReleaseOwnerExcept(std::string_view owner, const std::set<uint32_t>& keep,
                          int64_t taken_before_ms = INT64_MAX);
  // Frees offsets whose owner is not in `live_owners` and that were taken at or before
  // `taken_before_ms` (allocations of writes still in flight are younger). Returns them.
  std::vector<uint32_t> ReleaseOrphans(const std::set<std::string>& live_owners,
                                       int64_t taken_before_ms);
  // Frees everything.
  void Clear();

  bool IsOwnedBy(uint32_t offset, std::string_view owner) const;
  bool IsAllocated(uint32_t offset) const;
  size_t Used() const;
  int64_t Now() const { return clock_ms_(); }

 private:
  struct Owner {
    std::string uid;
    int64_t taken_ms = 0;
  };
  bool TestLocked(uint32_t offset) const { return (bits_[offset / 64] >> (offset % 64)) & 1u; }
  void SetLocked(uint32_t offset, std::string_view owner);
  void ClearLocked(uint32_t offset);
  std::optional<uint32_t> ScanLocked(uint32_t begin, uint32_t end, uint32_t start) const;

  const uint32_t size_;
  const std::function<int64_t()> clock_ms_;
  mutable std::mutex mu_;
  std::vector<uint64_t> bits_;                                    // guarded by mu_
  std::unordered_map<uint32_t, Owner> owners_;                    // guarded by mu_
  std::unordered_map<std::string, std::set<uint32_t>> by_owner_;  // guarded by mu_
  std::mt19937_64 rng_;                                           // guarded by mu_
};

}  // namespace capstan::registry
