// `MetricsScraper`: the built-in metrics-server of the API server. Every `resolution` it GETs
// `/metrics/resource` from each target node's agent through NodeProxy::Fetch (kubelet-client
// certificate, node_proxy.h), keeps the two latest scrapes per node and answers usage queries
// with metrics-server's arithmetic (metrics_text.h). Served by metrics_api.h. Tests:
// tests/core/apiserver/metrics_scraper_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/apiserver/metrics_text.h"
#include "core/apiserver/node_proxy.h"

namespace capstan::apiserver {

// A node to scrape: its name and its agent's "host:port" (AgentEndpoint).
struct ScrapeTarget {
  std::string node;
  std::string endpoint;
};

struct MetricsScraperOptions {
  std::chrono::milliseconds resolution{15'000};
  // The nodes to scrape this round (the Ready ones with an agent endpoint). Called on the
  // scraper's thread. Required.
  std::function<std::vector<ScrapeTarget>()> list_targets;
  NodeProxy* proxy = nullptr;  // borrowed; must outlive the scraper. Required.
  // Per-agent limit for one scrape, from connect to end of body.
  std::chrono::milliseconds timeout{10'000};
  size_t max_body_bytes = 16u << 20;
  // Timestamp for samples the agent sent without one.
  std::function<int64_t()> now_ms;
};

// Thread-safety: queries and ScrapeNow may be called from any thread; one mutex guards the
// per-node scrapes. Fetch callbacks run on the proxy's io thread and only take that mutex.
class MetricsScraper {
 public:
  // Starts the periodic scrape thread (the first round runs at once). Errors: kInvalid
  // without `list_targets` or `proxy`, or with a resolution below 1 ms.
  static Result<std::unique_ptr<MetricsScraper>> Start(MetricsScraperOptions options);
  ~MetricsScraper();  // Stop()
  MetricsScraper(const MetricsScraper&) = delete;
  MetricsScraper& operator=(const MetricsScraper&) = delete;

  // Stops the thread; answers from fetches still in flight are dropped. Idempotent.
  void Stop();

  // Runs one round now and waits (up to `wait`) until every fetch it started has ended.
  // Returns how many nodes answered with parseable metrics. For tests and first-scrape speed.
  int ScrapeNow(std::chrono::milliseconds wait);

  // The node's usage between its two latest scrapes; nullopt before two exist.
  std::optional<Usage> NodeUsage(const std::string& node) const;

  struct ContainerUsage {
    std::string name;
    Usage usage;
  };
  // The pod's containers with usage between the two latest scrapes of the node that reported
  // it (containers seen only once are left out); empty when there are none.
  std::vector<ContainerUsage> PodUsage(const std::string& ns, const std::string& pod) const;

  struct State;  // shared with the fetch callbacks (metrics_scraper.cc)

 private:
  MetricsScraper() = default;
  void Loop();

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace capstan::apiserver
