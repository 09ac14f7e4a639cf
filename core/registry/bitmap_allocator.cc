// Owner-tracking bitmap allocation (bitmap_allocator.h).
#include "core/registry/bitmap_allocator.h"

#include <algorithm>
#include <bit>

namespace capstan::registry {

BitmapAllocator::BitmapAllocator(uint32_t size, std::function<int64_t()> clock_ms, uint64_t seed)
    : size_(size), clock_ms_(std::move(clock_ms)), bits_((size + 63) / 64, 0), rng_(seed) {}

void BitmapAllocator::SetLocked(uint32_t offset, std::string_view owner) {
  bits_[offset / 64] |= uint64_t{1} << (offset % 64);
  owners_[offset] = Owner{std::string(owner), clock_ms_()};
  by_owner_[std::string(owner)].insert(offset);
}

void BitmapAllocator::ClearLocked(uint32_t offset) {
  bits_[offset / 64] &= ~(uint64_t{1} << (offset % 64));
  auto it = owners_.find(offset);
  if (it == owners_.end()) return;
  auto set = by_owner_.find(it->second.uid);
  if (set != by_owner_.end()) {
    set->second.erase(offset);
    if (set->second.empty()) by_owner_.erase(set);
  }
  owners_.erase(it);
}

bool BitmapAllocator::Allocate(uint32_t offset, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset >= size_) return false;
  if (TestLocked(offset)) {
    auto it = owners_.find(offset);
    return it != owners_.end() && it->second.uid == owner;
  }
  SetLocked(offset, owner);
  return true;
}

// The first free offset in [begin, end) scanning from `start` and wrapping once.
std::optional<uint32_t> BitmapAllocator::ScanLocked(uint32_t begin, uint32_t end,
                                                    uint32_t start) const {
  if (begin >= end) return std::nullopt;
  auto scan = [this](uint32_t from, uint32_t to) -> std::optional<uint32_t> {
    uint32_t i = from;
    while (i < to) {
      uint64_t word = ~bits_[i / 64] >> (i % 64);  // free bits from i on
      if (word == 0) {
        i = (i / 64 + 1) * 64;
        continue;
      }
      uint32_t candidate = i + static_cast<uint32_t>(std::countr_zero(word));
      return candidate < to ? std::optional<uint32_t>(candidate) : std::nullopt;
    }
    return std::nullopt;
  };
  if (auto hit = scan(start, end)) return hit;
  return scan(begin, start);
}

std::optional<uint32_t> BitmapAllocator::AllocateNext(std::string_view owner, uint32_t min_offset,
                                                      uint32_t preferred_begin) {
  std::lock_guard<std::mutex> lock(mu_);
  preferred_begin = std::max(std::min(preferred_begin, size_), min_offset);
  for (auto [begin, end] :
       {std::pair{preferred_begin, size_}, std::pair{min_offset, preferred_begin}}) {
    if (begin >= end) continue;
    uint32_t start = begin + static_cast<uint32_t>(rng_() % (end - begin));
    if (std::optional<uint32_t> hit = ScanLocked(begin, end, start)) {
      SetLocked(*hit, owner);
      return hit;
    }
  }
  return std::nullopt;
}

void BitmapAllocator::Release(uint32_t offset, std::string_view owner) {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset >= size_ || !TestLocked(offset)) return;
  auto it = owners_.find(offset);
  if (!owner.empty() && (it == owners_.end() || it->second.uid != owner)) return;
  ClearLocked(offset);
}

void BitmapAllocator::ReleaseOwnerExcept(std::string_view owner, const std::set<uint32_t>& keep,
                                         int64_t taken_before_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_owner_.find(std::string(owner));
  if (it == by_owner_.end()) return;
  std::vector<uint32_t> drop;
  for (uint32_t offset : it->second) {
    if (keep.count(offset) == 0 && owners_[offset].taken_ms <= taken_before_ms) {
      drop.push_back(offset);
    }
  }
  for (uint32_t offset : drop) ClearLocked(offset);
}

std::vector<uint32_t> BitmapAllocator::ReleaseOrphans(const std::set<std::string>& live_owners,
                                                      int64_t taken_before_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> drop;
  for (const auto& [offset, owner] : owners_) {
    if (live_owners.count(owner.uid) == 0 && owner.taken_ms <= taken_before_ms) {
      drop.push_back(offset);
    }
  }
  for (uint32_t offset : drop) ClearLocked(offset);
  return drop;
}

void BitmapAllocator::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(bits_.begin(), bits_.end(), 0);
  owners_.clear();
  by_owner_.clear();
}

bool BitmapAllocator::IsOwnedBy(uint32_t offset, std::string_view owner) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = owners_.find(offset);
  return it != owners_.end() && it->second.uid == owner;
}

bool BitmapAllocator::IsAllocated(uint32_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  return offset < size_ && TestLocked(offset);
}

size_t BitmapAllocator::Used() const {
  std::lock_guard<std::mutex> lock(mu_);
  return owners_.size();
}

}  // namespace capstan::registry
