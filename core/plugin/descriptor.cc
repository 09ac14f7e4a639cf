// Descriptor copying, version negotiation and validation (descriptor.h).
#include "core/plugin/descriptor.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace capstan::plugin {
namespace {

constexpr size_t kMaxNameLen = 253;
constexpr size_t kMaxVersionLen = 256;
constexpr size_t kMaxDescriptionLen = 4096;
constexpr size_t kMaxSchemaLen = 1 << 20;

// The descriptor fields every ABI major keeps in place, so that a refusal can still name the
// plugin: struct_size, abi_major, abi_minor, name.
constexpr uint32_t kNameEnd = offsetof(capstan_plugin_descriptor, name) + sizeof(const char*);
// Everything up to and including the required on_destroy.
constexpr uint32_t kMinDescriptorSize =
    offsetof(capstan_plugin_descriptor, on_destroy) + sizeof(void (*)(capstan_plugin_state*));
constexpr uint32_t kMinKindDescriptorSize = sizeof(capstan_kind_descriptor);

// Copies min(struct_size, sizeof(T)) bytes of a plugin struct into a zeroed T (convention 4).
template <typename T>
T CopyPrefix(const void* src, uint32_t struct_size) {
  T out{};
  std::memset(static_cast<void*>(&out), 0, sizeof(T));
  std::memcpy(static_cast<void*>(&out), src, std::min<size_t>(struct_size, sizeof(T)));
  return out;
}

uint32_t ReadStructSize(const void* p) {
  uint32_t size = 0;
  std::memcpy(&size, p, sizeof(size));
  return size;
}

class Errors {
 public:
  explicit Errors(const std::string& origin) : origin_(origin) {}
  void SetName(std::string name) { name_ = std::move(name); }
  Status operator()(const std::string& what) const {
    std::string prefix = name_.empty() ? "loading plugin from " + origin_
                                       : "loading plugin '" + name_ + "' from " + origin_;
    return InvalidError(prefix + ": " + what);
  }

 private:
  const std::string& origin_;
  std::string name_;
};

// Reads a NUL-terminated string of at most `max` bytes. False when unterminated within `max`.
bool ReadCString(const char* s, size_t max, std::string* out) {
  size_t n = strnlen(s, max + 1);
  if (n > max) return false;
  out->assign(s, n);
  return true;
}

Status CheckVersion(const Errors& err, const char* what, HostVersions::Version host, uint16_t major,
                    uint16_t minor) {
  if (major != host.major) {
    return err(std::string(what) + " major " + std::to_string(major) + ", host " +
               std::to_string(host.major));
  }
  if (minor > host.minor) {
    return err("plugin needs " + std::string(what) + " minor " + std::to_string(minor) +
               ", host has " + std::to_string(host.minor));
  }
  return Status::Ok();
}

Status ReadKind(const Errors& err, const capstan_kind_descriptor& kd, size_t index,
                const LoaderOptions& options, PluginInfo* info) {
  std::string where = "kind descriptor #" + std::to_string(index);
  const KindTraits* traits = FindKind(kd.kind);
  if (traits == nullptr) return err(where + ": unknown kind " + std::to_string(kd.kind));
  where = "kind " + std::string(traits->name);
  if (info->FindKind(kd.kind) != nullptr) return err(where + " is declared twice");
  std::string iface = "kind " + std::string(traits->name) + " interface";
  CAPSTAN_RETURN_IF_ERROR(CheckVersion(err, iface.c_str(), options.versions.kinds[kd.kind],
                                       kd.iface_major, kd.iface_minor));
  if (kd.vtable == nullptr) return err(where + ": NULL vtable");
  uint32_t vsize = ReadStructSize(kd.vtable);
  if (vsize < kMinVtableSize) {
    return err(where + ": vtable struct_size " + std::to_string(vsize) + " is smaller than its " +
               std::to_string(kMinVtableSize) + "-byte header");
  }
  void* slot = VtableSlot(*info->vtables, kd.kind);
  std::memcpy(slot, kd.vtable, std::min<size_t>(vsize, traits->host_vtable_size));
  // The copied struct_size says how much the plugin provided; keep it as the plugin wrote it.
  bool any = false;
  for (const EntryInfo& e : traits->entries) {
    bool has = EntryImplemented(slot, e);
    any = any || has;
    if (e.required && !has)
      return err(where + ": required entry " + std::string(e.name) +
                 " is NULL or beyond the vtable's struct_size");
  }
  if (traits->needs_any_entry && !any) return err(where + ": implements none of its entries");
  info->kinds.push_back(KindInfo{kd.kind, kd.iface_major, kd.iface_minor, vsize, traits});
  return Status::Ok();
}

Status ReadKinds(const Errors& err, const capstan_plugin_descriptor& d,
                 const LoaderOptions& options, PluginInfo* info) {
  if (d.kind_count == 0) return err("descriptor declares no kinds");
  if (d.kinds == nullptr) {
    return err("kind_count is " + std::to_string(d.kind_count) + " but kinds is NULL");
  }
  if (d.kind_count > AllKinds().size()) {
    return err("kind_count " + std::to_string(d.kind_count) + " exceeds the " +
               std::to_string(AllKinds().size()) + " kinds the host knows");
  }
  // Arrays of growable structs are laid out with the writer's sizeof, i.e. its struct_size.
  uint32_t stride = ReadStructSize(d.kinds);
  if (stride < kMinKindDescriptorSize || stride % alignof(capstan_kind_descriptor) != 0) {
    return err("kind descriptor struct_size " + std::to_string(stride) + " is invalid (minimum " +
               std::to_string(kMinKindDescriptorSize) + ")");
  }
  const auto* base = reinterpret_cast<const unsigned char*>(d.kinds);
  for (size_t i = 0; i < d.kind_count; ++i) {
    const unsigned char* p = base + i * stride;
    if (ReadStructSize(p) != stride) {
      return err("kind descriptor #" + std::to_string(i) + " has struct_size " +
                 std::to_string(ReadStructSize(p)) + ", expected " + std::to_string(stride));
    }
    auto kd = CopyPrefix<capstan_kind_descriptor>(p, stride);
    CAPSTAN_RETURN_IF_ERROR(ReadKind(err, kd, i, options, info));
  }
  return Status::Ok();
}

Status ReadStrings(const Errors& err, const capstan_plugin_descriptor& d, PluginInfo* info) {
  if (d.version == nullptr) return err("version is NULL");
  if (!ReadCString(d.version, kMaxVersionLen, &info->version) || info->version.empty()) {
    return err("version is empty or longer than " + std::to_string(kMaxVersionLen) + " bytes");
  }
  if (d.description != nullptr) {
    std::string desc;
    if (!ReadCString(d.description, kMaxDescriptionLen, &desc)) desc.resize(kMaxDescriptionLen);
    info->description = std::move(desc);
  }
  if (d.config_schema != nullptr) {
    if (!ReadCString(d.config_schema, kMaxSchemaLen, &info->config_schema)) {
      return err("config_schema is longer than " + std::to_string(kMaxSchemaLen) + " bytes");
    }
    info->has_config_schema = true;
  }
  return Status::Ok();
}

}  // namespace

std::array<HostVersions::Version, 9> HostVersions::DefaultKindVersions() {
  std::array<Version, 9> v{};
  for (const KindTraits& k : AllKinds()) v[k.id] = Version{k.iface_major, k.iface_minor};
  return v;
}

HostVersions& HostVersions::WithAllMinors(uint16_t minor) {
  abi.minor = minor;
  for (size_t i = 1; i < kinds.size(); ++i) kinds[i].minor = minor;
  return *this;
}

const KindInfo* PluginInfo::FindKind(uint32_t kind) const {
  for (const KindInfo& k : kinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

const void* PluginInfo::vtable(uint32_t kind) const {
  return FindKind(kind) != nullptr ? VtableSlot(*vtables, kind) : nullptr;
}

bool IsValidPluginName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLen) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::vector<std::string> CapabilityNames(uint64_t capabilities) {
  std::vector<std::string> out;
  if (capabilities & CAPSTAN_CAP_THREAD_SAFE) out.emplace_back("thread-safe");
  if (capabilities & CAPSTAN_CAP_MULTI_INSTANCE) out.emplace_back("multi-instance");
  uint64_t rest = capabilities & ~(CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
  if (rest != 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(rest));
    out.emplace_back(buf);
  }
  return out;
}

Result<PluginInfo> ReadDescriptor(const capstan_plugin_descriptor* descriptor,
                                  const std::string& origin, const LoaderOptions& options) {
  Errors err(origin);
  if (descriptor == nullptr) return err("entry symbol " CAPSTAN_ENTRY_SYMBOL " returned NULL");
  uint32_t size = ReadStructSize(descriptor);
  PluginInfo info;
  info.descriptor_size = size;
  if (size < offsetof(capstan_plugin_descriptor, name)) {
    return err("descriptor struct_size " + std::to_string(size) + " is too small");
  }
  const auto d = CopyPrefix<capstan_plugin_descriptor>(descriptor, size);
  if (size >= kNameEnd && d.name != nullptr) {
    std::string name;
    if (ReadCString(d.name, kMaxNameLen, &name) && IsValidPluginName(name)) err.SetName(name);
  }
  CAPSTAN_RETURN_IF_ERROR(CheckVersion(err, "ABI", options.versions.abi, d.abi_major, d.abi_minor));
  if (size < kMinDescriptorSize) {
    return err("descriptor struct_size " + std::to_string(size) + " is smaller than the minimum " +
               std::to_string(kMinDescriptorSize));
  }
  if (d.name == nullptr) return err("name is NULL");
  if (!ReadCString(d.name, kMaxNameLen, &info.name) || !IsValidPluginName(info.name)) {
    return err("name \"" + info.name.substr(0, 64) + "\" is invalid: want [a-z0-9][a-z0-9._-]*");
  }
  CAPSTAN_RETURN_IF_ERROR(ReadStrings(err, d, &info));
  if (d.on_init == nullptr) return err("required entry on_init is NULL");
  if (d.on_destroy == nullptr) return err("required entry on_destroy is NULL");
  info.abi_major = d.abi_major;
  info.abi_minor = d.abi_minor;
  info.capabilities = d.capabilities;
  info.descriptor = d;
  CAPSTAN_RETURN_IF_ERROR(ReadKinds(err, d, options, &info));
  return info;
}

}  // namespace capstan::plugin
