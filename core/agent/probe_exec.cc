// Probe and hook actions (probe_exec.h).
#include "core/agent/probe_exec.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/image/digest.h"
#include "core/image/http_client.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

// A numeric port, or a named one looked up in the container's ports; 0 when unknown.
int ResolvePort(const json& port, const json& container) {
  if (port.is_number_integer()) return port.get<int>();
  if (!port.is_string()) return 0;
  std::string name = port.get<std::string>();
  for (const json& p : container.value("ports", json::array())) {
    if (p.value("name", "") == name) return p.value("containerPort", 0);
  }
  char* end = nullptr;
  long v = std::strtol(name.c_str(), &end, 10);
  return end != nullptr && *end == 0 ? static_cast<int>(v) : 0;
}

ProbeOutcome Exec(const RuntimeClient& runtime, const json& exec, const std::string& id,
                  std::chrono::milliseconds timeout) {
  json req = {{"containerId", id},
              {"cmd", exec.value("command", json::array())},
              {"timeout", std::max<int64_t>(1, timeout.count() / 1000)}};
  Result<json> r = runtime.Call("ExecSync", req);
  if (!r.ok()) return {false, r.status().message()};
  std::string output;
  for (const char* stream : {"stdout", "stderr"}) {
    Result<std::string> text = image::Base64Decode(r->value(stream, ""));
    if (text.ok()) output += *text;
  }
  int code = r->value("exitCode", 0);
  if (code == 0) return {true, ""};
  if (output.empty()) output = "command exited with " + std::to_string(code);
  return {false, output};
}

ProbeOutcome HttpGet(const json& get, const std::string& pod_ip, const json& container,
                     std::chrono::milliseconds timeout) {
  std::string host = get.value("host", "");
  if (host.empty()) host = pod_ip;
  int port = ResolvePort(get.value("port", json()), container);
  std::string scheme = get.value("scheme", "HTTP") == "HTTPS" ? "https" : "http";
  std::string path = get.value("path", "/");
  if (path.empty() || path[0] != '/') path = "/" + path;
  std::string url = scheme + "://" + host + ":" + std::to_string(port) + path;
  Result<image::Url> parsed = image::ParseUrl(url);
  if (!parsed.ok()) return {false, parsed.status().message()};
  image::HttpRequest req;
  req.url = *parsed;
  bool has_agent = false;
  for (const json& h : get.value("httpHeaders", json::array())) {
    std::string name = h.value("name", "");
    has_agent = has_agent || strcasecmp(name.c_str(), "User-Agent") == 0;
    req.headers.emplace_back(name, h.value("value", ""));
  }
  if (!has_agent) req.headers.emplace_back("User-Agent", "kube-probe/1.32");
  image::HttpOptions opts;
  opts.idle_timeout = timeout;
  opts.tls.insecure_skip_verify = true;  // as upstream: probes do not verify certificates
  opts.max_memory_body = 10 * 1024;
  Result<image::HttpResponse> resp = image::HttpDo(req, opts);
  if (!resp.ok()) return {false, "Get \"" + url + "\": " + resp.status().message()};
  if (resp->status >= 200 && resp->status < 400) return {true, ""};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(resp->status)};
}

ProbeOutcome TcpSocket(const json& tcp, const std::string& pod_ip, const json& container,
                       std::chrono::milliseconds timeout) {
  std::string host = tcp.value("host", "");
  if (host.empty()) host = pod_ip;
  int port = ResolvePort(tcp.value("port", json()), container);
  std::string target = host + ":" + std::to_string(port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return {false, "dial tcp " + target + ": not an IPv4 address"};
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, std::string("socket: ") + std::strerror(errno)};
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int n = poll(&p, 1, static_cast<int>(timeout.count()));
    if (n <= 0) {
      close(fd);
      return {false, "dial tcp " + target + ": i/o timeout"};
    }
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  close(fd);
  if (err != 0) return {false, "dial tcp " + target + ": connect: " + std::strerror(err)};
  return {true, ""};
}

}  // namespace

ProbeOutcome RunProbeAction(const RuntimeClient& runtime, const json& handler,
                            const std::string& pod_ip, const json& container,
                            const std::string& container_id, std::chrono::milliseconds timeout) {
  if (handler.contains("exec")) return Exec(runtime, handler["exec"], container_id, timeout);
  if (handler.contains("httpGet")) return HttpGet(handler["httpGet"], pod_ip, container, timeout);
  if (handler.contains("tcpSocket")) {
    return TcpSocket(handler["tcpSocket"], pod_ip, container, timeout);
  }
  return {true, ""};
}

}  // namespace capstan::agent
