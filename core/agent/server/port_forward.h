// Port-forward (`/portForward/{ns}/{pod}`, the kubelet's path) over SPDY/3.1: kubectl 1.31+'s
// WebSocket tunnel (`SPDY/3.1+portforward.k8s.io`) and the plain `Upgrade: SPDY/3.1` with
// `X-Stream-Protocol-Version: portforward.k8s.io`. Each forwarded connection is a pair of
// client streams (`streamtype` error and data, same `requestid`, header `port`) relayed to a
// socket connected inside the pod's network namespace (pod_dialer.h). Routed from
// agent_server.cc; tests in tests/core/agent/server/port_forward_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/agent/server/container_target.h"
#include "core/agent/server/pod_dialer.h"
#include "core/apiserver/http_exchange.h"
#include "core/common/status.h"

namespace capstan::agent::server {

// Connects to `port` in the pod and returns the connected descriptor (the caller owns it).
// Blocking; called on a thread of its own. Errors become the text of the error stream.
using PodPortDial = std::function<Result<int>(uint16_t port)>;

struct PortForwardParams {
  std::string ns;
  std::string pod;
  PodPortDial dial;
};

// Checks the upgrade, answers it and runs the session on the connection's strand. Errors,
// for the caller to answer as HTTP (nothing was sent then): kBadRequest when the request is
// neither a SPDY/3.1 upgrade offering `portforward.k8s.io` nor a WebSocket offering
// `SPDY/3.1+portforward.k8s.io`.
Status StartPortForward(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        PortForwardParams params);

// The agent's `/portForward/{ns}/{pod}` handler: the pod must exist and be running; each
// connection is dialled inside its network namespace, found through `runtime`. Errors as
// StartPortForward's, plus kNotFound (`pods "p" not found`), kBadRequest (pod not running)
// and kUnimplemented (no runtime).
Status ServePortForward(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        const PodLookup& get_pod, const RuntimeCall& runtime, const std::string& ns,
                        const std::string& pod);

}  // namespace capstan::agent::server
