// `LogStream`: pumps one container log (container_logs.h's LogReader) into a chunked HTTP
// response, and, when following, keeps polling the file on a timer of the agent server's pump
// io_context until the container has ended and the file stopped growing, the client left, or
// limitBytes was reached. No thread per stream; nothing blocks an io thread. Used by
// agent_server.cc; tests through tests/core/agent/server/agent_server_test.cc.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "core/agent/server/container_logs.h"
#include "core/apiserver/http_exchange.h"

namespace capstan::agent::server {

// Thread-safety: all work, including every call on the exchange, runs on `ioc` (one thread);
// Start may be called from any thread.
class LogStream : public std::enable_shared_from_this<LogStream> {
 public:
  // `container_done` answers whether the container writing the file has ended (then the
  // stream ends once no new data arrives); it runs on `ioc` and must not block.
  // `follow` false reads what exists and ends.
  LogStream(boost::asio::io_context& ioc, std::shared_ptr<apiserver::HttpExchange> exchange,
            std::unique_ptr<LogReader> reader, bool follow, std::function<bool()> container_done,
            std::chrono::milliseconds poll);

  // Sends the 200 head and starts pumping. The stream keeps itself alive until it ends.
  void Start();

 private:
  void Tick();
  void Schedule(std::chrono::milliseconds delay);
  void End();

  boost::asio::io_context& ioc_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<apiserver::HttpExchange> exchange_;
  std::unique_ptr<LogReader> reader_;
  bool follow_;
  std::function<bool()> container_done_;
  std::chrono::milliseconds poll_;
  bool ended_ = false;
};

}  // namespace capstan::agent::server
