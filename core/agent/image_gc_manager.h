// `ImageGcManager`: image garbage collection by disk usage for the node agent, as the kubelet's
// imageGCHighThresholdPercent / imageGCLowThresholdPercent / imageMinimumGCAge — one pass over
// core/image's `ImageService::GarbageCollect` that protects in-use and recently pulled or used
// images and reports on the Node (node_events.h). The agent drives it every `period` on its pod
// work queue and computes the in-use set (`Agent::CollectImages`, `Agent::ImagesInUse`, at the
// end of image_gc_manager.cc). Tests: tests/core/agent/image_gc_manager_test.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "core/common/status.h"
#include "core/image/image_service.h"

namespace capstan::agent {

// The agent's pod work queue carries passes under this key (no pod key lacks a '/').
inline constexpr char kImageGcKey[] = "image-gc";

struct ImageGcOptions {
  // A pass frees images when disk usage is at or above `high_threshold_percent`, down to
  // `low_threshold_percent`. 100 disables image GC (as the kubelet).
  int high_threshold_percent = 85;
  int low_threshold_percent = 80;
  // Time between passes (the kubelet's is fixed at 5 minutes).
  std::chrono::milliseconds period{std::chrono::minutes(5)};
  // Images pulled or used (a container rootfs prepared from them) more recently than this are
  // kept: an image pulled for a pod stays until its container is created.
  std::chrono::seconds minimum_age{std::chrono::minutes(2)};
};

// kInvalid, naming the `capstan agent` flag, unless 0 <= low < high <= 100, period > 0 and
// minimum age >= 0.
Status ValidateImageGcOptions(const ImageGcOptions& options);

// Whether passes run at all (high threshold below 100).
inline bool ImageGcEnabled(const ImageGcOptions& options) {
  return options.high_threshold_percent < 100;
}

// statvfs(2) of the filesystem holding `path` (capacity and space available to unprivileged
// users, as df shows them); zeros when it fails.
image::DiskUsage FilesystemUsage(const std::string& path);

// What one pass did.
struct ImageGcOutcome {
  bool over_high_threshold = false;
  int64_t bytes_to_free = 0;  // down to the low threshold; 0 below the high threshold
  image::GcResult gc;         // images removed and the bytes that freed (estimated)
  bool low_threshold_reached = true;
};

// Records a Node event: `warning`, reason, message (NodeEventRecorder::Record in the agent).
using NodeEventFn =
    std::function<void(bool warning, const std::string& reason, const std::string& message)>;

// Thread-safety: RunOnce must not run concurrently with itself (the agent runs it from one
// queue key at a time); the image service may be used by other threads meanwhile.
class ImageGcManager {
 public:
  struct Deps {
    image::ImageService* images = nullptr;  // borrowed; must outlive the manager
    // Usage of the filesystem holding the image store: the same source the image service was
    // opened with (ImageServiceOptions::disk_usage). Null: FilesystemUsage(store root).
    std::function<image::DiskUsage()> disk_usage;
    // Unix seconds, the image service's clock (ImageServiceOptions::now). Null: time(2).
    std::function<int64_t()> now;
    NodeEventFn event;  // may be null
  };
  // `options` must have passed ValidateImageGcOptions.
  ImageGcManager(ImageGcOptions options, Deps deps);

  // One pass. Below the high threshold it does nothing. At or above it, asks the image service
  // to free `bytes_to_free`, least recently used first, never touching an image named in
  // `in_use` (image IDs, manifest digests, normalized references "registry/repo:tag" or
  // "registry/repo@digest") nor one pulled or used within the minimum age; logs what it
  // removed. When that cannot get usage down to the low threshold (the estimate falls short
  // and the filesystem still says so), records the Warning FreeDiskSpaceFailed. Errors (each
  // also recorded as a Warning): kInvalid for a capacity of 0 (InvalidDiskCapacity); the image
  // service's errors (ImageGCFailed). With GC disabled, returns an empty outcome.
  Result<ImageGcOutcome> RunOnce(const std::set<std::string>& in_use);

  // Whether usage is at or above the high threshold now (false with GC disabled). Safe to call
  // from any thread, also while a pass runs.
  bool OverHighThreshold() const;

  const ImageGcOptions& options() const { return options_; }

 private:
  void Event(bool warning, const std::string& reason, const std::string& message) const;

  const ImageGcOptions options_;
  Deps deps_;
};

}  // namespace capstan::agent
