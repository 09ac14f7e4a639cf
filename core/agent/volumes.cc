// Pod volume setup and teardown (volumes.h): directories, tmpfs mounts, hostPath type checks
// and container mounts. Payloads of API-data volumes are in volume_payload.cc.
#include "core/agent/volumes.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/log.h"
#include "core/registry/quantity.h"

namespace capstan::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr char kLog[] = "agent";

Status Failed(const std::string& volume, const Status& why) {
  return Status(why.code(),
                "MountVolume.SetUp failed for volume \"" + volume + "\" : " + why.message());
}

// Mounts a tmpfs at `dir` unless one is there. Without the privilege to mount (tests as an
// unprivileged user) the directory stays a plain one, with a warning: the data is then on disk.
Status EnsureTmpfs(const std::string& dir, int64_t size_bytes) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string f[5];
    for (std::string& s : f) ls >> s;
    if (f[4] == dir) return Status::Ok();
  }
  std::string opts = "mode=0755";
  if (size_bytes > 0) opts += ",size=" + std::to_string(size_bytes);
  if (mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    if (errno == EPERM) {
      log::Warn(kLog, "cannot mount tmpfs (no privilege); using a plain directory", {{"dir", dir}});
      return Status::Ok();
    }
    return InternalError("mounting tmpfs at " + dir + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status HostPathCheck(const std::string& path, const std::string& type) {
  struct stat st {};
  bool exists = lstat(path.c_str(), &st) == 0;
  if (exists && S_ISLNK(st.st_mode)) exists = stat(path.c_str(), &st) == 0;
  auto fail = [&](const std::string& what) {
    return InvalidError("hostPath type check failed: " + path + " is not " + what);
  };
  if (type.empty()) return Status::Ok();
  if (type == "DirectoryOrCreate") {
    if (!exists) {
      std::error_code ec;
      fs::create_directories(path, ec);
      if (ec) return InternalError("creating " + path + ": " + ec.message());
      chmod(path.c_str(), 0755);
      return Status::Ok();
    }
    return S_ISDIR(st.st_mode) ? Status::Ok() : fail("a directory");
  }
  if (type == "FileOrCreate") {
    if (!exists) {
      std::ofstream out(path, std::ios::app);
      if (!out) return InternalError("creating " + path + ": " + std::strerror(errno));
      out.close();
      chmod(path.c_str(), 0644);
      return Status::Ok();
    }
    return S_ISREG(st.st_mode) ? Status::Ok() : fail("a file");
  }
  if (!exists) return InvalidError("hostPath type check failed: " + path + " does not exist");
  if (type == "Directory") return S_ISDIR(st.st_mode) ? Status::Ok() : fail("a directory");
  if (type == "File") return S_ISREG(st.st_mode) ? Status::Ok() : fail("a file");
  if (type == "Socket") return S_ISSOCK(st.st_mode) ? Status::Ok() : fail("a socket file");
  if (type == "CharDevice") return S_ISCHR(st.st_mode) ? Status::Ok() : fail("a character device");
  if (type == "BlockDevice") return S_ISBLK(st.st_mode) ? Status::Ok() : fail("a block device");
  return InvalidError("hostPath type " + type + " is not supported");
}

int64_t SizeLimit(const json& empty_dir) {
  if (!empty_dir.is_object() || !empty_dir.contains("sizeLimit")) return 0;
  Result<registry::Quantity> q = registry::Quantity::FromJson(empty_dir["sizeLimit"]);
  return q.ok() ? (q->MilliValue() + 999) / 1000 : 0;
}

bool SafeRelative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  const fs::path path(p);
  return std::none_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
}

// Mount points at or below `dir`, deepest first.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string f[5];
    for (std::string& s : f) ls >> s;
    if (f[4] == dir || f[4].rfind(dir + "/", 0) == 0) out.push_back(f[4]);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

}  // namespace

Result<PodVolumes> SetUpVolumes(const VolumeContext& ctx) {
  PodVolumes out;
  const json& spec = (*ctx.facts.pod)["spec"];
  for (const json& v : spec.value("volumes", json::array())) {
    std::string name = v.value("name", "");
    std::error_code ec;
    auto dir_for = [&](const char* plugin) {
      return ctx.pod_dir + "/volumes/kubernetes.io~" + plugin + "/" + name;
    };
    if (v.contains("hostPath")) {
      std::string path = v["hostPath"].value("path", "");
      Status s = HostPathCheck(path, v["hostPath"].value("type", ""));
      if (!s.ok()) return Failed(name, s);
      out.paths[name] = path;
      continue;
    }
    if (v.contains("emptyDir")) {
      std::string dir = dir_for("empty-dir");
      fs::create_directories(dir, ec);
      if (ec) return Failed(name, InternalError(ec.message()));
      chmod(dir.c_str(), 0777);  // as upstream: any container user may write
      if (v["emptyDir"].is_object() && v["emptyDir"].value("medium", "") == "Memory") {
        Status s = EnsureTmpfs(dir, SizeLimit(v["emptyDir"]));
        if (!s.ok()) return Failed(name, s);
      }
      out.paths[name] = dir;
      continue;
    }
    static const std::pair<const char*, const char*> kApiData[] = {{"configMap", "configmap"},
                                                                   {"secret", "secret"},
                                                                   {"downwardAPI", "downward-api"},
                                                                   {"projected", "projected"}};
    bool handled = false;
    for (const auto& [type, plugin] : kApiData) {
      if (!v.contains(type)) continue;
      handled = true;
      std::string dir = dir_for(plugin);
      fs::create_directories(dir, ec);
      if (ec) return Failed(name, InternalError(ec.message()));
      if (std::string(type) == "secret" || std::string(type) == "projected") {
        Status s = EnsureTmpfs(dir, 0);
        if (!s.ok()) return Failed(name, s);
      }
      bool skip = false;
      Result<std::vector<ProjectedFile>> files = VolumePayload(ctx, type, v[type], &skip);
      if (!files.ok()) return Failed(name, files.status());
      Status s = WriteAtomic(dir, *files);
      if (!s.ok()) return Failed(name, s);
      out.paths[name] = dir;
      out.api_data[name] = true;
    }
    if (!handled) {
      return Failed(name, InvalidError("volume type is not supported by this agent"));
    }
  }
  return out;
}

Result<json> ContainerMounts(const json& container, const PodVolumes& volumes, const EnvList& env) {
  json mounts = json::array();
  for (const json& m : container.value("volumeMounts", json::array())) {
    std::string name = m.value("name", "");
    auto it = volumes.paths.find(name);
    if (it == volumes.paths.end()) {
      return InvalidError("volumeMount " + name + " names no volume of the pod");
    }
    std::string host = it->second;
    std::string sub = m.value("subPath", "");
    if (sub.empty() && m.contains("subPathExpr")) {
      sub = ExpandVars(m.value("subPathExpr", ""), [&](const std::string& k, std::string* v) {
        for (const auto& [ek, ev] : env) {
          if (ek == k) *v = ev;
        }
        return true;  // undefined names expand to "" in subPathExpr
      });
    }
    if (!sub.empty()) {
      if (!SafeRelative(sub)) return InvalidError("subPath \"" + sub + "\" must be relative");
      host += "/" + sub;
      std::error_code ec;
      if (!fs::exists(host, ec)) fs::create_directories(host, ec);
    }
    bool ro = m.value("readOnly", false) || volumes.api_data.count(name) > 0;
    mounts.push_back(
        {{"containerPath", m.value("mountPath", "")}, {"hostPath", host}, {"readonly", ro}});
  }
  return mounts;
}

Status TearDownVolumes(const std::string& pod_dir) {
  std::error_code ec;
  if (!fs::exists(pod_dir, ec)) return Status::Ok();
  for (const std::string& m : MountsUnder(pod_dir)) {
    if (umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
      return InternalError("unmounting " + m + ": " + std::strerror(errno));
    }
  }
  fs::remove_all(pod_dir, ec);
  if (ec) return InternalError("removing " + pod_dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace capstan::agent
