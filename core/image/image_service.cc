// ImageService pulls and lookups (image_service.h); removal, GC and rootfs are in image_gc.cc.
#include "core/image/image_service.h"

#include <algorithm>
#include <ctime>

#include "core/common/log.h"
#include "core/image/digest.h"

namespace capstan::image {
namespace {

void AddUnique(std::vector<std::string>* v, const std::string& s) {
  if (std::find(v->begin(), v->end(), s) == v->end()) v->push_back(s);
}

void Erase(std::vector<std::string>* v, const std::string& s) {
  v->erase(std::remove(v->begin(), v->end(), s), v->end());
}

}  // namespace

ImageService::ImageService(ImageServiceOptions options, std::unique_ptr<ContentStore> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      client_(options_.registries, options_.http) {}

Result<std::unique_ptr<ImageService>> ImageService::Open(ImageServiceOptions options) {
  if (options.data_dir.empty()) return InvalidError("image service: data_dir is required");
  auto store = ContentStore::Open(options.data_dir);
  if (!store.ok()) return store.status();
  auto records = (*store)->LoadRecords();
  if (!records.ok()) return records.status();
  std::unique_ptr<ImageService> svc(new ImageService(std::move(options), std::move(*store)));
  svc->records_ = std::move(*records);
  return svc;
}

int64_t ImageService::Now() const {
  return options_.now ? options_.now() : static_cast<int64_t>(std::time(nullptr));
}

Status ImageService::SaveLocked() { return store_->SaveRecords(records_); }

Result<ImageRecord> ImageService::Pull(std::string_view image, const CredentialMap& auth,
                                       const PullProgressFn& progress) {
  auto ref = ParseReference(image);
  if (!ref.ok()) return ref.status();
  std::string key = ref->String();
  std::promise<Result<ImageRecord>> promise;
  std::shared_future<Result<ImageRecord>> shared;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = inflight_.find(key);
    if (it != inflight_.end()) {
      shared = it->second;
    } else {
      inflight_.emplace(key, promise.get_future().share());
    }
  }
  if (shared.valid()) return shared.get();  // someone else is pulling it: share their result
  Result<ImageRecord> result = DoPull(*ref, auth, progress);
  {
    std::lock_guard<std::mutex> lock(mu_);
    inflight_.erase(key);
  }
  promise.set_value(result);
  return result;
}

Status ImageService::FetchLayer(const Reference& ref, const Descriptor& layer,
                                const std::string& diff_id, const CredentialMap& auth,
                                const PullProgressFn& progress, LayerRecord* out) {
  out->digest = layer.digest;
  out->diff_id = diff_id;
  out->media_type = layer.media_type;
  out->size = layer.size;
  if (store_->HasLayer(layer.digest)) return Status::Ok();
  if (layer.media_type.find("zstd") != std::string::npos) {
    return UnimplementedError("layer " + layer.digest + ": zstd layers are not supported");
  }
  bool fetched = false;
  if (!store_->HasBlob(layer.digest)) {
    std::string tmp = store_->TempPath();
    ByteProgress bytes;
    if (progress) {
      bytes = [&](int64_t n) {
        progress({PullProgress::Phase::kDownloading, layer.digest, n, layer.size});
      };
    }
    CAPSTAN_RETURN_IF_ERROR(client_.FetchBlob(ref, layer, auth, tmp, bytes));
    CAPSTAN_RETURN_IF_ERROR(store_->CommitBlob(tmp, layer.digest));
    fetched = true;
  }
  if (progress) progress({PullProgress::Phase::kUnpacking, layer.digest, layer.size, layer.size});
  auto unpacked = store_->EnsureLayer(layer.digest, diff_id);
  if (!unpacked.ok()) {
    // A blob whose content does not match its config is useless; do not keep it.
    if (fetched) (void)store_->RemoveBlob(layer.digest);
    return unpacked.status();
  }
  out->unpacked_size = unpacked->bytes;
  if (!options_.keep_layer_blobs) (void)store_->RemoveBlob(layer.digest);
  if (progress) progress({PullProgress::Phase::kLayerDone, layer.digest, layer.size, layer.size});
  return Status::Ok();
}

Result<ImageRecord> ImageService::DoPull(const Reference& ref, const CredentialMap& auth,
                                         const PullProgressFn& progress) {
  auto manifest = client_.ResolveManifest(ref, auth, options_.platform);
  if (!manifest.ok()) return manifest.status().WithContext("pulling " + ref.String());
  std::vector<std::string> pins = {manifest->digest, manifest->config.digest};
  for (const auto& l : manifest->layers) pins.push_back(l.digest);
  {
    std::lock_guard<std::mutex> lock(mu_);
    pinned_.insert(pins.begin(), pins.end());
  }
  struct Unpin {
    ImageService* self;
    const std::vector<std::string>& pins;
    ~Unpin() {
      std::lock_guard<std::mutex> lock(self->mu_);
      for (const auto& p : pins) self->pinned_.erase(self->pinned_.find(p));
    }
  } unpin{this, pins};

  int64_t total = manifest->config.size;
  for (const auto& l : manifest->layers) total += l.size;
  if (progress) progress({PullProgress::Phase::kResolved, manifest->digest, 0, total});

  auto fail = [&](const Status& s) { return s.WithContext("pulling " + ref.String()); };
  std::string config_raw;
  if (store_->HasBlob(manifest->config.digest)) {
    auto c = store_->ReadBlob(manifest->config.digest);
    if (!c.ok()) return fail(c.status());
    config_raw = std::move(*c);
  } else {
    auto c = client_.FetchBlobBytes(ref, manifest->config, auth);
    if (!c.ok()) return fail(c.status());
    CAPSTAN_RETURN_IF_ERROR(fail(store_->WriteBlob(manifest->config.digest, *c)));
    config_raw = std::move(*c);
  }
  auto config = ParseImageConfig(config_raw);
  if (!config.ok()) return fail(config.status());
  if (config->diff_ids.size() != manifest->layers.size()) {
    return fail(InvalidError("config lists " + std::to_string(config->diff_ids.size()) +
                             " diff IDs for " + std::to_string(manifest->layers.size()) +
                             " layers"));
  }

  ImageRecord rec;
  rec.id = manifest->config.digest;
  rec.config_digest = manifest->config.digest;
  rec.manifest_digest = manifest->digest;
  rec.size = total;
  rec.config = std::move(*config);
  for (size_t i = 0; i < manifest->layers.size(); ++i) {
    LayerRecord lr;
    CAPSTAN_RETURN_IF_ERROR(
        fail(FetchLayer(ref, manifest->layers[i], rec.config.diff_ids[i], auth, progress, &lr)));
    rec.layers.push_back(std::move(lr));
  }
  if (!store_->HasBlob(manifest->digest)) {
    CAPSTAN_RETURN_IF_ERROR(fail(store_->WriteBlob(manifest->digest, manifest->raw)));
  }

  std::string tag_name = ref.tag.empty() ? "" : ref.Name() + ":" + ref.tag;
  // The digest a user would pin: the index's when the reference named one.
  std::string digest_name =
      ref.Name() + "@" +
      (manifest->index_digest.empty() ? manifest->digest : manifest->index_digest);
  std::lock_guard<std::mutex> lock(mu_);
  rec.pulled_at = rec.last_used = Now();
  if (!tag_name.empty()) {
    for (auto& other : records_) Erase(&other.repo_tags, tag_name);  // the tag moved here
  }
  auto it = std::find_if(records_.begin(), records_.end(),
                         [&](const ImageRecord& r) { return r.id == rec.id; });
  if (it == records_.end()) {
    records_.push_back(rec);
    it = records_.end() - 1;
  } else {
    it->manifest_digest = rec.manifest_digest;
    it->layers = rec.layers;
    it->last_used = rec.last_used;
  }
  if (!tag_name.empty()) AddUnique(&it->repo_tags, tag_name);
  AddUnique(&it->repo_digests, digest_name);
  // Records left without any name are unreachable; drop them like `docker pull` leaves <none>.
  ImageRecord result = *it;
  records_.erase(std::remove_if(records_.begin(), records_.end(),
                                [](const ImageRecord& r) {
                                  return r.repo_tags.empty() && r.repo_digests.empty();
                                }),
                 records_.end());
  CAPSTAN_RETURN_IF_ERROR(fail(SaveLocked()));
  log::Info("image", "pulled", {{"image", ref.String()}, {"id", result.id}});
  if (progress) progress({PullProgress::Phase::kDone, result.manifest_digest, total, total});
  return result;
}

Result<ImageRecord> ImageService::Ensure(std::string_view image, PullPolicy policy,
                                         const CredentialMap& auth,
                                         const PullProgressFn& progress) {
  auto local = Get(image);
  if (!ShouldPull(policy, local.ok())) {
    if (local.ok()) return local;
    return NotFoundError("ErrImageNeverPull: container image \"" + std::string(image) +
                         "\" is not present with pull policy of Never");
  }
  return Pull(image, auth, progress);
}

int ImageService::FindLocked(std::string_view image) const {
  auto match = [&](auto pred) -> int {
    for (size_t i = 0; i < records_.size(); ++i) {
      if (pred(records_[i])) return static_cast<int>(i);
    }
    return -1;
  };
  if (image.substr(0, 7) == "sha256:" && IsValidDigest(image)) {
    return match([&](const ImageRecord& r) { return r.id == image || r.manifest_digest == image; });
  }
  auto ref = ParseReference(image);
  if (!ref.ok()) return -1;
  if (!ref->digest.empty()) {
    std::string name = ref->Name() + "@" + ref->digest;
    return match([&](const ImageRecord& r) {
      return std::find(r.repo_digests.begin(), r.repo_digests.end(), name) !=
                 r.repo_digests.end() ||
             (r.manifest_digest == ref->digest &&
              std::any_of(r.repo_digests.begin(), r.repo_digests.end(), [&](const std::string& d) {
                return d.rfind(ref->Name() + "@", 0) == 0;
              }));
    });
  }
  std::string name = ref->Name() + ":" + ref->tag;
  return match([&](const ImageRecord& r) {
    return std::find(r.repo_tags.begin(), r.repo_tags.end(), name) != r.repo_tags.end();
  });
}

Result<ImageRecord> ImageService::Get(std::string_view image) const {
  std::lock_guard<std::mutex> lock(mu_);
  int i = FindLocked(image);
  if (i < 0) return NotFoundError("image \"" + std::string(image) + "\" not found");
  return records_[static_cast<size_t>(i)];
}

std::vector<ImageSummary> ImageService::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ImageSummary> out;
  for (const auto& r : records_) {
    ImageSummary s;
    s.names = r.repo_digests;
    s.names.insert(s.names.end(), r.repo_tags.begin(), r.repo_tags.end());
    s.size_bytes = r.size;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace capstan::image
