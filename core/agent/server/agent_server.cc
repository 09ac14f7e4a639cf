// AgentServer (agent_server.h): start/stop, the client-certificate check, routing, pod and
// container resolution and the containerLogs handler. Exec/attach sessions: exec_session.cc.
#include "core/agent/server/agent_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <thread>
#include <utility>

#include "core/agent/server/exec_session.h"
#include "core/agent/server/log_stream.h"
#include "core/agent/server/port_forward.h"
#include "core/agent/server/spdy_exec.h"
#include "core/agent/server/spdy_transport.h"
#include "core/apiserver/http_response.h"
#include "core/common/log.h"
#include "core/pki/files.h"

namespace capstan::agent::server {

struct AgentServer::State {
  AgentServerOptions options;
  boost::asio::io_context pump;  // log follow timers
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
      pump.get_executor()};
  std::thread pump_thread;
  std::shared_ptr<ExecRegistry> execs = std::make_shared<ExecRegistry>();
};

namespace {

using apiserver::HttpExchange;
using apiserver::HttpRequest;
using nlohmann::json;
using State = AgentServer::State;
constexpr char kLog[] = "agent-server";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RespondStatus(HttpExchange& ex, const Status& s) {
  int code = HttpStatus(s.code());
  ex.Respond(code, {{"Content-Type", "application/json"}},
             apiserver::ErrorStatusJson(code, StatusCodeReason(s.code()), s.message()));
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

void ServeLogs(const std::shared_ptr<State>& st, const std::shared_ptr<HttpExchange>& ex,
               const ContainerTarget& target) {
  Result<LogOptions> options = ParseLogOptions(ex->request().query, NowNs());
  if (!options.ok()) return RespondStatus(*ex, options.status());
  std::vector<int> attempts = LogAttempts(target.log_dir);
  int attempt = -1;
  if (options->previous) {
    if (attempts.size() >= 2) attempt = attempts[attempts.size() - 2];
    if (attempt < 0) {
      return RespondStatus(*ex,
                           BadRequestError("previous terminated container \"" + target.container +
                                           "\" in pod \"" + target.pod + "\" not found"));
    }
  } else if (!attempts.empty()) {
    attempt = attempts.back();
  } else {
    std::string reason = "ContainerCreating";
    if (target.status.is_object()) {
      reason = target.status.value("state", json::object())
                   .value("waiting", json::object())
                   .value("reason", reason);
    }
    return RespondStatus(*ex, BadRequestError("container \"" + target.container + "\" in pod \"" +
                                              target.pod + "\" is waiting to start: " + reason));
  }
  Result<std::unique_ptr<LogReader>> reader =
      LogReader::Open(target.log_dir + "/" + std::to_string(attempt) + ".log", *options);
  if (!reader.ok()) return RespondStatus(*ex, reader.status());
  bool follow = options->follow && !options->previous;
  auto done = [get_pod = st->options.get_pod, target, attempt] {
    return ContainerRunEnded(get_pod, target, attempt);
  };
  std::make_shared<LogStream>(st->pump, ex, std::move(*reader), follow, std::move(done),
                              st->options.follow_poll)
      ->Start();
}

void Handle(const std::shared_ptr<State>& st, const std::shared_ptr<HttpExchange>& ex) {
  const HttpRequest& r = ex->request();
  if (r.path == "/healthz") {
    ex->Respond(200, {{"Content-Type", "text/plain"}}, "ok");
    return;
  }
  if (Status auth = AuthorizeClient(r); !auth.ok()) return RespondStatus(*ex, auth);
  if (r.path == "/metrics/resource" && st->options.resource_metrics) {
    Result<std::string> text = st->options.resource_metrics();  // core/agent/resource_metrics.h
    if (!text.ok()) return RespondStatus(*ex, text.status());
    ex->Respond(200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                std::move(*text));
    return;
  }
  std::vector<std::string> parts = SplitPath(r.path);
  if (parts.size() == 3 && parts[0] == "portForward") {
    Status s =
        ServePortForward(ex, st->options.get_pod, st->options.runtime_call, parts[1], parts[2]);
    if (!s.ok()) RespondStatus(*ex, s);
    return;
  }
  const std::string kind = parts.size() == 4 ? parts[0] : std::string();
  bool logs = kind == "containerLogs", exec = kind == "exec", attach = kind == "attach";
  if (!(logs || exec || attach)) {
    return RespondStatus(*ex, NotFoundError("the server could not find the requested resource"));
  }
  if (logs && r.method != "GET" && r.method != "HEAD") {
    return RespondStatus(*ex, Status(StatusCode::kMethodNotAllowed, "method not allowed"));
  }
  Result<ContainerTarget> target =
      ResolveContainer(st->options.get_pod, st->options.pods_dir, parts[1], parts[2], parts[3]);
  if (!target.ok()) return RespondStatus(*ex, target.status());
  if (logs) return ServeLogs(st, ex, *target);
  ExecSessionParams params;
  params.target = std::move(*target);
  params.attach = attach;
  params.exec = st->options.exec;
  params.attach_stdin = st->options.attach_stdin;
  params.get_pod = st->options.get_pod;
  params.registry = st->execs;
  params.first_frame_delay = st->options.first_frame_delay;
  params.poll = st->options.follow_poll;
  Status s = IsSpdyUpgrade(r) ? StartSpdyExecSession(ex, std::move(params))
                              : StartExecSession(ex, std::move(params));
  if (!s.ok()) RespondStatus(*ex, s);
}

}  // namespace

Status AuthorizeClient(const HttpRequest& request) {
  if (!request.client_cert_verified || request.client_cert_chain_pem.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  "Unauthorized: a client certificate issued by the cluster CA is required");
  }
  Result<pki::X509Identity> id = pki::IdentityFromCertPem(request.client_cert_chain_pem);
  if (!id.ok())
    return Status(StatusCode::kUnauthenticated, "Unauthorized: " + id.status().message());
  for (const std::string& g : id->groups) {
    if (g == "system:masters") return Status::Ok();
  }
  return ForbiddenError("user \"" + id->user +
                        "\" is not allowed to use the node agent API (needs system:masters)");
}

Result<std::unique_ptr<AgentServer>> AgentServer::Start(AgentServerOptions options) {
  if (!options.get_pod) return InvalidError("agent server: a pod lookup is required");
  auto server = std::unique_ptr<AgentServer>(new AgentServer());
  server->state_ = std::make_shared<State>();
  server->state_->options = std::move(options);
  const AgentServerOptions& o = server->state_->options;
  apiserver::HttpServerOptions ho;
  ho.address = o.address;
  ho.port = o.port;
  ho.io_threads = o.io_threads;
  ho.tls = o.tls;
  // Followed logs stay quiet for long stretches.
  ho.write_timeout = std::chrono::minutes(5);
  std::weak_ptr<State> weak = server->state_;
  Result<std::unique_ptr<apiserver::HttpServer>> http =
      apiserver::HttpServer::Start(ho, [weak](const std::shared_ptr<HttpExchange>& ex) {
        std::shared_ptr<State> st = weak.lock();
        if (st == nullptr) return RespondStatus(*ex, UnavailableError("the agent is stopping"));
        Handle(st, ex);
      });
  if (!http.ok()) return http.status().WithContext("agent server");
  server->http_ = std::move(*http);
  server->state_->pump_thread = std::thread([st = server->state_.get()] { st->pump.run(); });
  log::Info(kLog, "agent API serving",
            {{"address", server->http_->address()}, {"port", std::to_string(server->port())}});
  return server;
}

AgentServer::~AgentServer() { Stop(); }

uint16_t AgentServer::port() const { return http_ != nullptr ? http_->port() : 0; }

void AgentServer::Stop() {
  if (state_ == nullptr) return;
  // Exec commands first: their sessions live on sockets the HTTP server no longer tracks.
  state_->execs->CancelAllAndWait(std::chrono::seconds(5));
  if (http_ != nullptr) http_->Stop(std::chrono::seconds(1));
  state_->work.reset();
  state_->pump.stop();
  if (state_->pump_thread.joinable()) state_->pump_thread.join();
  http_.reset();
  state_.reset();
}

Result<pki::CertKeyPair> EnsureServingCert(const std::string& data_dir,
                                           const std::string& node_name,
                                           const std::vector<std::string>& ips) {
  std::string dir = data_dir + "/pki";
  std::string crt = dir + "/agent.crt", key = dir + "/agent.key";
  Result<bool> have_crt = pki::FileExists(crt);
  Result<bool> have_key = pki::FileExists(key);
  if (have_crt.ok() && have_key.ok() && *have_crt && *have_key) {
    pki::CertKeyPair pair;
    Result<std::string> c = pki::ReadFile(crt);
    if (!c.ok()) return c.status();
    Result<std::string> k = pki::ReadFile(key);
    if (!k.ok()) return k.status();
    pair.cert_pem = std::move(*c);
    pair.key_pem = std::move(*k);
    return pair;
  }
  std::string name = node_name.empty() ? "capstan-agent" : node_name;
  Result<pki::CertKeyPair> ca = pki::CreateCa(
      name + "-ca@" +
          std::to_string(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())),
      std::chrono::hours(24 * 365 * 10));
  if (!ca.ok()) return ca.status();
  pki::CertSpec spec;
  spec.common_name = name;
  spec.dns_names = {name, "localhost"};
  spec.ip_addresses = {"127.0.0.1", "::1"};
  for (const std::string& ip : ips) {
    if (ip != "127.0.0.1" && ip != "::1" && !ip.empty() && ip != "0.0.0.0" && ip != "::") {
      spec.ip_addresses.push_back(ip);
    }
  }
  spec.validity = std::chrono::hours(24 * 365);
  Result<pki::CertKeyPair> leaf = pki::IssueCert(*ca, spec);
  if (!leaf.ok()) return leaf.status();
  leaf->cert_pem += ca->cert_pem;
  CAPSTAN_RETURN_IF_ERROR(pki::MakeDirs(dir, 0700));
  CAPSTAN_RETURN_IF_ERROR(pki::WriteFileAtomically(key, leaf->key_pem, 0600));
  CAPSTAN_RETURN_IF_ERROR(pki::WriteFileAtomically(crt, leaf->cert_pem, 0644));
  return leaf;
}

}  // namespace capstan::agent::server
