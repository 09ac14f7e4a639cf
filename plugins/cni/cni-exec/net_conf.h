// The pure parts of cni-exec: its operator config (binDir + a conflist file or an inline plugin
// list), CNI version negotiation against what each binary reports, the per-binary network config
// (name/cniVersion replaced, prevResult, runtimeConfig by capability), result conversion between
// the 0.x and 1.x result shapes, and CNI error documents. Process handling lives in cni_exec.cc.
// Tests in net_conf_test.cc.
#ifndef CAPSTAN_PLUGINS_CNI_EXEC_NET_CONF_H_
#define CAPSTAN_PLUGINS_CNI_EXEC_NET_CONF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"

namespace capstan::cni {

using sdk::json::Json;

inline constexpr char kDefaultCniVersion[] = "1.0.0";

// A network configuration list (CNI spec "Network Configuration Lists").
struct NetConfList {
  std::string name;
  std::string cni_version;                // as configured
  std::vector<std::string> cni_versions;  // 1.1.0 `cniVersions`; may be empty
  bool disable_check = false;
  bool disable_gc = false;
  std::vector<Json> plugins;  // objects, each with a string `type`
};

struct ExecConfig {
  std::vector<std::string> bin_dirs;
  NetConfList list;
};

// Parses the plugin's config: `binDir` (string or list; default /usr/lib/cni, /opt/cni/bin) and
// either `conflist` (a file read now) or inline `plugins` + `name` + `cniVersion`.
// Errors: INVALID naming the offending key or file.
sdk::Status ParseExecConfig(const Json& config, ExecConfig* out);
// Parses a conflist document. `source` prefixes messages. Errors: INVALID.
sdk::Status ParseNetConfList(const Json& doc, std::string_view source, NetConfList* out);

// Semantic-version order of "a.b.c" strings (missing parts are 0): <0, 0, >0.
int CompareVersions(std::string_view a, std::string_view b);

// The version to speak with every binary of `list`: the highest of the list's wanted versions
// (`cniVersions`, else `cniVersion`) that all binaries support; failing that, the highest version
// every binary supports that is not above the wanted maximum (CNI 1.1.0 -> 1.0.0 for binaries
// that stop at 1.0.0). `supported[i]` is binary i's VERSION `supportedVersions`.
// nullopt when there is none.
std::optional<std::string> NegotiateVersion(const NetConfList& list,
                                            const std::vector<std::vector<std::string>>& supported);

// Per-binary stdin document: `plugin` with `name` and `cniVersion` replaced, `prevResult` when
// given (converted to `version`), and `runtimeConfig` holding only the keys of
// `runtime_config` that the plugin lists in its `capabilities` map.
Json BuildPluginConf(const Json& plugin, const std::string& name, const std::string& version,
                     const Json* prev_result, const Json* runtime_config);

// Rewrites a result document into `version`'s shape: 1.x results carry no `ips[].version`,
// 0.3/0.4 results need it ("4" or "6"). Other fields are the same in both.
Json ConvertResult(const Json& result, const std::string& version);

// A CNI error document {cniVersion, code, msg, details}.
struct CniError {
  int64_t code = 0;
  std::string msg;
  std::string details;
};
// The error in `stdout_text`, or nullopt when it holds none.
std::optional<CniError> ParseCniError(std::string_view stdout_text);
// The well-known name of `code` ("invalid network config"), or "" for plugin-specific codes.
std::string_view CniErrorName(int64_t code);
// "<type>: CNI error 7 (invalid network config): msg: details" as an SDK status: code 11 ->
// RETRY_LATER, 50 and 51 -> UNAVAILABLE, others ERROR (abi/cni.h).
sdk::Status StatusFromCniError(std::string_view type, const CniError& error);

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_EXEC_NET_CONF_H_
