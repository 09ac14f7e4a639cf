// Test helpers for the registry integration test: a real Debian `docker-registry` process on
// 127.0.0.1 (optionally with htpasswd Basic auth), a busybox OCI image built with umoci and
// pushed with skopeo, and a tiny in-process HTTP server for bad peers, bearer-token and
// redirect scenarios. Implementation in test_registry.cc.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/common/status.h"

namespace capstan::image::testing {

// Runs `command` through /bin/sh; returns its stdout, or kInternal with its output on failure.
Result<std::string> Shell(const std::string& command);

// A free TCP port on 127.0.0.1 (bound then released).
int FreePort();

class RegistryProcess {
 public:
  // Starts docker-registry storing under `dir`, listening on a free port; with `htpasswd_line`
  // ("user:bcrypt") it requires Basic auth. Waits (deadline 15 s) until /v2/ answers.
  // With `tls_cert`/`tls_key` (PEM files) it serves HTTPS.
  static Result<std::unique_ptr<RegistryProcess>> Start(const std::string& dir,
                                                        const std::string& htpasswd_line = "",
                                                        const std::string& tls_cert = "",
                                                        const std::string& tls_key = "");
  ~RegistryProcess();
  int port() const { return port_; }
  std::string HostPort() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// Builds an OCI layout at `oci_dir` holding tag `tag`: layer 1 = /bin/busybox (from
// busybox-static) with sh/ls/echo symlinks, /etc/keep and /etc/removeme; layer 2 deletes
// /etc/removeme (a whiteout). Uses umoci.
Status BuildBusyboxImage(const std::string& oci_dir, const std::string& tag);

// skopeo copy oci:<oci_dir>:<tag> docker://<host_port>/<repo>:<dest_tag> over plain HTTP.
Status PushImage(const std::string& oci_dir, const std::string& tag, const std::string& host_port,
                 const std::string& repo, const std::string& dest_tag,
                 const std::string& creds = "", const std::string& extra_args = "");

struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
};
struct FakeResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
};

// An HTTP/1.1 server on 127.0.0.1:<ephemeral> answering each request with `handler` (called on
// the server thread, one request per connection).
class FakeHttpServer {
 public:
  explicit FakeHttpServer(std::function<FakeResponse(const FakeRequest&)> handler);
  ~FakeHttpServer();
  int port() const { return port_; }
  std::string HostPort() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace capstan::image::testing
