// Runtime plugin `runc`: the sandbox and container records it persists as JSON under its state
// directory (sandboxes/<id>/sandbox.json, containers/<id>/container.json, the latter beside the
// OCI bundle), so a restarted plugin adopts what is running; and the request-parsing helpers the
// RPC handlers share. Used by runc_runtime.cc and runc_exec_list.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_RECORDS_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"
#include "namespaces.h"

namespace capstan::plugins::runc_runtime {

struct SandboxRecord {
  std::string id;
  sdk::json::Json metadata = sdk::json::Json::object();
  sdk::json::Json labels = sdk::json::Json::object();
  sdk::json::Json annotations = sdk::json::Json::object();
  std::string log_directory;
  std::string cgroup_parent;  // relative cgroup directory holding the pod's containers
  int64_t created_at = 0;
  bool ready = true;
  PodNamespacePaths namespaces;  // empty path: shared with the host
};

struct ContainerRecord {
  std::string id;
  std::string sandbox_id;
  sdk::json::Json metadata = sdk::json::Json::object();
  sdk::json::Json labels = sdk::json::Json::object();
  sdk::json::Json annotations = sdk::json::Json::object();
  std::string image;
  std::string image_ref;
  std::string log_path;  // absolute
  int64_t created_at = 0;
  int64_t started_at = 0;
  int32_t init_pid = -1;
  int32_t shim_pid = -1;
};

sdk::json::Json ToJson(const SandboxRecord& r);
sdk::json::Json ToJson(const ContainerRecord& r);
// INVALID when a required field (id) is missing.
sdk::Status FromJson(const sdk::json::Json& j, SandboxRecord* r);
sdk::Status FromJson(const sdk::json::Json& j, ContainerRecord* r);

// The request document of a runtime call ("" reads as {}); INVALID unless a JSON object.
sdk::Status ParseRequest(std::string_view request_json, sdk::json::Json* out);
// Member `key` of `parent` (may be NULL) when it is an object, else an empty object.
sdk::json::Json ObjectOrEmpty(const sdk::json::Json* parent, std::string_view key);

// Writes `text` to `path` through a temporary file and rename (readers never see half a file).
// Not fsynced: these files describe processes that a power loss ends too, and an fsync costs
// milliseconds on every container start (a record lost in a crash is skipped by LoadRecords).
sdk::Status WriteFileAtomic(const std::string& path, const std::string& text);

// Every parseable `<dir>/*/<file>` document, keyed by subdirectory name; unreadable entries are
// skipped (a crash between mkdir and the first write leaves such a directory).
std::map<std::string, sdk::json::Json> LoadRecords(const std::string& dir, const std::string& file);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_RECORDS_H_
