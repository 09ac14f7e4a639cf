// Container environment as the kubelet builds it: `env` (value with $(VAR) expansion,
// valueFrom configMapKeyRef/secretKeyRef/fieldRef/resourceFieldRef), `envFrom` with prefix and
// optional refs, and the Docker-link service variables; plus the downward-API field lookups the
// downwardAPI volume shares (volumes.cc). Implementation in env.cc; tests in
// tests/core/agent/env_test.cc. Thread-safety: pure functions over their arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::agent {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Reads a namespaced object: `resource` is "configmaps" or "secrets". Returns the object, or
// the API's error (kNotFound when absent).
using ObjectGetter = std::function<Result<nlohmann::json>(
    const std::string& resource, const std::string& ns, const std::string& name)>;

// The pod and what the node knows about it, for downward-API lookups.
struct PodFacts {
  const nlohmann::json* pod = nullptr;  // borrowed
  std::string host_ip;
  std::string pod_ip;
  int64_t node_cpu_millis = 1000;  // allocatable; the default of unset limits
  int64_t node_memory_bytes = 0;
};

// A fieldRef path: metadata.name, metadata.namespace, metadata.uid, metadata.labels,
// metadata.annotations (the whole map, `k="v"` lines, sorted, as the downward volume writes
// it), metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName,
// status.hostIP, status.hostIPs, status.podIP, status.podIPs. kInvalid for others.
Result<std::string> PodFieldValue(const PodFacts& facts, std::string_view path);

// A resourceFieldRef ({containerName?, resource, divisor?}) against `container` (the one named
// by containerName when given): limits/requests cpu, memory, ephemeral-storage; unset limits
// read as node allocatable; the value is divided by `divisor` (default 1) rounding up, as
// upstream. kInvalid for unknown resources or a bad quantity; kNotFound for an unknown
// containerName.
Result<std::string> ResourceFieldValue(const PodFacts& facts, const nlohmann::json& container,
                                       const nlohmann::json& ref);

// Upstream's $(VAR) expansion: `$(NAME)` becomes `lookup(NAME)` when it returns true, `$$`
// becomes `$`, anything else (undefined names, unterminated `$(`) is left as written.
std::string ExpandVars(std::string_view input,
                       const std::function<bool(const std::string&, std::string*)>& lookup);

// Docker-link variables of `services` (Service objects): every service of `ns` with a cluster
// IP when `enable_links`, and the `kubernetes` service of `default` always. For service "my-svc"
// with first port 80/TCP: MY_SVC_SERVICE_HOST, MY_SVC_SERVICE_PORT, MY_SVC_SERVICE_PORT_<NAME>
// for named ports, MY_SVC_PORT=tcp://ip:80, MY_SVC_PORT_80_TCP(_PROTO|_PORT|_ADDR).
EnvList ServiceEnv(const std::vector<nlohmann::json>& services, const std::string& ns,
                   bool enable_links);

// The container's environment in upstream's precedence: envFrom (in order, with prefix; keys
// that are not C identifiers after prefixing are skipped and listed in `*skipped`), then env
// (later entries win; values expanded against what precedes and the service variables), then
// service variables not already set. Errors: kNotFound `configmap "x" not found` / `secret "x"
// not found` / `couldn't find key k in ConfigMap ns/x` for non-optional refs (the kubelet's
// CreateContainerConfigError messages); kInvalid for a bad fieldRef or resourceFieldRef.
Result<EnvList> ResolveEnv(const PodFacts& facts, const nlohmann::json& container,
                           const ObjectGetter& get, const EnvList& service_env,
                           std::vector<std::string>* skipped = nullptr);

// Decoded `data` (base64) and `stringData`-free `data` of a Secret, or `data` + `binaryData`
// (decoded) of a ConfigMap, by key. kInvalid for bad base64.
Result<std::vector<std::pair<std::string, std::string>>> ObjectPayload(const nlohmann::json& obj,
                                                                       bool secret);

}  // namespace capstan::agent
