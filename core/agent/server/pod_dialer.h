// Connecting to a port inside a pod's network namespace (what the kubelet's port-forward
// does), so a server bound to 127.0.0.1 in the pod is reachable: `PodNetnsPath` finds the
// namespace through the runtime (container -> sandbox -> info.netnsPath) and `DialInNetns`
// connects from a thread that entered it. Used by port_forward.cc; tests in
// tests/core/agent/server/pod_dialer_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::agent::server {

// A runtime RPC as RuntimeClient::Call makes it (method name, CRI-shaped JSON request).
// Blocking; thread-safe.
using RuntimeCall =
    std::function<Result<nlohmann::json>(std::string_view method, const nlohmann::json& request)>;

// The pod's network namespace file, or "" for a pod on the host network. Blocking (runtime
// calls). Errors: kBadRequest when no container of the pod has been created yet (nothing
// to find the sandbox from); the runtime's errors; kNotFound when the sandbox reports none.
Result<std::string> PodNetnsPath(const nlohmann::json& pod, const RuntimeCall& runtime);

// Connects a TCP socket to `port` on localhost (127.0.0.1, then ::1) inside the network
// namespace at `netns_path` ("" = the caller's namespace) and returns the connected
// descriptor (the caller owns it; it stays in that namespace). Blocking: it runs on a thread
// it creates and joins, because entering a namespace is per thread. Errors: kUnavailable
// with the kubelet's wording ("... connect: connection refused") when nothing listens;
// kInternal when the namespace cannot be entered.
Result<int> DialInNetns(const std::string& netns_path, uint16_t port);

}  // namespace capstan::agent::server
