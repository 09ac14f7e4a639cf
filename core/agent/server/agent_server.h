// `AgentServer`: the node agent's HTTPS API, as the kubelet's — container logs
// (`/containerLogs/{ns}/{pod}/{container}`, log_stream.h), exec and attach over WebSocket
// (`/exec/...`, `/attach/...`, exec_session.h), `/metrics/resource` (text from
// core/agent/resource_metrics.h) and `/healthz` — for the apiserver's pods/log|exec|attach
// proxy (ARCH4 "Node streaming contract") and metrics scraper. Only verified client
// certificates with O=system:masters get in. Started by core/agent/start_agent.cc; tests in
// tests/core/agent/server/agent_server_test.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/agent/server/container_target.h"
#include "core/agent/server/exec_session.h"
#include "core/agent/server/pod_dialer.h"
#include "core/apiserver/http_server.h"
#include "core/common/status.h"
#include "core/pki/certificate.h"

namespace capstan::agent::server {

struct AgentServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 10250;  // 0: ephemeral
  int io_threads = 2;
  // Serving certificate and key; `client_ca_pem` is the CA client certificates must chain to
  // (empty: every request gets 401, as no certificate can be verified).
  apiserver::HttpTlsConfig tls;
  // <data_dir>/pods: logs are at <pods_dir>/<pod uid>/logs/<container>/<attempt>.log.
  std::string pods_dir;
  PodLookup get_pod;
  ExecFunction exec;  // null: exec answers 501
  // The runtime's attach to a container's stdin (ExecSessionParams::attach_stdin); null:
  // attach with stdin answers 400.
  ExecFunction attach_stdin;
  // Port-forward finds a pod's network namespace through the runtime (null: 501).
  RuntimeCall runtime_call;
  // The body of `GET /metrics/resource` (Prometheus text, core/agent/resource_metrics.h);
  // null: 404.
  std::function<Result<std::string>()> resource_metrics;
  // How often a followed log is checked for new data and for its container's end.
  std::chrono::milliseconds follow_poll{200};
  // Pause between the WebSocket 101 and the first data frame (kubectl drops frames that beat
  // its stream registration; see the kubectl contract §9.2).
  std::chrono::milliseconds first_frame_delay{20};
};

// Thread-safety: `port()` from any thread; `Stop()` once from the owning thread (it cancels
// exec commands, ends log streams and waits for its threads).
class AgentServer {
 public:
  // Errors: kInvalid without `get_pod`; HttpServer::Start's (bind, TLS material).
  static Result<std::unique_ptr<AgentServer>> Start(AgentServerOptions options);
  ~AgentServer();
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  uint16_t port() const;
  void Stop();

  struct State;  // shared with the request handlers (agent_server.cc)

 private:
  AgentServer() = default;
  std::shared_ptr<State> state_;
  std::unique_ptr<apiserver::HttpServer> http_;
};

// Loads <data_dir>/pki/agent.{crt,key}, or creates them: a self-signed serving certificate
// (its own throwaway CA, as the kubelet's) for `node_name`, localhost, 127.0.0.1 and `ips`.
// The crt file holds the leaf then its CA. Errors: kInternal for I/O, pki's for bad files.
Result<pki::CertKeyPair> EnsureServingCert(const std::string& data_dir,
                                           const std::string& node_name,
                                           const std::vector<std::string>& ips);

// The `kubelet-client` check: OK for a verified certificate with O=system:masters;
// kUnauthenticated without a verified certificate; kForbidden otherwise.
Status AuthorizeClient(const apiserver::HttpRequest& request);

}  // namespace capstan::agent::server
