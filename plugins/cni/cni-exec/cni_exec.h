// CNI plugin `cni-exec`: runs standard CNI plugin binaries (CNI spec 1.1.0 "execution protocol")
// over one network configuration list: CNI_* environment, the per-binary config on stdin with
// prevResult chained across the list, the result or error document read from stdout. Exported by
// plugin.cc; config in net_conf.h; children in child_process.h. Tests: cni_exec_test.cc (fake
// binaries) and tests/core/network/ (real binaries in network namespaces).
#ifndef CAPSTAN_PLUGINS_CNI_EXEC_CNI_EXEC_H_
#define CAPSTAN_PLUGINS_CNI_EXEC_CNI_EXEC_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/cni.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "net_conf.h"

namespace capstan::cni {

inline constexpr char kCniExecName[] = "cni-exec";
inline constexpr char kCniExecVersion[] = "0.1.0";
inline constexpr char kCniExecDescription[] =
    "Runs standard CNI plugin binaries over a network configuration list";
inline constexpr char kCniExecSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "binDir": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "conflist": {"type": "string", "description": "path of a .conflist file"},
    "name": {"type": "string"},
    "cniVersion": {"type": "string"},
    "cniVersions": {"type": "array", "items": {"type": "string"}},
    "disableCheck": {"type": ["boolean", "string"]},
    "disableGC": {"type": "boolean"},
    "plugins": {
      "type": "array",
      "minItems": 1,
      "items": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}
    }
  }
})";

// Thread-safe: binaries run in their own processes (the standard plugins lock their own state);
// the only shared state, the VERSION cache, is guarded by `mu_`.
class CniExec final : public sdk::CniPlugin {
 public:
  // INVALID for a bad config or an unreadable/invalid conflist file.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // ADD over the list in order, each binary after the first seeing the previous result as
  // `prevResult`; the first sees the host's `prevResult` when the request config has one.
  // Stops at the first failure (the host then runs DEL, which covers the whole list). The result
  // is in the request's `cniVersion` (default: the list's).
  sdk::Status CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                     std::string* result_json) override;
  // DEL over the list in reverse with the host's `prevResult`; continues past failures and
  // reports the first. Succeeds when nothing is attached (the binaries' own rule).
  sdk::Status CniDel(sdk::Call& call, const sdk::CniRequest& request) override;
  // CHECK in order with the host's `prevResult` (required); OK without running anything when the
  // list sets `disableCheck` or the negotiated version predates CHECK (0.4.0).
  sdk::Status CniCheck(sdk::Call& call, const sdk::CniRequest& request) override;
  // UNAVAILABLE when a binary is missing; STATUS is sent to binaries that speak CNI 1.1.0.
  sdk::Status CniStatus(sdk::Call& call, const sdk::CniRequest& request) override;
  // GC with the request's "cni.dev/valid-attachments" to binaries that speak CNI 1.1.0 (older
  // ones have no GC); skipped with `disableGC`. Continues past failures.
  sdk::Status CniGc(sdk::Call& call, const sdk::CniRequest& request) override;

  const ExecConfig& config() const { return config_; }

 private:
  // One operation: its CNI_* environment, request documents and negotiated version.
  struct Op {
    std::string command;
    std::vector<std::string> env;    // CNI_* and PATH, without CNI_COMMAND
    std::vector<std::string> paths;  // per list entry; empty when not found in binDir
    std::string version;             // negotiated with the binaries
    std::string requested_version;   // the host's `cniVersion`, for the result
    std::optional<Json> prev_result;
    std::optional<Json> runtime_config;
    std::optional<Json> valid_attachments;
  };

  // Parses the request, finds the binaries and negotiates the version. `negotiate` false (GC,
  // STATUS) skips the VERSION calls and the per-container CNI_* variables. Errors: INVALID request
  // config, ERROR missing binary or no common version.
  sdk::Status Prepare(sdk::Call& call, const sdk::CniRequest& request, const char* command,
                      bool negotiate, Op* op);
  // VERSION's `supportedVersions` of `path`, cached per path.
  sdk::Status SupportedVersions(sdk::Call& call, const std::string& path,
                                std::vector<std::string>* out);
  // Runs one binary; `*stdout_text` is its output on success.
  sdk::Status Run(sdk::Call& call, const Op& op, size_t index, const Json& conf,
                  std::string* stdout_text) const;

  ExecConfig config_;
  std::string cni_path_;  // binDir joined with ':' (for delegated IPAM)

  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> versions_;  // by binary path
};

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_EXEC_CNI_EXEC_H_
