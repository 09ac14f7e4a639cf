// Runtime plugin `runc`: the CRI -> OCI spec translation (see oci_spec.h).
#include "oci_spec.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

namespace capstan::plugins::runc_runtime {
namespace {

using sdk::json::Json;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::vector<std::string> Strings(const Json* parent, const char* key) {
  std::vector<std::string> out;
  const Json* arr = parent != nullptr ? sdk::json::GetArray(*parent, key) : nullptr;
  if (arr == nullptr) return out;
  for (const Json& v : *arr) {
    if (std::optional<std::string> s = sdk::json::AsString(v)) out.push_back(*s);
  }
  return out;
}

std::optional<int64_t> Number(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// The fields of the first entry of a colon-separated database (passwd, group) whose field
// `key_field` equals `value`.
std::optional<std::vector<std::string>> FindEntry(const std::string& path, size_t key_field,
                                                  const std::string& value) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ':');) fields.push_back(f);
    if (fields.size() > key_field && fields[key_field] == value) return fields;
  }
  return std::nullopt;
}

// Numeric field `want` of the `name` entry (field 0) of a database.
std::optional<int64_t> LookupDb(const std::string& path, const std::string& name, size_t want) {
  std::optional<std::vector<std::string>> e = FindEntry(path, 0, name);
  return e && e->size() > want ? Number((*e)[want]) : std::nullopt;
}

// The gid of `uid`'s passwd entry in the rootfs, when it has one.
std::optional<int64_t> PrimaryGid(const std::string& rootfs, int64_t uid) {
  std::optional<std::vector<std::string>> e =
      FindEntry(rootfs + "/etc/passwd", 2, std::to_string(uid));
  return e && e->size() > 3 ? Number((*e)[3]) : std::nullopt;
}

// uid/gid from runAsUser/runAsGroup, else the image's "user[:group]" (names resolved in rootfs).
sdk::Status ResolveUser(const Json& config, const std::string& rootfs, Json* user) {
  const Json* sc = sdk::json::FindPath(config, {"linux", "securityContext"});
  std::optional<int64_t> uid;
  std::optional<int64_t> gid;
  if (sc != nullptr) {
    if (const Json* u = sdk::json::GetObject(*sc, "runAsUser"))
      uid = sdk::json::GetInt(*u, "value");
    if (const Json* g = sdk::json::GetObject(*sc, "runAsGroup"))
      gid = sdk::json::GetInt(*g, "value");
  }
  const Json* image = sdk::json::GetObject(config, "imageConfig");
  std::string image_user =
      image != nullptr ? sdk::json::GetString(*image, "User").value_or("") : "";
  if (!uid && !image_user.empty()) {
    std::string name = image_user.substr(0, image_user.find(':'));
    std::string group = image_user.find(':') == std::string::npos
                            ? ""
                            : image_user.substr(image_user.find(':') + 1);
    if (!gid && !group.empty()) {
      gid = Number(group);
      if (!gid) gid = LookupDb(rootfs + "/etc/group", group, 2);
      if (!gid) return sdk::Status::Invalid("image group '" + group + "' is not in /etc/group");
    }
    uid = Number(name);
    if (!uid) {
      uid = LookupDb(rootfs + "/etc/passwd", name, 2);
      if (!uid) return sdk::Status::Invalid("image user '" + name + "' is not in /etc/passwd");
      if (!gid) gid = LookupDb(rootfs + "/etc/passwd", name, 3);
    }
  }
  if (!uid) uid = 0;
  if (!gid) gid = PrimaryGid(rootfs, *uid).value_or(0);
  *user = Json{{"uid", *uid}, {"gid", *gid}};
  return sdk::Status::Ok();
}

const std::vector<std::string>& AllCapabilities() {
  static const std::vector<std::string> kAll = {"CAP_CHOWN",
                                                "CAP_DAC_OVERRIDE",
                                                "CAP_DAC_READ_SEARCH",
                                                "CAP_FOWNER",
                                                "CAP_FSETID",
                                                "CAP_KILL",
                                                "CAP_SETGID",
                                                "CAP_SETUID",
                                                "CAP_SETPCAP",
                                                "CAP_LINUX_IMMUTABLE",
                                                "CAP_NET_BIND_SERVICE",
                                                "CAP_NET_BROADCAST",
                                                "CAP_NET_ADMIN",
                                                "CAP_NET_RAW",
                                                "CAP_IPC_LOCK",
                                                "CAP_IPC_OWNER",
                                                "CAP_SYS_MODULE",
                                                "CAP_SYS_RAWIO",
                                                "CAP_SYS_CHROOT",
                                                "CAP_SYS_PTRACE",
                                                "CAP_SYS_PACCT",
                                                "CAP_SYS_ADMIN",
                                                "CAP_SYS_BOOT",
                                                "CAP_SYS_NICE",
                                                "CAP_SYS_RESOURCE",
                                                "CAP_SYS_TIME",
                                                "CAP_SYS_TTY_CONFIG",
                                                "CAP_MKNOD",
                                                "CAP_LEASE",
                                                "CAP_AUDIT_WRITE",
                                                "CAP_AUDIT_CONTROL",
                                                "CAP_SETFCAP",
                                                "CAP_MAC_OVERRIDE",
                                                "CAP_MAC_ADMIN",
                                                "CAP_SYSLOG",
                                                "CAP_WAKE_ALARM",
                                                "CAP_BLOCK_SUSPEND",
                                                "CAP_AUDIT_READ",
                                                "CAP_PERFMON",
                                                "CAP_BPF",
                                                "CAP_CHECKPOINT_RESTORE"};
  return kAll;
}

// "NET_ADMIN" / "net_admin" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays "ALL".
std::string CapName(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (name == "ALL" || name.rfind("CAP_", 0) == 0) return name;
  return "CAP_" + name;
}

std::vector<std::string> Capabilities(const Json* sc, bool privileged) {
  if (privileged) return AllCapabilities();
  std::vector<std::string> caps = DefaultCapabilities();
  const Json* c = sc != nullptr ? sdk::json::GetObject(*sc, "capabilities") : nullptr;
  for (const std::string& add : Strings(c, "addCapabilities")) {
    std::string name = CapName(add);
    if (name == "ALL") {
      caps = AllCapabilities();
      break;
    }
    if (std::find(caps.begin(), caps.end(), name) == caps.end()) caps.push_back(name);
  }
  for (const std::string& drop : Strings(c, "dropCapabilities")) {
    std::string name = CapName(drop);
    if (name == "ALL") {
      caps.clear();
      break;
    }
    caps.erase(std::remove(caps.begin(), caps.end(), name), caps.end());
  }
  return caps;
}

Json Mount(const char* dest, const char* type, const char* source, std::vector<std::string> opts) {
  return Json{{"destination", dest}, {"type", type}, {"source", source}, {"options", opts}};
}

// Default mounts, then the request's bind mounts (which replace a default at the same path).
Json Mounts(const Json& config, bool privileged) {
  Json mounts = Json::array();
  mounts.push_back(Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  mounts.push_back(
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", privileged ? "rw" : "ro"}));
  mounts.push_back(Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                         {"nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro"}));
  const Json* requested = sdk::json::GetArray(config, "mounts");
  if (requested == nullptr) return mounts;
  for (const Json& m : *requested) {
    std::string dest = sdk::json::GetString(m, "containerPath").value_or("");
    std::string src = sdk::json::GetString(m, "hostPath").value_or("");
    if (dest.empty() || src.empty()) continue;
    bool ro = sdk::json::GetBool(m, "readonly").value_or(false);
    Json entry = Json{{"destination", dest},
                      {"type", "bind"},
                      {"source", src},
                      {"options", {"rbind", "rprivate", ro ? "ro" : "rw"}}};
    auto same = std::find_if(mounts.begin(), mounts.end(),
                             [&](const Json& d) { return d["destination"] == dest; });
    if (same != mounts.end()) {
      *same = std::move(entry);
    } else {
      mounts.push_back(std::move(entry));
    }
  }
  return mounts;
}

Json Resources(const Json& config) {
  Json res = {{"devices", Json::array({{{"allow", false}, {"access", "rwm"}}})}};
  const Json* r = sdk::json::FindPath(config, {"linux", "resources"});
  if (r == nullptr) return res;
  Json cpu = Json::object();
  if (auto v = sdk::json::GetInt(*r, "cpuShares"); v && *v > 0) cpu["shares"] = *v;
  if (auto v = sdk::json::GetInt(*r, "cpuQuota"); v && *v > 0) cpu["quota"] = *v;
  if (auto v = sdk::json::GetInt(*r, "cpuPeriod"); v && *v > 0) cpu["period"] = *v;
  if (!cpu.empty()) res["cpu"] = cpu;
  if (auto v = sdk::json::GetInt(*r, "memoryLimitInBytes"); v && *v > 0) {
    res["memory"] = {{"limit", *v}};
  }
  if (auto v = sdk::json::GetInt(*r, "pidsLimit"); v && *v > 0) res["pids"] = {{"limit", *v}};
  return res;
}

Json Namespaces(const Json& config, const SandboxNamespaces& sandbox) {
  Json ns = Json::array({{{"type", "mount"}}});
  auto joined = [&](const char* type, const std::string& path) {
    if (!path.empty()) ns.push_back({{"type", type}, {"path", path}});
  };
  joined("network", sandbox.net);
  joined("ipc", sandbox.ipc);
  joined("uts", sandbox.uts);
  // pid: CONTAINER (1) and POD (0) both get the container's own namespace (a pod-wide pid
  // namespace would need a long-lived holder process); NODE (2) shares the host's.
  const Json* opts = sdk::json::FindPath(config, {"linux", "securityContext", "namespaceOptions"});
  int64_t pid_mode = opts != nullptr ? sdk::json::GetInt(*opts, "pid").value_or(1) : 1;
  if (pid_mode != 2) ns.push_back({{"type", "pid"}});
  return ns;
}

}  // namespace

std::vector<std::string> ProcessArgs(const std::vector<std::string>& entrypoint,
                                     const std::vector<std::string>& cmd,
                                     const std::vector<std::string>& command,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> out = command.empty() ? entrypoint : command;
  const std::vector<std::string>& tail = !args.empty() || !command.empty() ? args : cmd;
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

std::vector<std::string> MergeEnv(const std::vector<std::string>& image_env, const Json& envs) {
  std::vector<std::string> out;
  auto set = [&](const std::string& key, const std::string& kv) {
    auto same = std::find_if(out.begin(), out.end(), [&](const std::string& e) {
      return e.compare(0, key.size() + 1, key + "=") == 0;
    });
    if (same != out.end()) {
      *same = kv;
    } else {
      out.push_back(kv);
    }
  };
  for (const std::string& kv : image_env) set(kv.substr(0, kv.find('=')), kv);
  if (envs.is_array()) {
    for (const Json& e : envs) {
      std::string key = sdk::json::GetString(e, "key").value_or("");
      if (!key.empty()) set(key, key + "=" + sdk::json::GetString(e, "value").value_or(""));
    }
  }
  bool has_path = std::any_of(out.begin(), out.end(),
                              [](const std::string& e) { return e.rfind("PATH=", 0) == 0; });
  if (!has_path) out.insert(out.begin(), kDefaultPath);
  return out;
}

const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> kDefault = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return kDefault;
}

sdk::Status BuildSpec(const Json& config, const SandboxNamespaces& sandbox,
                      const std::string& cgroups_path, Json* spec) {
  std::string rootfs = sdk::json::GetString(config, "rootfs").value_or("");
  if (rootfs.empty() || rootfs[0] != '/') {
    return sdk::Status::Invalid("config.rootfs must be an absolute directory");
  }
  const Json* image = sdk::json::GetObject(config, "imageConfig");
  std::vector<std::string> argv =
      ProcessArgs(Strings(image, "Entrypoint"), Strings(image, "Cmd"), Strings(&config, "command"),
                  Strings(&config, "args"));
  if (argv.empty())
    return sdk::Status::Invalid("no command: neither the pod nor the image sets one");
  Json user;
  CAPSTAN_SDK_RETURN_IF_ERROR(ResolveUser(config, rootfs, &user));
  const Json* envs = sdk::json::Find(config, "envs");
  std::string cwd = sdk::json::GetString(config, "workingDir").value_or("");
  if (cwd.empty() && image != nullptr)
    cwd = sdk::json::GetString(*image, "WorkingDir").value_or("");
  if (cwd.empty()) cwd = "/";

  const Json* sc = sdk::json::FindPath(config, {"linux", "securityContext"});
  bool privileged = sc != nullptr && sdk::json::GetBool(*sc, "privileged").value_or(false);
  bool readonly_rootfs = sc != nullptr && sdk::json::GetBool(*sc, "readonlyRootfs").value_or(false);
  bool no_new_privs = sc != nullptr && sdk::json::GetBool(*sc, "noNewPrivs").value_or(false);
  std::vector<std::string> caps = Capabilities(sc, privileged);

  Json linux_section = {{"namespaces", Namespaces(config, sandbox)},
                        {"cgroupsPath", cgroups_path},
                        {"resources", Resources(config)}};
  if (privileged) {
    linux_section["resources"]["devices"] = Json::array({{{"allow", true}, {"access", "rwm"}}});
  } else {
    linux_section["maskedPaths"] = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                                    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                                    "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
                                    "/sys/firmware"};
    linux_section["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"};
  }
  *spec = Json{{"ociVersion", "1.0.2"},
               {"process",
                {{"terminal", sdk::json::GetBool(config, "tty").value_or(false)},
                 {"user", user},
                 {"args", argv},
                 {"env", MergeEnv(Strings(image, "Env"), envs != nullptr ? *envs : Json::array())},
                 {"cwd", cwd},
                 {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
                 {"noNewPrivileges", no_new_privs}}},
               {"root", {{"path", rootfs}, {"readonly", readonly_rootfs}}},
               {"mounts", Mounts(config, privileged)},
               {"linux", linux_section}};
  if (!sandbox.uts.empty() && !sandbox.hostname.empty()) {
    (*spec)["hostname"] = sandbox.hostname;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
