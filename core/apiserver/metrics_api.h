// `MetricsApi`: the `metrics.k8s.io/v1beta1` group served by the API server itself (what
// metrics-server serves through aggregation upstream): `nodes` (NodeMetrics, cluster-scoped)
// and `pods` (PodMetrics, namespaced), verbs get and list with labelSelector and fieldSelector,
// in legacy and aggregated discovery through the resource registry. Usage comes from the
// built-in scraper (metrics_scraper.h) of every Ready node's agent. Hooked into api_server.cc;
// consumers: `kubectl top`, the HPA controller. Tests: tests/core/apiserver/metrics_api_test.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/api/resource.h"
#include "core/apiserver/metrics_scraper.h"
#include "core/apiserver/node_proxy.h"

namespace capstan::apiserver {

class ApiServer;
struct RequestContext;

inline constexpr char kMetricsGroup[] = "metrics.k8s.io";
inline constexpr char kMetricsVersion[] = "v1beta1";

// The two resources, as registered for discovery.
api::ResourceInfo NodeMetricsResource();
api::ResourceInfo PodMetricsResource();

// Thread-safety: Serve may run on any number of request threads at once; Start and Stop from
// the owning thread.
class MetricsApi {
 public:
  // `server`, `registry` and `proxy` are borrowed and must outlive this object.
  MetricsApi(ApiServer* server, api::Registry* registry, NodeProxy* proxy,
             std::chrono::milliseconds resolution);
  ~MetricsApi();  // Stop()
  MetricsApi(const MetricsApi&) = delete;
  MetricsApi& operator=(const MetricsApi&) = delete;

  // Registers the resources and, when the resolution is positive, starts scraping.
  // Errors: the registry's (kAlreadyExists when another owner serves them).
  Status Start();
  // Stops scraping (before the node proxy goes). Idempotent.
  void Stop();

  // Whether a request for `resource` belongs here.
  static bool Serves(const api::ResourceInfo& resource) { return resource.group == kMetricsGroup; }
  // Answers a get or list; other verbs get 405. Replies through ctx.exchange.
  void Serve(RequestContext& ctx) const;

  // The scraper, for tests (null when not scraping).
  MetricsScraper* scraper() const { return scraper_.get(); }

 private:
  std::vector<ScrapeTarget> ReadyNodes() const;
  void ServeNodes(RequestContext& ctx) const;
  void ServePods(RequestContext& ctx) const;

  ApiServer* server_;
  api::Registry* registry_;
  NodeProxy* proxy_;
  std::chrono::milliseconds resolution_;
  std::unique_ptr<MetricsScraper> scraper_;
};

}  // namespace capstan::apiserver
