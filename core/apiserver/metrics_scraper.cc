// MetricsScraper (metrics_scraper.h): scrape rounds, the two latest scrapes per node, queries.
#include "core/apiserver/metrics_scraper.h"

#include <set>

#include "core/common/log.h"

namespace capstan::apiserver {
namespace {

constexpr char kLog[] = "metrics-scraper";
constexpr char kResourceMetricsPath[] = "/metrics/resource";

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counts the fetches of one round so ScrapeNow can wait for them.
struct RoundCounter {
  std::mutex mu;
  std::condition_variable cv;
  size_t remaining = 0;
  int ok = 0;

  void Done(bool success) {
    std::lock_guard lock(mu);
    --remaining;
    if (success) ++ok;
    cv.notify_all();
  }
  int Wait(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, wait, [this] { return remaining == 0; });
    return ok;
  }
};

}  // namespace

struct MetricsScraper::State {
  MetricsScraperOptions options;
  mutable std::mutex mu;  // guards everything below
  std::condition_variable wake;
  bool stopped = false;
  struct Node {
    std::optional<ResourceScrape> prev;
    std::optional<ResourceScrape> cur;
    bool in_flight = false;
    bool failing = false;
  };
  std::map<std::string, Node> nodes;

  // Stores a fetch's outcome; true when it gave a new scrape.
  bool Ingest(const std::string& node, const Result<NodeProxy::FetchReply>& reply) {
    Status error = Status::Ok();
    std::optional<ResourceScrape> scrape;
    if (!reply.ok()) {
      error = reply.status();
    } else if (reply->status != 200) {
      error = UnavailableError("the agent answered " + std::to_string(reply->status));
    } else {
      Result<ResourceScrape> parsed = ParseResourceMetrics(reply->body, options.now_ms());
      if (parsed.ok()) {
        scrape = std::move(*parsed);
      } else {
        error = parsed.status();
      }
    }
    std::lock_guard lock(mu);
    auto it = nodes.find(node);
    if (it == nodes.end()) return false;  // the node left the targets meanwhile
    Node& n = it->second;
    n.in_flight = false;
    if (!scrape) {
      if (!n.failing) {
        log::Warn(kLog, "scraping a node agent failed",
                  {{"node", node}, {"error", error.message()}});
      }
      n.failing = true;
      return false;
    }
    n.failing = false;
    n.prev = std::move(n.cur);
    n.cur = std::move(*scrape);
    return true;
  }
};

Result<std::unique_ptr<MetricsScraper>> MetricsScraper::Start(MetricsScraperOptions options) {
  if (!options.list_targets || options.proxy == nullptr) {
    return InvalidError("metrics scraper: a target lister and a node proxy are required");
  }
  if (options.resolution < std::chrono::milliseconds(1)) {
    return InvalidError("metrics scraper: the resolution must be at least 1ms");
  }
  if (!options.now_ms) options.now_ms = SystemNowMs;
  auto scraper = std::unique_ptr<MetricsScraper>(new MetricsScraper());
  scraper->state_ = std::make_shared<State>();
  scraper->state_->options = std::move(options);
  scraper->thread_ = std::thread([s = scraper.get()] { s->Loop(); });
  return scraper;
}

MetricsScraper::~MetricsScraper() { Stop(); }

void MetricsScraper::Stop() {
  if (state_ == nullptr) return;
  {
    std::lock_guard lock(state_->mu);
    state_->stopped = true;
  }
  state_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MetricsScraper::Loop() {
  while (true) {
    (void)ScrapeNow(std::chrono::milliseconds(0));
    std::unique_lock lock(state_->mu);
    state_->wake.wait_for(lock, state_->options.resolution, [this] { return state_->stopped; });
    if (state_->stopped) return;
  }
}

int MetricsScraper::ScrapeNow(std::chrono::milliseconds wait) {
  std::vector<ScrapeTarget> targets = state_->options.list_targets();
  std::vector<ScrapeTarget> launch;
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped) return 0;
    std::set<std::string> wanted;
    for (const ScrapeTarget& t : targets) wanted.insert(t.node);
    std::erase_if(state_->nodes,
                  [&wanted](const auto& entry) { return wanted.count(entry.first) == 0; });
    for (const ScrapeTarget& t : targets) {
      State::Node& n = state_->nodes[t.node];
      if (n.in_flight) continue;  // a slow agent still answering the previous round
      n.in_flight = true;
      launch.push_back(t);
    }
  }
  auto counter = std::make_shared<RoundCounter>();
  counter->remaining = launch.size();
  std::weak_ptr<State> weak = state_;
  for (const ScrapeTarget& t : launch) {
    state_->options.proxy->Fetch(
        t.endpoint, kResourceMetricsPath, state_->options.timeout, state_->options.max_body_bytes,
        [weak, node = t.node, counter](const Result<NodeProxy::FetchReply>& reply) {
          std::shared_ptr<State> st = weak.lock();
          counter->Done(st != nullptr && st->Ingest(node, reply));
        });
  }
  return wait.count() > 0 ? counter->Wait(wait) : 0;
}

std::optional<Usage> MetricsScraper::NodeUsage(const std::string& node) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->nodes.find(node);
  if (it == state_->nodes.end() || !it->second.prev || !it->second.cur) return std::nullopt;
  return UsageBetween(it->second.prev->node, it->second.cur->node);
}

std::vector<MetricsScraper::ContainerUsage> MetricsScraper::PodUsage(const std::string& ns,
                                                                     const std::string& pod) const {
  std::vector<ContainerUsage> out;
  std::lock_guard lock(state_->mu);
  ContainerKey first{ns, pod, ""};
  for (const auto& [name, n] : state_->nodes) {
    if (!n.prev || !n.cur) continue;
    for (auto it = n.cur->containers.lower_bound(first); it != n.cur->containers.end(); ++it) {
      const auto& [key, point] = *it;
      if (std::get<0>(key) != ns || std::get<1>(key) != pod) break;
      auto before = n.prev->containers.find(key);
      if (before == n.prev->containers.end()) continue;
      if (std::optional<Usage> u = UsageBetween(before->second, point)) {
        out.push_back({std::get<2>(key), *u});
      }
    }
    if (!out.empty()) break;  // a pod runs on one node
  }
  return out;
}

}  // namespace capstan::apiserver
