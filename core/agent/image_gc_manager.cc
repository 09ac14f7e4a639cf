// Image garbage collection (image_gc_manager.h): the pass, and the agent's side of it — the
// periodic queue key, the in-use set from the pods it runs, Node events.
#include "core/agent/image_gc_manager.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <ctime>

#include "core/agent/agent.h"
#include "core/common/log.h"
#include "core/image/reference.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
constexpr char kLog[] = "image-gc";

// Every name `image` (a pod's `image` field or a status `imageID`) can match in the store.
void AddImageNames(image::ImageService* images, const std::string& image,
                   std::set<std::string>* out) {
  if (image.empty()) return;
  out->insert(image);
  if (Result<image::Reference> ref = image::ParseReference(image); ref.ok()) {
    if (!ref->tag.empty()) out->insert(ref->Name() + ":" + ref->tag);
    if (!ref->digest.empty()) out->insert(ref->Name() + "@" + ref->digest);
  }
  // The record the name resolves to now: its ID survives a later move of the tag.
  if (Result<image::ImageRecord> rec = images->Get(image); rec.ok()) out->insert(rec->id);
}

}  // namespace

Status ValidateImageGcOptions(const ImageGcOptions& o) {
  if (o.high_threshold_percent < 0 || o.high_threshold_percent > 100) {
    return InvalidError("--image-gc-high-threshold wants 0..100, got " +
                        std::to_string(o.high_threshold_percent));
  }
  if (o.low_threshold_percent < 0 || o.low_threshold_percent > 100) {
    return InvalidError("--image-gc-low-threshold wants 0..100, got " +
                        std::to_string(o.low_threshold_percent));
  }
  if (o.low_threshold_percent >= o.high_threshold_percent) {
    return InvalidError("--image-gc-low-threshold (" + std::to_string(o.low_threshold_percent) +
                        ") must be below --image-gc-high-threshold (" +
                        std::to_string(o.high_threshold_percent) + ")");
  }
  if (o.period.count() <= 0) return InvalidError("--image-gc-period must be positive");
  if (o.minimum_age.count() < 0) return InvalidError("--image-minimum-gc-age must not be negative");
  return Status::Ok();
}

image::DiskUsage FilesystemUsage(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) return {};
  auto frsize = static_cast<int64_t>(st.f_frsize);
  return {static_cast<int64_t>(st.f_blocks) * frsize, static_cast<int64_t>(st.f_bavail) * frsize};
}

ImageGcManager::ImageGcManager(ImageGcOptions options, Deps deps)
    : options_(options), deps_(std::move(deps)) {
  if (!deps_.disk_usage) {
    deps_.disk_usage = [root = deps_.images->store().root()] { return FilesystemUsage(root); };
  }
  if (!deps_.now) deps_.now = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

void ImageGcManager::Event(bool warning, const std::string& reason,
                           const std::string& message) const {
  if (deps_.event) deps_.event(warning, reason, message);
}

bool ImageGcManager::OverHighThreshold() const {
  if (!ImageGcEnabled(options_)) return false;
  image::DiskUsage usage = deps_.disk_usage();
  return usage.capacity_bytes > 0 &&
         usage.capacity_bytes - usage.available_bytes >=
             usage.capacity_bytes * options_.high_threshold_percent / 100;
}

Result<ImageGcOutcome> ImageGcManager::RunOnce(const std::set<std::string>& in_use) {
  ImageGcOutcome out;
  if (!ImageGcEnabled(options_)) return out;
  image::DiskUsage usage = deps_.disk_usage();
  if (usage.capacity_bytes <= 0) {
    Status s = InvalidError("the image filesystem reports a capacity of 0 bytes");
    Event(true, "InvalidDiskCapacity", s.message());
    return s;
  }
  // The thresholds as the image service computes them.
  int64_t used = usage.capacity_bytes - usage.available_bytes;
  int64_t high = usage.capacity_bytes * options_.high_threshold_percent / 100;
  int64_t low = usage.capacity_bytes * options_.low_threshold_percent / 100;
  if (used < high) return out;
  out.over_high_threshold = true;
  out.bytes_to_free = used - low;
  log::Info(kLog, "image filesystem usage at or over the high threshold; freeing images",
            {{"used_bytes", std::to_string(used)},
             {"capacity_bytes", std::to_string(usage.capacity_bytes)},
             {"high_threshold_percent", std::to_string(options_.high_threshold_percent)},
             {"low_threshold_percent", std::to_string(options_.low_threshold_percent)},
             {"to_free_bytes", std::to_string(out.bytes_to_free)}});
  // The minimum age is checked by the store under its lock: a pull finishing during the pass
  // is kept too.
  Result<image::GcResult> gc = deps_.images->GarbageCollect(
      {options_.high_threshold_percent, options_.low_threshold_percent,
       static_cast<int64_t>(options_.minimum_age.count()), deps_.now()},
      in_use);
  if (!gc.ok()) {
    Event(true, "ImageGCFailed", "Image garbage collection failed: " + gc.status().message());
    return gc.status().WithContext("image GC");
  }
  out.gc = std::move(*gc);
  if (!out.gc.removed_images.empty()) {
    std::string ids;
    for (const std::string& id : out.gc.removed_images) ids += (ids.empty() ? "" : ",") + id;
    log::Info(kLog, "removed images",
              {{"count", std::to_string(out.gc.removed_images.size())},
               {"freed_bytes", std::to_string(out.gc.bytes_freed)},
               {"images", ids}});
  }
  if (out.gc.bytes_freed >= out.bytes_to_free) return out;
  // The estimate fell short; the filesystem has the last word (other files may have gone).
  image::DiskUsage after = deps_.disk_usage();
  if (after.capacity_bytes > 0 && after.capacity_bytes - after.available_bytes <= low) return out;
  out.low_threshold_reached = false;
  std::string message =
      "Failed to free enough image disk space: " + std::to_string(out.bytes_to_free) +
      " bytes were needed to get to " + std::to_string(options_.low_threshold_percent) +
      "% usage, only " + std::to_string(out.gc.bytes_freed) +
      " bytes could be freed; the other images are in use or younger than the minimum age";
  log::Warn(kLog, message);
  Event(true, "FreeDiskSpaceFailed", message);
  return out;
}

// --- The agent's side (agent.h) ---

void Agent::StartImageGc() {
  if (options_.images == nullptr || !ImageGcEnabled(options_.image_gc)) return;
  ImageGcManager::Deps deps;
  deps.images = options_.images;
  deps.disk_usage = options_.image_disk_usage;
  deps.event = [this](bool warning, const std::string& reason, const std::string& message) {
    node_events_.Record(warning, reason, message);
  };
  image_gc_ = std::make_unique<ImageGcManager>(options_.image_gc, std::move(deps));
  queue_->AddAfter(kImageGcKey, options_.image_gc.period);
}

void Agent::CollectImages() {
  // Before the first list the cache misses running pods: their images would look unused.
  if (informer_->HasSynced()) {
    Result<ImageGcOutcome> pass = image_gc_->RunOnce(ImagesInUse());
    if (!pass.ok()) log::Warn(kLog, pass.status().message());
  }
  queue_->AddAfter(kImageGcKey, options_.image_gc.period);
}

std::set<std::string> Agent::ImagesInUse() {
  std::set<std::string> in_use;
  // Every pod bound here, whatever its phase: exited containers keep their rootfs until the
  // pod goes, and a pod being started has no container (nor image ID) yet.
  for (const client::ObjectPtr& pod : informer_->List()) {
    const json spec = pod->value("spec", json::object());
    for (const char* group : {"initContainers", "containers", "ephemeralContainers"}) {
      for (const json& c : spec.value(group, json::array())) {
        if (c.contains("image") && c["image"].is_string()) {
          AddImageNames(options_.images, c["image"].get<std::string>(), &in_use);
        }
      }
    }
    const json status = pod->value("status", json::object());
    for (const char* group :
         {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
      for (const json& cs : status.value(group, json::array())) {
        if (cs.contains("imageID") && cs["imageID"].is_string()) {
          in_use.insert(cs["imageID"].get<std::string>());
        }
      }
    }
  }
  // Pods gone from the API whose containers are still being torn down, and images a worker
  // used after the status the informer last saw.
  std::lock_guard<std::mutex> lock(pods_mu_);
  for (const auto& [key, ids] : pod_images_) in_use.insert(ids.begin(), ids.end());
  return in_use;
}

void Agent::RememberPodImages(const std::string& key) {
  if (image_gc_ == nullptr) return;
  bool pull_failed = false;
  {
    // On the worker holding `key`: the record's containers are this thread's to read.
    std::lock_guard<std::mutex> lock(pods_mu_);
    auto it = pods_.find(key);
    if (it == pods_.end()) {
      pod_images_.erase(key);
      return;
    }
    std::set<std::string> ids;
    for (const auto& [name, c] : it->second->containers) {
      if (!c.image_id.empty()) ids.insert(c.image_id);
      // A pull that just failed (ErrImagePull until the next sync shows the backoff).
      pull_failed = pull_failed || c.waiting_reason == "ErrImagePull";
    }
    pod_images_[key] = std::move(ids);
  }
  // A full disk fails pulls with assorted messages; the filesystem tells whether space is short.
  if (pull_failed && image_gc_->OverHighThreshold()) queue_->Add(kImageGcKey);
}

}  // namespace capstan::agent
