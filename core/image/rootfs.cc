// Overlay mounts and the copying fallback (rootfs.h).
#include "core/image/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/image/layer_unpack.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;

Status Errno(const std::string& what, const std::string& path) {
  return InternalError(what + " " + path + ": " + std::strerror(errno));
}

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

bool IsOpaque(const std::string& dir) {
  char v[4];
  ssize_t n = lgetxattr(dir.c_str(), kOverlayOpaqueXattr, v, sizeof(v));
  return n == 1 && v[0] == 'y';
}

Status CopyMeta(const std::string& dst, const struct stat& st) {
  if (lchown(dst.c_str(), st.st_uid, st.st_gid) != 0) return Errno("lchown", dst);
  if (!S_ISLNK(st.st_mode) && chmod(dst.c_str(), st.st_mode & 07777) != 0) {
    return Errno("chmod", dst);
  }
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  (void)utimensat(AT_FDCWD, dst.c_str(), ts, AT_SYMLINK_NOFOLLOW);
  return Status::Ok();
}

Status RemoveAny(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return InternalError("removing " + path + ": " + ec.message());
  return Status::Ok();
}

Status CopyFile(const std::string& src, const std::string& dst) {
  int in = open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return Errno("open", src);
  int out = open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (out < 0) {
    close(in);
    return Errno("create", dst);
  }
  char buf[1 << 16];
  Status st;
  while (true) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Errno("read", src);
      break;
    }
    if (write(out, buf, static_cast<size_t>(n)) != n) {
      st = Errno("write", dst);
      break;
    }
  }
  close(in);
  if (close(out) != 0 && st.ok()) st = Errno("close", dst);
  return st;
}

Status MergeDir(const std::string& src, const std::string& dst) {
  DIR* d = opendir(src.c_str());
  if (d == nullptr) return Errno("opendir", src);
  Status result;
  while (struct dirent* ent = readdir(d)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    std::string s = src + "/" + name, t = dst + "/" + name;
    struct stat st, tst;
    if (lstat(s.c_str(), &st) != 0) {
      result = Errno("lstat", s);
      break;
    }
    bool exists = lstat(t.c_str(), &tst) == 0;
    if (IsWhiteout(st)) {
      if (exists) result = RemoveAny(t);
      if (!result.ok()) break;
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      if (exists && (!S_ISDIR(tst.st_mode) || IsOpaque(s))) {
        result = RemoveAny(t);
        exists = false;
      }
      if (result.ok() && !exists && mkdir(t.c_str(), 0755) != 0) result = Errno("mkdir", t);
      if (result.ok()) result = MergeDir(s, t);
      if (result.ok()) result = CopyMeta(t, st);
      if (!result.ok()) break;
      continue;
    }
    if (exists) result = RemoveAny(t);
    if (!result.ok()) break;
    if (S_ISREG(st.st_mode)) {
      result = CopyFile(s, t);
    } else if (S_ISLNK(st.st_mode)) {
      std::vector<char> target(static_cast<size_t>(st.st_size) + 1);
      ssize_t n = readlink(s.c_str(), target.data(), target.size());
      if (n < 0 ||
          symlink(std::string(target.data(), static_cast<size_t>(n)).c_str(), t.c_str()) != 0) {
        result = Errno("symlink", t);
      }
    } else if (mknod(t.c_str(), st.st_mode, st.st_rdev) != 0) {
      result = Errno("mknod", t);
    }
    if (result.ok()) result = CopyMeta(t, st);
    if (!result.ok()) break;
  }
  closedir(d);
  return result;
}

}  // namespace

bool OverlaySupported() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, "overlay") == 0) return true;
  }
  return false;
}

Status MountOverlay(const std::vector<std::string>& layer_dirs, const std::string& upper,
                    const std::string& work, const std::string& target) {
  if (layer_dirs.empty()) return InvalidError("overlay mount of " + target + " without layers");
  std::string lower;
  // overlayfs lists lowerdirs top-most first.
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    if (!lower.empty()) lower += ":";
    lower += *it;
  }
  for (const std::string* p : {&upper, &work, &target}) {
    if (p->find_first_of(",:") != std::string::npos) {
      return InvalidError("overlay path " + *p + " contains ',' or ':'");
    }
  }
  for (const auto& l : layer_dirs) {
    if (l.find_first_of(",:") != std::string::npos) {
      return InvalidError("overlay path " + l + " contains ',' or ':'");
    }
  }
  std::string data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  long page = sysconf(_SC_PAGESIZE);
  if (static_cast<long>(data.size()) >= page) {
    return InvalidError("overlay options for " + std::to_string(layer_dirs.size()) +
                        " layers exceed one page (" + std::to_string(data.size()) + " bytes)");
  }
  std::error_code ec;
  for (const std::string* p : {&upper, &work, &target}) {
    fs::create_directories(*p, ec);
    if (ec) return InternalError("creating " + *p + ": " + ec.message());
  }
  if (mount("overlay", target.c_str(), "overlay", 0, data.c_str()) != 0) {
    return Errno("mount overlay at", target);
  }
  return Status::Ok();
}

bool IsMountPoint(const std::string& path) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(path, ec);
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point == canon.string()) return true;
  }
  return false;
}

Status UnmountRootfs(const std::string& target) {
  if (umount2(target.c_str(), 0) == 0) return Status::Ok();
  if (errno == EINVAL || errno == ENOENT) return Status::Ok();  // not mounted
  if (errno == EBUSY && umount2(target.c_str(), MNT_DETACH) == 0) return Status::Ok();
  return Errno("umount", target);
}

Status CopyLayers(const std::vector<std::string>& layer_dirs, const std::string& target) {
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) return InternalError("creating " + target + ": " + ec.message());
  for (const auto& dir : layer_dirs) {
    CAPSTAN_RETURN_IF_ERROR(MergeDir(dir, target));
  }
  return Status::Ok();
}

}  // namespace capstan::image
