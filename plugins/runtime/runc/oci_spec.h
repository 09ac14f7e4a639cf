// Runtime plugin `runc`: turns a CRI CreateContainer config (plus the Capstan extensions
// `rootfs` and `imageConfig`) into an OCI runtime spec (config.json) for runc. Pure functions, no
// I/O except reading the rootfs's /etc/passwd and /etc/group for named users. Used by
// runc_runtime.cc; tested by oci_spec_test.cc beside it.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_OCI_SPEC_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_OCI_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"
#include "namespaces.h"

namespace capstan::plugins::runc_runtime {

// What a container needs to know about its pod sandbox: its namespace files (an empty path means
// "share the host's" — hostNetwork, hostIPC — and no namespace entry of that type is written) and
// the hostname, set only with a UTS namespace.
using SandboxNamespaces = PodNamespacePaths;

// The upstream (Kubernetes) rule: `command` replaces the image Entrypoint and drops its Cmd;
// `args` alone replace Cmd after the Entrypoint; neither gives Entrypoint + Cmd.
std::vector<std::string> ProcessArgs(const std::vector<std::string>& entrypoint,
                                     const std::vector<std::string>& cmd,
                                     const std::vector<std::string>& command,
                                     const std::vector<std::string>& args);

// The image's "K=V" list overlaid by `envs` ([{"key","value"}]): a key keeps its first position,
// the later value wins. PATH gets the usual default when neither defines it.
std::vector<std::string> MergeEnv(const std::vector<std::string>& image_env,
                                  const sdk::json::Json& envs);

// The default capability set of container runtimes (containerd/CRI-O) for unprivileged pods,
// with the "CAP_" prefix.
const std::vector<std::string>& DefaultCapabilities();

// `config` is the CRI ContainerConfig. Writes the complete OCI spec to `*spec`. INVALID when the
// config lacks `rootfs`, yields no process arguments, or names a user the rootfs does not know.
// `cgroups_path` is used as given (relative paths nest under runc's own cgroup).
sdk::Status BuildSpec(const sdk::json::Json& config, const SandboxNamespaces& sandbox,
                      const std::string& cgroups_path, sdk::json::Json* spec);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_OCI_SPEC_H_
