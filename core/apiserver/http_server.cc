// `HttpServer` (http_server.h): listener, accept loop, io thread pool and graceful stop. Each
// accepted socket becomes an `HttpConnection` (http_connection.cc) on its own strand.
#include "core/apiserver/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <cstdlib>
#include <future>

#include "core/apiserver/http_connection.h"

namespace capstan::apiserver {

using boost::system::error_code;
namespace asio = boost::asio;

struct HttpServer::Listener {
  explicit Listener(asio::io_context& ioc)
      : strand(asio::make_strand(ioc)), acceptor(strand), retry(strand) {}
  asio::strand<asio::io_context::executor_type> strand;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer retry;  // backs off when accept fails (e.g. out of descriptors)
  // Keeps every io thread's run() alive until Stop().
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                      HttpHandler handler) {
  if (!handler) return InvalidError("http server: handler is empty");
  if (options.io_threads < 1 || options.io_threads > 256) {
    return InvalidError("http server: io_threads must be in [1, 256]");
  }
  error_code ec;
  asio::ip::address ip = asio::ip::make_address(options.address, ec);
  if (ec) return InvalidError("http server: bad listen address \"" + options.address + "\"");
  Result<std::shared_ptr<SSL_CTX>> tls = MakeServerTlsContext(options.tls);
  if (!tls.ok()) return tls.status().WithContext("http server TLS");

  std::unique_ptr<HttpServer> server(new HttpServer());
  int threads = options.io_threads;
  server->runtime_ = std::make_shared<HttpRuntime>(threads);
  server->runtime_->options = std::move(options);
  server->runtime_->handler = std::move(handler);
  server->runtime_->tls = std::move(*tls);
  server->listener_ = std::make_unique<Listener>(*server->runtime_->contexts.front());

  asio::ip::tcp::endpoint endpoint(ip, server->runtime_->options.port);
  auto& acceptor = server->listener_->acceptor;
  std::string where = "listen on " + server->runtime_->options.address + ":" +
                      std::to_string(server->runtime_->options.port);
  if (acceptor.open(endpoint.protocol(), ec); ec)
    return UnavailableError(where + ": " + ec.message());
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return UnavailableError(where + ": " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) return UnavailableError(where + ": " + ec.message());
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return UnavailableError(where + ": " + ec.message());
  }
  auto bound = acceptor.local_endpoint(ec);
  if (ec) return UnavailableError(where + ": " + ec.message());
  server->port_ = bound.port();
  server->address_ = bound.address().to_string();

  server->Accept();
  for (auto& context : server->runtime_->contexts) {
    server->listener_->work.push_back(asio::make_work_guard(*context));
  }
  for (int i = 0; i < threads; ++i) {
    server->threads_.emplace_back([runtime = server->runtime_, i] {
      // run() only throws if a handler throws; ours never do. Stop the process loudly rather
      // than serve with fewer threads if that invariant breaks.
      try {
        runtime->contexts[static_cast<size_t>(i)]->run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "http server: io thread died: %s\n", e.what());
        std::abort();
      }
    });
  }
  return server;
}

void HttpServer::Accept() {
  listener_->acceptor.async_accept(
      runtime_->NextContext(), [this](const error_code& ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted || runtime_->stopping.load()) return;
        if (ec) {
          // EMFILE and friends: back off briefly instead of spinning on a full process.
          listener_->retry.expires_after(std::chrono::milliseconds(50));
          listener_->retry.async_wait([this](const error_code& wait_ec) {
            if (!wait_ec && !runtime_->stopping.load()) Accept();
          });
          return;
        }
        std::make_shared<HttpConnection>(runtime_, std::move(socket))->Start();
        Accept();
      });
}

size_t HttpServer::open_connections() const { return runtime_->OpenCount(); }

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  for (const std::thread& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) {
      std::fprintf(stderr, "http server: Stop() called from its own io thread\n");
      std::abort();
    }
  }
  runtime_->stopping.store(true);
  auto close_listener = [this] {
    error_code ignored;
    listener_->acceptor.close(ignored);
    listener_->retry.cancel();
  };
  if (threads_.empty()) {
    close_listener();  // Start() failed before the io threads ran
  } else {
    std::promise<void> closed;
    asio::post(listener_->strand, [&] {
      close_listener();
      closed.set_value();
    });
    closed.get_future().wait();
  }

  auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& connection : runtime_->Snapshot()) connection->PostBeginShutdown();
  if (!runtime_->WaitAllClosed(deadline)) {
    for (auto& connection : runtime_->Snapshot()) connection->PostForceClose();
    (void)runtime_->WaitAllClosed(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  }
  runtime_->stopped.store(true);
  listener_->work.clear();
  for (auto& context : runtime_->contexts) context->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Run what was queued before the stop (completions of closed sockets, posts from
  // exchanges) so those handlers release their connections instead of pinning them.
  for (auto& context : runtime_->contexts) {
    context->restart();
    context->poll();
  }
}

HttpServer::~HttpServer() {
  Stop(std::chrono::milliseconds(0));
  listener_.reset();
}

}  // namespace capstan::apiserver
