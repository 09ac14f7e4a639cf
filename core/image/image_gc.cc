// ImageService removal, garbage collection and container rootfs handling (image_service.h).
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>

#include "core/common/log.h"
#include "core/image/image_service.h"
#include "core/image/rootfs.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;

bool Named(const ImageRecord& r, const std::set<std::string>& names) {
  if (names.count(r.id) || names.count(r.manifest_digest)) return true;
  for (const auto& n : r.repo_tags) {
    if (names.count(n)) return true;
  }
  for (const auto& n : r.repo_digests) {
    if (names.count(n)) return true;
  }
  return false;
}

}  // namespace

DiskUsage ImageService::Usage() const {
  if (options_.disk_usage) return options_.disk_usage();
  struct statvfs st;
  if (statvfs(options_.data_dir.c_str(), &st) != 0) return {};
  return DiskUsage{static_cast<int64_t>(st.f_blocks) * static_cast<int64_t>(st.f_frsize),
                   static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize)};
}

void ImageService::PruneLocked() {
  std::set<std::string> live(pinned_.begin(), pinned_.end());
  for (const auto& r : records_) {
    live.insert(r.config_digest);
    live.insert(r.manifest_digest);
    for (const auto& l : r.layers) live.insert(l.digest);
  }
  for (const auto& d : store_->ListBlobs()) {
    if (!live.count(d)) (void)store_->RemoveBlob(d);
  }
  for (const auto& d : store_->ListLayers()) {
    if (!live.count(d)) (void)store_->RemoveLayer(d);
  }
}

Status ImageService::Remove(std::string_view image) {
  std::lock_guard<std::mutex> lock(mu_);
  int i = FindLocked(image);
  if (i < 0) return NotFoundError("image \"" + std::string(image) + "\" not found");
  ImageRecord& r = records_[static_cast<size_t>(i)];
  auto ref = ParseReference(image);
  if (ref.ok() && ref->digest.empty() && r.repo_tags.size() > 1) {
    std::string tag = ref->Name() + ":" + ref->tag;
    r.repo_tags.erase(std::remove(r.repo_tags.begin(), r.repo_tags.end(), tag), r.repo_tags.end());
    return SaveLocked();
  }
  log::Info("image", "removing image", {{"image", std::string(image)}, {"id", r.id}});
  records_.erase(records_.begin() + i);
  CAPSTAN_RETURN_IF_ERROR(SaveLocked());
  PruneLocked();
  return Status::Ok();
}

Result<GcResult> ImageService::GarbageCollect(const GcPolicy& policy,
                                              const std::set<std::string>& in_use) {
  if (policy.low_threshold_percent < 0 || policy.high_threshold_percent > 100 ||
      policy.low_threshold_percent > policy.high_threshold_percent) {
    return InvalidError("image GC: want 0 <= low <= high <= 100 percent");
  }
  GcResult result;
  DiskUsage usage = Usage();
  std::lock_guard<std::mutex> lock(mu_);
  if (usage.capacity_bytes > 0) {
    int64_t used = usage.capacity_bytes - usage.available_bytes;
    int64_t high = usage.capacity_bytes * policy.high_threshold_percent / 100;
    int64_t low = usage.capacity_bytes * policy.low_threshold_percent / 100;
    if (used >= high) {
      int64_t to_free = used - low;
      const int64_t now = policy.now_seconds != 0 ? policy.now_seconds : Now();
      const int64_t cutoff = now - policy.min_age_seconds;
      std::vector<size_t> order;
      for (size_t i = 0; i < records_.size(); ++i) {
        const ImageRecord& r = records_[i];
        const bool young =
            policy.min_age_seconds > 0 && std::max(r.pulled_at, r.last_used) > cutoff;
        if (!young && !Named(r, in_use)) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return records_[a].last_used < records_[b].last_used;
      });
      std::set<size_t> victims;
      for (size_t i : order) {
        if (result.bytes_freed >= to_free) break;
        victims.insert(i);
        result.removed_images.push_back(records_[i].id);
        // Only layers no surviving image shares free space.
        for (const auto& l : records_[i].layers) {
          bool shared = false;
          for (size_t j = 0; j < records_.size() && !shared; ++j) {
            if (j == i || victims.count(j)) continue;
            for (const auto& ol : records_[j].layers) shared = shared || ol.digest == l.digest;
          }
          if (!shared) result.bytes_freed += l.size + l.unpacked_size;
        }
      }
      std::vector<ImageRecord> kept;
      for (size_t i = 0; i < records_.size(); ++i) {
        if (!victims.count(i)) kept.push_back(std::move(records_[i]));
      }
      records_ = std::move(kept);
      CAPSTAN_RETURN_IF_ERROR(SaveLocked());
      log::Info("image", "image GC",
                {{"removed", std::to_string(result.removed_images.size())},
                 {"freed_bytes", std::to_string(result.bytes_freed)}});
    }
  }
  PruneLocked();
  return result;
}

Result<std::vector<std::string>> ImageService::LayerDirs(const ImageRecord& record) const {
  std::vector<std::string> dirs;
  for (const auto& l : record.layers) {
    if (!store_->HasLayer(l.digest)) {
      return NotFoundError("layer " + l.digest + " of image " + record.id + " is not unpacked");
    }
    dirs.push_back(store_->LayerDir(l.digest));
  }
  return dirs;
}

Result<std::string> ImageService::PrepareRootfs(const ImageRecord& record,
                                                const std::string& container_dir) {
  auto dirs = LayerDirs(record);
  if (!dirs.ok()) return dirs.status();
  std::string rootfs = container_dir + "/rootfs";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : records_) {
      if (r.id == record.id) r.last_used = Now();
    }
  }
  if (IsMountPoint(rootfs)) return rootfs;  // already prepared (e.g. adopted after a restart)
  if (OverlaySupported() && !dirs->empty()) {
    CAPSTAN_RETURN_IF_ERROR(
        MountOverlay(*dirs, container_dir + "/upper", container_dir + "/work", rootfs));
    return rootfs;
  }
  CAPSTAN_RETURN_IF_ERROR(CopyLayers(*dirs, rootfs));
  return rootfs;
}

Status ImageService::ReleaseRootfs(const std::string& container_dir) {
  std::string rootfs = container_dir + "/rootfs";
  if (IsMountPoint(rootfs)) CAPSTAN_RETURN_IF_ERROR(UnmountRootfs(rootfs));
  std::error_code ec;
  fs::remove_all(container_dir, ec);
  if (ec) return InternalError("removing " + container_dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace capstan::image
