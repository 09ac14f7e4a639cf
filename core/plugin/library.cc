// Boost.DLL adapter and the process-lifetime table of loaded objects (library.h). The only file
// that touches Boost.DLL; it catches what Boost throws.
#include "core/plugin/library.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/shared_library.hpp>

namespace capstan::plugin {
namespace {

// One dlopen'ed file or static entry. Never destroyed: destroying `dll` would dlclose.
struct Loaded {
  boost::dll::shared_library dll;
  capstan_plugin_entry_fn entry = nullptr;
  LoadedObject object;
};

struct Table {
  std::mutex mu;
  std::map<std::pair<dev_t, ino_t>, Loaded*> by_inode;
  std::map<capstan_plugin_entry_fn, Loaded*> by_entry;
};

Table& TheTable() {
  static Table* table = new Table;  // leaked on purpose: libraries outlive static destructors
  return *table;
}

std::string LoadPrefix(const std::string& path) { return "loading plugin from " + path + ": "; }

std::string DlErrorText() {
  const char* e = dlerror();
  return e != nullptr ? e : "unknown dlopen error";
}

// Opens `canonical` (or finds it in the table). Errors name the cause.
Result<Loaded*> Open(const std::string& canonical, dev_t dev, ino_t ino) {
  Table& t = TheTable();
  std::lock_guard lock(t.mu);
  auto it = t.by_inode.find({dev, ino});
  if (it != t.by_inode.end()) return it->second;
  auto loaded = std::make_unique<Loaded>();
  std::error_code ec;
  dlerror();  // clear stale text
  loaded->dll.load(std::filesystem::path(canonical),
                   boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !loaded->dll.is_loaded()) {
    return InvalidError(LoadPrefix(canonical) + "not a loadable library: " + DlErrorText());
  }
  if (!loaded->dll.has(CAPSTAN_ENTRY_SYMBOL)) {
    // Keep the handle: a library is never unloaded, even one we refuse.
    loaded->entry = nullptr;
  } else {
    try {
      loaded->entry = &loaded->dll.get<const capstan_plugin_descriptor*()>(CAPSTAN_ENTRY_SYMBOL);
    } catch (const std::exception& e) {
      return InvalidError(LoadPrefix(canonical) + "cannot resolve " CAPSTAN_ENTRY_SYMBOL ": " +
                          e.what());
    }
  }
  Loaded* raw = loaded.release();
  t.by_inode[{dev, ino}] = raw;
  return raw;
}

Result<std::shared_ptr<const Library>> Finish(capstan_plugin_entry_fn entry, LoadedObject* object,
                                              const std::string& origin,
                                              const LoaderOptions& options) {
  const capstan_plugin_descriptor* descriptor = nullptr;
  try {
    descriptor = entry();
  } catch (...) {
    return InvalidError(LoadPrefix(origin) + "entry symbol threw across the ABI");
  }
  Result<PluginInfo> info = ReadDescriptor(descriptor, origin, options);
  if (!info.ok()) return info.status();
  std::shared_ptr<const ConfigSchema> schema;
  if (info->has_config_schema) {
    auto compiled = ConfigSchema::Compile(info->config_schema);
    if (!compiled.ok()) {
      return compiled.status().WithContext("loading plugin '" + info->name + "' from " + origin);
    }
    schema = std::move(*compiled);
  }
  return std::make_shared<const Library>(origin, std::move(*info), std::move(schema), object);
}

}  // namespace

Status LoadedObject::AcquireInstance(const PluginInfo& info, const std::string& instance_name) {
  std::lock_guard lock(mu_);
  if (live_ > 0 && !info.multi_instance()) {
    return AlreadyExistsError("plugin '" + info.name +
                              "' does not declare CAPSTAN_CAP_MULTI_INSTANCE and already has "
                              "instance '" +
                              first_instance_ + "'; cannot create '" + instance_name + "'");
  }
  if (live_ == 0) first_instance_ = instance_name;
  ++live_;
  return Status::Ok();
}

void LoadedObject::ReleaseInstance() {
  std::lock_guard lock(mu_);
  if (live_ > 0) --live_;
}

Result<std::shared_ptr<const Library>> LoadLibrary(const std::string& path,
                                                   const LoaderOptions& options) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::canonical(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return NotFoundError(LoadPrefix(path) + "file not found");
    }
    return InvalidError(LoadPrefix(path) + ec.message());
  }
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) {
    return NotFoundError(LoadPrefix(path) + "file not found");
  }
  Result<Loaded*> loaded = Open(canonical.string(), st.st_dev, st.st_ino);
  if (!loaded.ok()) return loaded.status();
  if ((*loaded)->entry == nullptr) {
    return InvalidError(LoadPrefix(canonical.string()) + "no entry symbol " CAPSTAN_ENTRY_SYMBOL
                                                         " (is it exported?)");
  }
  return Finish((*loaded)->entry, &(*loaded)->object, canonical.string(), options);
}

Result<std::shared_ptr<const Library>> LibraryFromEntry(capstan_plugin_entry_fn entry,
                                                        const std::string& origin,
                                                        const LoaderOptions& options) {
  if (entry == nullptr) return InvalidError(LoadPrefix(origin) + "NULL entry function");
  LoadedObject* object = nullptr;
  {
    Table& t = TheTable();
    std::lock_guard lock(t.mu);
    Loaded*& slot = t.by_entry[entry];
    if (slot == nullptr) {
      slot = new Loaded;  // process lifetime, like dlopen'ed objects
      slot->entry = entry;
    }
    object = &slot->object;
  }
  return Finish(entry, object, origin, options);
}

}  // namespace capstan::plugin
