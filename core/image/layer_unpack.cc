// Layer extraction (layer_unpack.h): path confinement, entry creation and whiteout conversion.
// Paths are resolved lexically and every existing parent component is lstat'ed, so nothing in
// the archive can make us follow a symlink.
#include "core/image/layer_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "core/image/tar_reader.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;

Status Errno(const std::string& what, const std::string& path) {
  return InternalError(what + " " + path + ": " + std::strerror(errno));
}

// Cleans a tar path into components; kInvalid for `..` (no entry may leave the layer root).
Result<std::vector<std::string>> CleanPath(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string comp = name.substr(start, slash == std::string::npos ? slash : slash - start);
    if (comp == "..") return InvalidError("layer entry \"" + name + "\" escapes the root (..)");
    if (!comp.empty() && comp != ".") parts.push_back(comp);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

class Unpacker {
 public:
  explicit Unpacker(std::string dest) : dest_(std::move(dest)) {}

  // Makes sure every parent of `parts` exists as a real directory (never a symlink), creating
  // missing ones. Returns the absolute path of the entry itself.
  Result<std::string> PrepareParents(const std::vector<std::string>& parts, const std::string& name,
                                     bool create) {
    std::string path = dest_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      path += "/" + parts[i];
      if (safe_dirs_.count(path)) continue;
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT || !create) return Errno("lstat", path);
        if (mkdir(path.c_str(), 0755) != 0) return Errno("mkdir", path);
      } else if (S_ISLNK(st.st_mode)) {
        return InvalidError("layer entry \"" + name + "\" goes through symlink \"" + parts[i] +
                            "\" (path traversal)");
      } else if (!S_ISDIR(st.st_mode)) {
        return InvalidError("layer entry \"" + name + "\": parent \"" + parts[i] +
                            "\" is not a directory");
      }
      safe_dirs_.insert(path);
    }
    return path + "/" + parts.back();
  }

  // Removes whatever is at `path` unless both it and the new entry are directories.
  Status ClearFor(const std::string& path, bool new_is_dir) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return Status::Ok();
    if (S_ISDIR(st.st_mode)) {
      if (new_is_dir) return Status::Ok();
      std::error_code ec;
      fs::remove_all(path, ec);
      if (ec) return InternalError("removing " + path + ": " + ec.message());
      // Any cached safe directory at or under `path` is gone.
      safe_dirs_.clear();
      return Status::Ok();
    }
    if (unlink(path.c_str()) != 0) return Errno("unlink", path);
    return Status::Ok();
  }

  Status Metadata(const std::string& path, const TarEntry& e, bool is_link) {
    if (lchown(path.c_str(), e.uid, e.gid) != 0) return Errno("lchown", path);
    if (!is_link && chmod(path.c_str(), e.mode) != 0) return Errno("chmod", path);
    for (const auto& [k, v] : e.xattrs) {
      // overlayfs' own attributes (redirect, metacopy, opaque) come only from whiteouts we
      // convert ourselves; an image must not plant them.
      if (k.rfind("trusted.overlay.", 0) == 0) continue;
      (void)lsetxattr(path.c_str(), k.c_str(), v.data(), v.size(), 0);
    }
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(e.mtime);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    if (e.type == TarType::kDirectory) {
      dir_times_.emplace_back(path, e.mtime);  // later entries would bump it again
      return Status::Ok();
    }
    (void)utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    return Status::Ok();
  }

  Status WriteFile(const std::string& path, const TarEntry& e, TarReader& tar, int64_t* bytes) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", path);
    std::vector<char> buf(1 << 16);
    while (true) {
      auto n = tar.ReadData(buf.data(), buf.size());
      if (!n.ok()) {
        close(fd);
        return n.status();
      }
      if (*n == 0) break;
      size_t off = 0;
      while (off < *n) {
        ssize_t w = write(fd, buf.data() + off, *n - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          Status st = Errno("write", path);
          close(fd);
          return st;
        }
        off += static_cast<size_t>(w);
      }
      *bytes += static_cast<int64_t>(*n);
    }
    if (close(fd) != 0) return Errno("close", path);
    return Metadata(path, e, false);
  }

  Status Entry(const TarEntry& e, TarReader& tar, int64_t* bytes) {
    auto parts = CleanPath(e.name);
    if (!parts.ok()) return parts.status();
    if (parts->empty()) return Status::Ok();  // the root itself
    const std::string base = parts->back();
    if (base.rfind(kWhiteoutPrefix, 0) == 0) return Whiteout(*parts, e);
    auto path = PrepareParents(*parts, e.name, true);
    if (!path.ok()) return path.status();
    CAPSTAN_RETURN_IF_ERROR(ClearFor(*path, e.type == TarType::kDirectory));
    switch (e.type) {
      case TarType::kRegular:
        return WriteFile(*path, e, tar, bytes);
      case TarType::kDirectory:
        if (mkdir(path->c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", *path);
        return Metadata(*path, e, false);
      case TarType::kSymlink:
        // The target is stored verbatim: it is resolved inside the container's root at run
        // time, and we never follow it here.
        if (symlink(e.linkname.c_str(), path->c_str()) != 0) return Errno("symlink", *path);
        return Metadata(*path, e, true);
      case TarType::kHardLink: {
        auto target_parts = CleanPath(e.linkname);
        if (!target_parts.ok()) return target_parts.status();
        if (target_parts->empty()) return InvalidError("hard link \"" + e.name + "\" to the root");
        auto target = PrepareParents(*target_parts, e.linkname, false);
        if (!target.ok()) return target.status();
        if (link(target->c_str(), path->c_str()) != 0)
          return Errno("link " + *target + " ->", *path);
        return Status::Ok();
      }
      case TarType::kChar:
      case TarType::kBlock:
      case TarType::kFifo: {
        mode_t kind = e.type == TarType::kChar    ? S_IFCHR
                      : e.type == TarType::kBlock ? S_IFBLK
                                                  : S_IFIFO;
        if (mknod(path->c_str(), kind | (e.mode & 07777), makedev(e.devmajor, e.devminor)) != 0) {
          return Errno("mknod", *path);
        }
        return Metadata(*path, e, false);
      }
    }
    return Status::Ok();
  }

  Status Whiteout(const std::vector<std::string>& parts, const TarEntry& e) {
    const std::string& base = parts.back();
    auto path = PrepareParents(parts, e.name, true);
    if (!path.ok()) return path.status();
    std::string dir = path->substr(0, path->rfind('/'));
    if (base == kOpaqueWhiteout) {
      if (lsetxattr(dir.c_str(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
        return Errno("set opaque xattr on", dir);
      }
      return Status::Ok();
    }
    if (base.rfind(std::string(kWhiteoutPrefix) + kWhiteoutPrefix, 0) == 0) {
      return Status::Ok();  // other AUFS metadata (.wh..wh.plnk etc.) carries nothing for us
    }
    std::string target = dir + "/" + base.substr(std::strlen(kWhiteoutPrefix));
    if (base.size() == std::strlen(kWhiteoutPrefix)) {
      return InvalidError("layer entry \"" + e.name + "\": empty whiteout name");
    }
    CAPSTAN_RETURN_IF_ERROR(ClearFor(target, false));
    if (mknod(target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) return Errno("mknod", target);
    return Status::Ok();
  }

  void RestoreDirTimes() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      struct timespec ts[2];
      ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(it->second);
      ts[0].tv_nsec = ts[1].tv_nsec = 0;
      (void)utimensat(AT_FDCWD, it->first.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
  }

 private:
  std::string dest_;
  std::set<std::string> safe_dirs_;
  std::vector<std::pair<std::string, int64_t>> dir_times_;
};

}  // namespace

Result<UnpackResult> UnpackLayer(const std::string& blob_path, const std::string& dest) {
  auto source = LayerSource::Open(blob_path);
  if (!source.ok()) return source.status();
  TarReader tar(source->get());
  Unpacker unpacker(dest);
  UnpackResult result;
  while (true) {
    TarEntry e;
    auto more = tar.Next(&e);
    if (!more.ok()) return more.status();
    if (!*more) break;
    CAPSTAN_RETURN_IF_ERROR(unpacker.Entry(e, tar, &result.bytes));
    ++result.entries;
  }
  unpacker.RestoreDirTimes();
  auto diff_id = (*source)->DrainAndDigest();
  if (!diff_id.ok()) return diff_id.status();
  result.diff_id = std::move(*diff_id);
  return result;
}

}  // namespace capstan::image
