// Test double for the service proxy's tests (tests/core/proxy/*service_proxy_test.cc): an
// in-memory `ApiClient` that answers LISTs of Services and EndpointSlices from fixed items and
// lets the test emit watch events to the informers; and `WaitForStats`.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "core/client/api_client.h"
#include "core/proxy/service_proxy.h"

namespace capstan::proxy::fakes {

// Serves LISTs of Services and EndpointSlices from fixed items and lets the test emit watch
// events. Thread-safe (one mutex).
class ScriptedApiClient : public client::ApiClient {
 public:
  class Handle : public client::WatchHandle {
   public:
    void Stop() override { done_ = true; }
    bool Done() const override { return done_; }

   private:
    std::atomic<bool> done_{false};
  };

  Result<client::ApiResponse> Request(std::string_view method, std::string_view path,
                                      std::string_view, std::string,
                                      std::chrono::milliseconds) override {
    if (method != "GET") return Status(StatusCode::kUnimplemented, "scripted client");
    bool slices = path.find("endpointslices") != std::string_view::npos;
    std::lock_guard<std::mutex> lock(mu_);
    nlohmann::json list = {{"kind", slices ? "EndpointSliceList" : "ServiceList"},
                           {"apiVersion", slices ? "discovery.k8s.io/v1" : "v1"},
                           {"metadata", {{"resourceVersion", "1"}}},
                           {"items", slices ? slices_ : services_}};
    return client::ApiResponse{200, list.dump(), "application/json"};
  }

  std::unique_ptr<client::WatchHandle> Watch(std::string path, client::WatchEventCallback on_event,
                                             client::WatchEndCallback) override {
    std::lock_guard<std::mutex> lock(mu_);
    (path.find("endpointslices") != std::string::npos ? slice_watch_ : service_watch_) =
        std::move(on_event);
    return std::make_unique<Handle>();
  }

  const client::ClientConfig& config() const override { return config_; }
  int OpenConnections() const override { return 0; }
  int64_t ConnectionsOpened() const override { return 0; }

  void AddInitial(bool slice, nlohmann::json object) {
    std::lock_guard<std::mutex> lock(mu_);
    (slice ? slices_ : services_).push_back(std::move(object));
  }
  // Emits a watch event once the informer watches; false when it never did.
  bool Emit(bool slice, client::WatchEventType type, nlohmann::json object) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      client::WatchEventCallback cb;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cb = slice ? slice_watch_ : service_watch_;
      }
      if (cb) {
        cb(type, std::make_shared<const nlohmann::json>(std::move(object)));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  std::mutex mu_;
  nlohmann::json services_ = nlohmann::json::array(), slices_ = nlohmann::json::array();
  client::WatchEventCallback service_watch_, slice_watch_;
  client::ClientConfig config_;
};

// The data plane shows a change (a table, a listener) a moment before the proxy counts the
// sync that made it: waits up to 10 s until `done(proxy.Stats())` holds, then returns the
// stats for the test to check.
template <typename Done>
ProxyStats WaitForStats(const ServiceProxy& proxy, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done(proxy.Stats()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return proxy.Stats();
}

}  // namespace capstan::proxy::fakes
