// Ingress proxy listeners, io threads and upstream pool (proxy_server.h, proxy_internal.h).
// Per-connection logic: proxy_session.cc.
#include "core/ingress/proxy_internal.h"
//
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/common/log.h"

namespace capstan::ingress {
namespace asio = boost::asio;
using asio::ip::tcp;

std::optional<tcp::socket> UpstreamPool::Take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  while (!it->second.empty()) {
    Idle idle = std::move(it->second.back());
    it->second.pop_back();
    if (now - idle.since < max_idle_) return std::move(idle.socket);
    boost::system::error_code ignored;
    idle.socket.close(ignored);
  }
  return std::nullopt;
}

void UpstreamPool::Put(const std::string& key, tcp::socket socket) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Idle>& list = idle_[key];
  if (list.size() >= max_per_endpoint_) return;  // `socket` closes on destruction
  list.push_back({std::move(socket), std::chrono::steady_clock::now()});
}

void UpstreamPool::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.clear();
}

namespace {

asio::awaitable<void> AcceptLoop(ProxyServer::Impl* impl, tcp::acceptor* acceptor, bool tls) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (impl->stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: keep accepting, as one bad accept must not end serving.
      log::Warn("ingress", "accept failed", {{"error", ec.message()}});
      continue;
    }
    StartSession(impl, std::move(socket), tls);
  }
}

Result<uint16_t> Listen(asio::io_context& io, const std::string& name, const std::string& address,
                        int port, std::optional<tcp::acceptor>* out) {
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(address, ec);
  if (ec) return InvalidError("ingress address \"" + address + "\" is not an IP address");
  tcp::endpoint endpoint(addr, static_cast<uint16_t>(port));
  std::string where = name + " listener " + address + ":" + std::to_string(port);
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  uint16_t bound = ec ? 0 : acceptor.local_endpoint(ec).port();
  if (ec) return UnavailableError(where + ": " + ec.message());
  out->emplace(std::move(acceptor));
  return bound;
}

}  // namespace

Result<std::unique_ptr<ProxyServer>> ProxyServer::Start(ProxyOptions options, TlsStore* tls) {
  if (options.http_port < -1 || options.http_port > 65535 || options.https_port < -1 ||
      options.https_port > 65535) {
    return InvalidError("ingress ports must be -1 (off) or in 0..65535");
  }
  if (options.http_port < 0 && options.https_port < 0) {
    return InvalidError("ingress: both listeners are disabled");
  }
  if (options.https_port >= 0 && tls == nullptr) {
    return InvalidError("ingress: the https listener needs a TlsStore");
  }
  if (options.io_threads < 1) options.io_threads = 1;
  std::unique_ptr<ProxyServer> server(new ProxyServer());
  server->impl_ = std::make_shared<Impl>(std::move(options), tls);
  Impl& impl = *server->impl_;
  if (impl.options.http_port >= 0) {
    Result<uint16_t> port =
        Listen(impl.io, "http", impl.options.address, impl.options.http_port, &impl.http_acceptor);
    if (!port.ok()) return port.status();
    server->http_port_ = *port;
  }
  if (impl.options.https_port >= 0) {
    Result<uint16_t> port = Listen(impl.io, "https", impl.options.address, impl.options.https_port,
                                   &impl.https_acceptor);
    if (!port.ok()) return port.status();
    server->https_port_ = *port;
  }
  auto on_done = [](const std::exception_ptr&) {};
  if (impl.http_acceptor) {
    asio::co_spawn(impl.io, AcceptLoop(server->impl_.get(), &*impl.http_acceptor, false), on_done);
  }
  if (impl.https_acceptor) {
    asio::co_spawn(impl.io, AcceptLoop(server->impl_.get(), &*impl.https_acceptor, true), on_done);
  }
  for (int i = 0; i < impl.options.io_threads; ++i) {
    server->threads_.emplace_back([impl_ptr = server->impl_] {
      // Handlers never throw (errors are redirected); this guards a bad_alloc from ending the
      // process through an io thread.
      for (;;) {
        try {
          impl_ptr->io.run();
          return;
        } catch (const std::exception& e) {
          log::Error("ingress", "io thread caught an exception", {{"error", e.what()}});
        }
      }
    });
  }
  return server;
}

ProxyServer::~ProxyServer() { Stop(); }

void ProxyServer::SetRoutes(std::shared_ptr<const RouteTable> routes) {
  std::lock_guard<std::mutex> lock(impl_->routes_mu);
  impl_->routes = std::move(routes);
}

std::shared_ptr<const RouteTable> ProxyServer::routes() const { return impl_->Routes(); }

ProxyStats ProxyServer::stats() const {
  ProxyStats s;
  s.requests = impl_->requests.load();
  s.upstream_dials = impl_->upstream_dials.load();
  s.not_found = impl_->not_found.load();
  s.unavailable = impl_->unavailable.load();
  s.bad_gateway = impl_->bad_gateway.load();
  return s;
}

void ProxyServer::Stop() {
  if (stopped_ || !impl_) return;
  stopped_ = true;
  impl_->stopping = true;
  // Sessions are suspended coroutines owned by the io_context: once the threads are gone they
  // are destroyed (sockets closed) with the context, when `impl_` goes.
  impl_->io.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  boost::system::error_code ignored;
  if (impl_->http_acceptor) impl_->http_acceptor->close(ignored);
  if (impl_->https_acceptor) impl_->https_acceptor->close(ignored);
  impl_->pool.Clear();
}

}  // namespace capstan::ingress
