// A loaded plugin library: the validated descriptor plus the compiled config schema. Loading uses
// Boost.DLL with RTLD_NOW | RTLD_LOCAL; libraries are never unloaded and are deduplicated by inode
// in a process-lifetime table (library.cc). Instances are made in instance.h.
// Tests in tests/core/plugin/library_test.cc.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "capstan/abi/common.h"
#include "core/common/status.h"
#include "core/plugin/descriptor.h"
#include "core/plugin/schema.h"

namespace capstan::plugin {

// Per loaded object (one per inode or static entry), shared by every `Library` view of it and by
// every instance: the multi-instance rule and the "on_init never concurrent" rule live here.
// Thread-safe.
class LoadedObject {
 public:
  // Claims an instance slot. Errors: kAlreadyExists when the plugin lacks
  // CAPSTAN_CAP_MULTI_INSTANCE and an instance (named in the message) is alive.
  Status AcquireInstance(const PluginInfo& info, const std::string& instance_name);
  void ReleaseInstance();
  // Serializes on_init/on_destroy calls on the library (descriptor contract).
  std::mutex& lifecycle_mutex() { return lifecycle_mu_; }

 private:
  std::mutex mu_;
  int live_ = 0;
  std::string first_instance_;
  std::mutex lifecycle_mu_;
};

// Immutable after load; share it freely (std::shared_ptr<const Library>).
class Library {
 public:
  // Canonical path of the file, or the origin given to FromEntry.
  const std::string& path() const { return path_; }
  const PluginInfo& info() const { return info_; }
  // NULL when the plugin declares no schema (any JSON object is accepted).
  const ConfigSchema* schema() const { return schema_.get(); }
  LoadedObject& object() const { return *object_; }

  Library(std::string path, PluginInfo info, std::shared_ptr<const ConfigSchema> schema,
          LoadedObject* object)
      : path_(std::move(path)),
        info_(std::move(info)),
        schema_(std::move(schema)),
        object_(object) {}

 private:
  std::string path_;
  PluginInfo info_;
  std::shared_ptr<const ConfigSchema> schema_;
  LoadedObject* object_;  // process lifetime
};

// Loads `path` (an existing file; no search) and validates it. Loading the same file again (by
// any path to the same inode) reuses the dlopen handle but re-checks versions under `options`.
// Errors (messages start "loading plugin ['name'] from <path>: "):
//   kNotFound  file not found;
//   kInvalid   not a loadable library (with dlerror text); no entry symbol capstan_plugin_entry;
//              entry returned NULL; malformed descriptor; incompatible ABI or kind versions;
//              invalid config schema.
// Thread-safe.
Result<std::shared_ptr<const Library>> LoadLibrary(const std::string& path,
                                                   const LoaderOptions& options = {});

// Same checks for a plugin linked into the binary (built-ins, tests). `origin` names it in
// messages and is its path(). Instances of the same `entry` share one LoadedObject.
Result<std::shared_ptr<const Library>> LibraryFromEntry(capstan_plugin_entry_fn entry,
                                                        const std::string& origin,
                                                        const LoaderOptions& options = {});

}  // namespace capstan::plugin
