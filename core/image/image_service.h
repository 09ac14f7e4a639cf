// ImageService: the API the node agent calls for images — pull (coalescing concurrent pulls of
// the same reference), look up, list for node status, remove, garbage-collect by disk usage,
// apply `imagePullPolicy`, and prepare/release a container's overlay rootfs. Built on
// registry_client.h (network), content_store.h (disk) and rootfs.h (mounts). Implementation in
// image_service.cc (pull, lookup) and image_gc.cc (remove, GC, rootfs).
// Thread-safety: every method is safe to call concurrently; the record table is behind `mu_`,
// which is never held across network or disk-heavy work.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/image/content_store.h"
#include "core/image/image_record.h"
#include "core/image/pull_policy.h"
#include "core/image/registry_client.h"

namespace capstan::image {

struct PullProgress {
  enum class Phase { kResolved, kDownloading, kUnpacking, kLayerDone, kDone };
  Phase phase = Phase::kResolved;
  std::string digest;  // the layer concerned, or the manifest for kResolved/kDone
  int64_t bytes = 0;   // bytes received so far for kDownloading
  int64_t total = 0;   // the layer's (or for kResolved/kDone, the image's) size
};
// Called on the pulling thread; must not call back into the service.
using PullProgressFn = std::function<void(const PullProgress&)>;

struct DiskUsage {
  int64_t capacity_bytes = 0;
  int64_t available_bytes = 0;
};

struct ImageServiceOptions {
  std::string data_dir;  // the content store root
  RegistriesConfig registries;
  Platform platform;
  HttpOptions http;
  // Keep compressed layer blobs after unpacking (a registry-faithful store); off saves disk.
  bool keep_layer_blobs = true;
  // Disk usage of the filesystem holding `data_dir`; statvfs(2) when unset (tests inject).
  std::function<DiskUsage()> disk_usage;
  // Unix seconds; time(2) when unset.
  std::function<int64_t()> now;
};

// One row of node status `images`.
struct ImageSummary {
  std::vector<std::string> names;  // repo digests then repo tags
  int64_t size_bytes = 0;
};

struct GcPolicy {
  int high_threshold_percent = 85;  // GC runs when usage is at or above this
  int low_threshold_percent = 80;   // and frees images until usage falls to this
  // Images pulled or used less than this long before `now_seconds` are kept (kubelet's
  // imageMinimumGCAge): checked under the store's lock, so a pull that finishes during a pass
  // is never collected before its container exists.
  int64_t min_age_seconds = 0;
  int64_t now_seconds = 0;  // unix seconds; 0: the service's clock (ImageServiceOptions::now)
};

struct GcResult {
  std::vector<std::string> removed_images;  // image IDs
  int64_t bytes_freed = 0;                  // estimated from the records' sizes
};

class ImageService {
 public:
  // Opens (creating) the store under `options.data_dir` and loads its index. kInternal /
  // kInvalid when the directory or the index is unusable.
  static Result<std::unique_ptr<ImageService>> Open(ImageServiceOptions options);

  // Resolves `image` against its registry (mirrors first) and stores whatever is missing:
  // manifest, config, layers (downloaded, digest-checked, unpacked once, diff IDs checked).
  // Concurrent pulls of the same normalized reference share one transfer and one result.
  // `auth` maps registry domains to credentials (imagePullSecrets via
  // `ParseDockerConfigJson`). Errors: kInvalid for a bad reference or bad content (digest or
  // diff ID mismatch), and the registry client's codes (kNotFound, kUnauthenticated, ...).
  Result<ImageRecord> Pull(std::string_view image, const CredentialMap& auth,
                           const PullProgressFn& progress = nullptr);

  // Applies `policy`: pulls when `ShouldPull`, else returns the local image. kNotFound with
  // "ErrImageNeverPull" in the message for Never and an absent image.
  Result<ImageRecord> Ensure(std::string_view image, PullPolicy policy, const CredentialMap& auth,
                             const PullProgressFn& progress = nullptr);

  // The local image `image` names: by tag ("busybox" = docker.io/library/busybox:latest), by
  // repo digest, or by image ID / manifest digest ("sha256:..."). kNotFound when absent.
  Result<ImageRecord> Get(std::string_view image) const;

  std::vector<ImageSummary> List() const;

  // Removes `image`. Naming one tag of a multiply-tagged image only untags it; otherwise the
  // record goes, and blobs and layers no other image uses are deleted. The caller must not
  // remove images that running containers use (pass them to GC's `in_use` instead).
  Status Remove(std::string_view image);

  // When disk usage is at or above `high_threshold_percent`, removes images not in `in_use`
  // (matched against names, IDs and digests), least recently used first, until the estimated
  // usage falls to `low_threshold_percent`; always deletes unreferenced blobs and layers.
  Result<GcResult> GarbageCollect(const GcPolicy& policy, const std::set<std::string>& in_use);

  // Layer directories of `record`, bottom first (overlay lowerdirs). kNotFound when a layer
  // is missing from the store.
  Result<std::vector<std::string>> LayerDirs(const ImageRecord& record) const;

  // Creates `<container_dir>/{upper,work,rootfs}` and mounts the image's overlay on rootfs
  // (copying the layers there instead when overlayfs is unavailable); returns the rootfs
  // path and marks the image used now. Idempotent: an existing mount is returned as is.
  // Errors from rootfs.h.
  Result<std::string> PrepareRootfs(const ImageRecord& record, const std::string& container_dir);
  // Unmounts `<container_dir>/rootfs` and deletes `container_dir`.
  Status ReleaseRootfs(const std::string& container_dir);

  ContentStore& store() { return *store_; }

 private:
  explicit ImageService(ImageServiceOptions options, std::unique_ptr<ContentStore> store);

  Result<ImageRecord> DoPull(const Reference& ref, const CredentialMap& auth,
                             const PullProgressFn& progress);
  Status FetchLayer(const Reference& ref, const Descriptor& layer, const std::string& diff_id,
                    const CredentialMap& auth, const PullProgressFn& progress, LayerRecord* out);
  // Index of the record `image` names, or -1. Requires `mu_`.
  int FindLocked(std::string_view image) const;
  // Deletes blobs and layers no record references. Requires `mu_`.
  void PruneLocked();
  Status SaveLocked();
  int64_t Now() const;
  DiskUsage Usage() const;

  const ImageServiceOptions options_;
  std::unique_ptr<ContentStore> store_;
  RegistryClient client_;

  mutable std::mutex mu_;
  std::vector<ImageRecord> records_;
  std::map<std::string, std::shared_future<Result<ImageRecord>>> inflight_;
  // Digests an in-flight pull is writing; pruning leaves them alone. Counted per pull.
  std::multiset<std::string> pinned_;
};

}  // namespace capstan::image
