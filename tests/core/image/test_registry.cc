// Registry process, image build and fake server helpers (test_registry.h).
#include "tests/core/image/test_registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "core/image/http_client.h"

namespace capstan::image::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<std::string> Shell(const std::string& command) {
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return InternalError("popen failed");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0)
    return InternalError("`" + command + "` failed (" + std::to_string(rc) + "): " + out);
  return out;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

Result<std::unique_ptr<RegistryProcess>> RegistryProcess::Start(const std::string& dir,
                                                                const std::string& htpasswd,
                                                                const std::string& tls_cert,
                                                                const std::string& tls_key) {
  auto proc = std::unique_ptr<RegistryProcess>(new RegistryProcess());
  proc->port_ = FreePort();
  std::string config = dir + "/config.yml";
  {
    std::ofstream out(config);
    out << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " << dir
        << "/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" << proc->port_
        << "\n";
    if (!tls_cert.empty()) {
      out << "  tls:\n    certificate: " << tls_cert << "\n    key: " << tls_key << "\n";
    }
    if (!htpasswd.empty()) {
      std::ofstream(dir + "/htpasswd") << htpasswd << "\n";
      out << "auth:\n  htpasswd:\n    realm: capstan-test\n    path: " << dir << "/htpasswd\n";
    }
  }
  std::string log = dir + "/registry.log";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execlp("docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
    _exit(127);
  }
  proc->pid_ = pid;
  auto url = ParseUrl((tls_cert.empty() ? "http://" : "https://") + proc->HostPort() + "/v2/");
  HttpRequest req;
  req.url = *url;
  HttpOptions opts;
  opts.idle_timeout = std::chrono::milliseconds(1000);
  opts.tls.insecure_skip_verify = true;  // only probing readiness
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = HttpDo(req, opts);
    if (r.ok() && (r->status == 200 || r->status == 401)) return proc;
    last = r.ok() ? "HTTP " + std::to_string(r->status) : r.status().ToString();
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      proc->pid_ = -1;
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      return InternalError("docker-registry exited: " + text);
    }
    usleep(20000);  // poll interval while waiting for the port to open
  }
  return TimeoutError("docker-registry did not answer on " + proc->HostPort() + ": " + last);
}

RegistryProcess::~RegistryProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
}

Status BuildBusyboxImage(const std::string& oci, const std::string& tag) {
  std::string b1 = oci + ".b1", b2 = oci + ".b2", img = oci + ":" + tag;
  std::string script =
      "set -e; umoci init --layout " + oci + "; umoci new --image " + img +
      "; umoci unpack --image " + img + " " + b1 + " >/dev/null; mkdir -p " + b1 + "/rootfs/bin " +
      b1 + "/rootfs/etc; cp /bin/busybox " + b1 + "/rootfs/bin/busybox; for l in sh ls echo cat; " +
      "do ln -s busybox " + b1 + "/rootfs/bin/$l; done; echo keep > " + b1 +
      "/rootfs/etc/keep; echo gone > " + b1 + "/rootfs/etc/removeme; umoci repack --image " + img +
      " " + b1 + "; umoci unpack --image " + img + " " + b2 + " >/dev/null; rm " + b2 +
      "/rootfs/etc/removeme; umoci repack --image " + img + " " + b2 + "; umoci config --image " +
      img + " --config.cmd /bin/sh --config.env PATH=/bin; rm -rf " + b1 + " " + b2;
  auto r = Shell(script);
  return r.ok() ? Status::Ok() : r.status();
}

Status PushImage(const std::string& oci, const std::string& tag, const std::string& host_port,
                 const std::string& repo, const std::string& dest_tag, const std::string& creds,
                 const std::string& extra_args) {
  std::string cmd = "skopeo copy -q --dest-tls-verify=false " + extra_args + " " +
                    (creds.empty() ? "" : "--dest-creds " + creds + " ") + "oci:" + oci + ":" +
                    tag + " docker://" + host_port + "/" + repo + ":" + dest_tag;
  auto r = Shell(cmd);
  return r.ok() ? Status::Ok() : r.status();
}

struct FakeHttpServer::Impl {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor{ioc};
  std::function<FakeResponse(const FakeRequest&)> handler;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, asio::ip::tcp::socket sock) {
      if (ec) return;
      Serve(std::move(sock));
      Accept();
    });
  }
  void Serve(asio::ip::tcp::socket sock) {
    beast::error_code ec;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(sock, buf, req, ec);
    if (ec) return;
    FakeRequest fr;
    fr.method = std::string(req.method_string());
    fr.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      fr.headers[name] = std::string(f.value());
    }
    FakeResponse r = handler(fr);
    http::response<http::string_body> resp{static_cast<http::status>(r.status), 11};
    for (const auto& [k, v] : r.headers) resp.set(k, v);
    resp.body() = r.body;
    resp.keep_alive(false);
    resp.prepare_payload();
    http::write(sock, resp, ec);
    sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  }
};

FakeHttpServer::FakeHttpServer(std::function<FakeResponse(const FakeRequest&)> handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

FakeHttpServer::~FakeHttpServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

}  // namespace capstan::image::testing
