// The on-disk, content-addressed image store under a data directory:
//   blobs/sha256/<hex>      manifests, configs and (optionally) compressed layers
//   layers/<hex>/fs         each layer unpacked once (overlay-form whiteouts), keyed by its
//                           compressed digest; `layers/<hex>/diffid` records the verified diff ID
//   images.json             the image index (image_record.h)
//   tmp/                    downloads and unpacks in progress (cleared on open)
// Every write goes to tmp/ first and is renamed into place, so a crash never leaves a partial
// blob or layer under its final name. Implementation in content_store.cc; used by
// image_service.h. Thread-safety: all methods are safe to call concurrently; two writers of the
// same digest race harmlessly (the first rename wins, the other's copy is discarded). Open one
// store per data directory at a time: `Open` clears tmp/.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/image/image_record.h"
#include "core/image/layer_unpack.h"

namespace capstan::image {

class ContentStore {
 public:
  // Creates the directory layout under `root` and clears stale temporaries. kInternal on
  // filesystem errors.
  static Result<std::unique_ptr<ContentStore>> Open(const std::string& root);

  const std::string& root() const { return root_; }

  std::string BlobPath(std::string_view digest) const;
  bool HasBlob(std::string_view digest) const;
  // A fresh path under tmp/ for the caller to fill and then pass to `CommitBlob`.
  std::string TempPath();
  // Verifies that the file at `temp_path` hashes to `digest` and renames it into place.
  // kInvalid "digest mismatch" (the temp file is removed).
  Status CommitBlob(const std::string& temp_path, std::string_view digest);
  // Writes `data` as the blob `digest` after verifying it.
  Status WriteBlob(std::string_view digest, std::string_view data);
  Result<std::string> ReadBlob(std::string_view digest) const;
  Status RemoveBlob(std::string_view digest);

  // The unpacked tree of layer `digest` (what overlay mounts as a lowerdir).
  std::string LayerDir(std::string_view digest) const;
  bool HasLayer(std::string_view digest) const;
  // Unpacks blob `digest` (already in the store) into `LayerDir(digest)` unless present, and
  // checks the uncompressed stream against `want_diff_id` (skipped when empty). Returns the
  // unpack result (entries/bytes are 0 when the layer was already there). kInvalid
  // "diff ID mismatch" or any `UnpackLayer` error; nothing is left behind on error.
  Result<UnpackResult> EnsureLayer(std::string_view digest, std::string_view want_diff_id);
  Status RemoveLayer(std::string_view digest);

  // Digests ("sha256:<hex>") currently stored.
  std::vector<std::string> ListBlobs() const;
  std::vector<std::string> ListLayers() const;

  // The image index, atomically replaced on save. A missing index loads as empty.
  Result<std::vector<ImageRecord>> LoadRecords() const;
  Status SaveRecords(const std::vector<ImageRecord>& records);

 private:
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
  std::atomic<uint64_t> temp_counter_{0};
  uint64_t instance_ = 0;  // random: temp names never collide between stores
};

}  // namespace capstan::image
