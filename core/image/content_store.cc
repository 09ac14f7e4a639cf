// Content store (content_store.h): blobs, unpacked layers and the image index on disk.
#include "core/image/content_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/image/digest.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFileAtomic(const std::string& tmp, const std::string& path, std::string_view data) {
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) return InternalError("writing " + tmp + " failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return InternalError("renaming " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

bool ValidHex(std::string_view hex) {
  return hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<ContentStore>> ContentStore::Open(const std::string& root) {
  std::error_code ec;
  fs::remove_all(root + "/tmp", ec);
  for (const char* sub : {"/blobs/sha256", "/layers", "/tmp"}) {
    fs::create_directories(root + sub, ec);
    if (ec) return InternalError("creating " + root + sub + ": " + ec.message());
  }
  auto store = std::unique_ptr<ContentStore>(new ContentStore(root));
  std::random_device rd;
  store->instance_ = (uint64_t{rd()} << 32) | rd();
  return store;
}

std::string ContentStore::BlobPath(std::string_view digest) const {
  return root_ + "/blobs/sha256/" + std::string(DigestHex(digest));
}

bool ContentStore::HasBlob(std::string_view digest) const {
  return ValidHex(DigestHex(digest)) && access(BlobPath(digest).c_str(), F_OK) == 0;
}

std::string ContentStore::TempPath() {
  return root_ + "/tmp/" + std::to_string(getpid()) + "-" + std::to_string(instance_) + "-" +
         std::to_string(++temp_counter_);
}

Status ContentStore::CommitBlob(const std::string& temp_path, std::string_view digest) {
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  auto got = Sha256File(temp_path);
  Status st;
  if (!got.ok()) {
    st = got.status();
  } else if (*got != digest) {
    st = InvalidError("digest mismatch: want " + std::string(digest) + ", got " + *got);
  } else if (std::rename(temp_path.c_str(), BlobPath(digest).c_str()) != 0) {
    st = InternalError("storing blob " + std::string(digest) + ": " + std::strerror(errno));
  }
  if (!st.ok()) std::remove(temp_path.c_str());
  return st;
}

Status ContentStore::WriteBlob(std::string_view digest, std::string_view data) {
  CAPSTAN_RETURN_IF_ERROR(VerifyDigest(data, digest));
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  return WriteFileAtomic(TempPath(), BlobPath(digest), data);
}

Result<std::string> ContentStore::ReadBlob(std::string_view digest) const {
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  return ReadFile(BlobPath(digest));
}

Status ContentStore::RemoveBlob(std::string_view digest) {
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  if (std::remove(BlobPath(digest).c_str()) != 0 && errno != ENOENT) {
    return InternalError("removing blob " + std::string(digest) + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::string ContentStore::LayerDir(std::string_view digest) const {
  return root_ + "/layers/" + std::string(DigestHex(digest)) + "/fs";
}

bool ContentStore::HasLayer(std::string_view digest) const {
  return ValidHex(DigestHex(digest)) &&
         access((root_ + "/layers/" + std::string(DigestHex(digest))).c_str(), F_OK) == 0;
}

Result<UnpackResult> ContentStore::EnsureLayer(std::string_view digest,
                                               std::string_view want_diff_id) {
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  if (HasLayer(digest)) {
    // Another image already unpacked this blob: its content must be what this config says.
    auto have = ReadFile(root_ + "/layers/" + std::string(DigestHex(digest)) + "/diffid");
    if (!want_diff_id.empty() && have.ok() && *have != want_diff_id) {
      return InvalidError("layer " + std::string(digest) + ": diff ID mismatch: config says " +
                          std::string(want_diff_id) + ", content is " + *have);
    }
    return UnpackResult{};
  }
  std::string tmp = TempPath();
  std::error_code ec;
  fs::create_directories(tmp + "/fs", ec);
  if (ec) return InternalError("creating " + tmp + ": " + ec.message());
  auto cleanup = [&] { fs::remove_all(tmp, ec); };
  auto r = UnpackLayer(BlobPath(digest), tmp + "/fs");
  if (!r.ok()) {
    cleanup();
    return r.status().WithContext("unpacking layer " + std::string(digest));
  }
  if (!want_diff_id.empty() && r->diff_id != want_diff_id) {
    cleanup();
    return InvalidError("layer " + std::string(digest) + ": diff ID mismatch: config says " +
                        std::string(want_diff_id) + ", content is " + r->diff_id);
  }
  Status st = WriteFileAtomic(tmp + "/diffid.tmp", tmp + "/diffid", r->diff_id);
  if (!st.ok()) {
    cleanup();
    return st;
  }
  std::string final_dir = root_ + "/layers/" + std::string(DigestHex(digest));
  if (std::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    int err = errno;
    cleanup();
    // Someone else unpacked the same layer meanwhile: theirs is as good as ours.
    if ((err == ENOTEMPTY || err == EEXIST) && HasLayer(digest)) return *r;
    return InternalError("storing layer " + std::string(digest) + ": " + std::strerror(err));
  }
  return r;
}

Status ContentStore::RemoveLayer(std::string_view digest) {
  if (!ValidHex(DigestHex(digest))) return InvalidError("bad digest " + std::string(digest));
  // Rename first so a half-deleted tree never sits under the final name.
  std::string dir = root_ + "/layers/" + std::string(DigestHex(digest));
  std::string tmp = TempPath();
  if (std::rename(dir.c_str(), tmp.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return InternalError("removing layer " + std::string(digest) + ": " + std::strerror(errno));
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (ec) return InternalError("removing layer " + std::string(digest) + ": " + ec.message());
  return Status::Ok();
}

std::vector<std::string> ContentStore::ListBlobs() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/blobs/sha256", ec)) {
    std::string name = e.path().filename().string();
    if (ValidHex(name)) out.push_back("sha256:" + name);
  }
  return out;
}

std::vector<std::string> ContentStore::ListLayers() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/layers", ec)) {
    std::string name = e.path().filename().string();
    if (ValidHex(name)) out.push_back("sha256:" + name);
  }
  return out;
}

Result<std::vector<ImageRecord>> ContentStore::LoadRecords() const {
  auto text = ReadFile(root_ + "/images.json");
  if (!text.ok()) return std::vector<ImageRecord>{};
  auto recs = DecodeRecords(*text);
  if (!recs.ok()) return recs.status().WithContext(root_ + "/images.json");
  for (auto& r : *recs) {
    auto cfg = ReadBlob(r.config_digest);
    if (!cfg.ok()) continue;
    auto parsed = ParseImageConfig(*cfg);
    if (parsed.ok()) r.config = std::move(*parsed);
  }
  return recs;
}

Status ContentStore::SaveRecords(const std::vector<ImageRecord>& records) {
  return WriteFileAtomic(TempPath(), root_ + "/images.json", EncodeRecords(records));
}

}  // namespace capstan::image
