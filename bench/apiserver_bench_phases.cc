// The measured phases of the API server benchmark (apiserver_bench_phases.h).
#include "bench/apiserver_bench_phases.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace capstan::bench {
namespace {

using std::chrono::milliseconds;

const SteadyClock::time_point kStart = SteadyClock::now();

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Sec(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// Waits until `done()` or `timeout`; returns done().
template <typename F>
bool WaitFor(F done, milliseconds timeout) {
  SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// metadata.resourceVersion of an object in JSON text, or 0.
int64_t RevisionFromBody(const std::string& body) {
  nlohmann::json obj = nlohmann::json::parse(body, nullptr, false);
  if (!obj.is_object()) return 0;
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return 0;
  auto rv = meta->find("resourceVersion");
  if (rv == meta->end() || !rv->is_string()) return 0;
  const std::string& s = rv->get_ref<const std::string&>();
  int64_t value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

size_t CountOccurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The "continue" token of a list response (our lists put metadata first), or "".
std::string ContinueToken(std::string_view body) {
  constexpr std::string_view kKey = "\"continue\":\"";
  size_t at = body.substr(0, 1024).find(kKey);
  if (at == std::string_view::npos) return "";
  size_t from = at + kKey.size();
  size_t end = body.find('"', from);
  return end == std::string_view::npos ? "" : std::string(body.substr(from, end - from));
}

struct Snapshot {
  SteadyClock::time_point at;
  double process_cpu = 0;
  double client_cpu = 0;
  store::LevelDbStore::Stats store;
};

Snapshot Take(BenchServer& server, std::vector<std::thread>& clients) {
  Snapshot s;
  s.at = SteadyClock::now();
  s.process_cpu = ProcessCpuSeconds();
  for (std::thread& t : clients) s.client_cpu += CpuSecondsOf(t);
  s.store = server.store->GetStats();
  return s;
}

nlohmann::json StoreDelta(const Snapshot& a, const Snapshot& b) {
  int64_t writes = b.store.writes - a.store.writes;
  int64_t commits = b.store.commits - a.store.commits;
  return {{"writes", writes},
          {"commits", commits},
          {"fsyncs_per_write",
           writes > 0 ? static_cast<double>(commits) / static_cast<double>(writes) : 0.0}};
}

}  // namespace

void Log(const std::string& message) {
  std::fprintf(stderr, "[%7.1fs] %s\n", Sec(SteadyClock::now() - kStart), message.c_str());
}

nlohmann::json RunLoad(BenchServer& server, const LoadOptions& o, const RequestMaker& make) {
  struct ClientState {
    std::vector<double> latencies_ms;
    int64_t errors = 0;
    std::string first_error;
  };
  std::vector<ClientState> states(static_cast<size_t>(o.clients));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, measuring{false}, stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      ClientState& st = states[static_cast<size_t>(c)];
      SyncClient client(server.ca_pem());
      Status connected = client.Connect(server.port());
      if (!connected.ok()) st.first_error = connected.ToString();
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(milliseconds(1));
      if (!connected.ok()) return;
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        LoadRequest r = make(c, i);
        SteadyClock::time_point t0 = SteadyClock::now();
        ClientResponse resp = client.Request(r.method, r.target, std::move(r.body));
        double ms = Ms(SteadyClock::now() - t0);
        bool counted = measuring.load(std::memory_order_relaxed);
        if (counted) st.latencies_ms.push_back(ms);
        if (resp.status != r.expect_status) {
          if (counted) ++st.errors;
          if (st.first_error.empty()) {
            st.first_error =
                std::to_string(resp.status) + " " + resp.error + resp.body.substr(0, 300);
          }
          if (resp.status == 0) return;  // the connection is gone
        }
      }
    });
  }
  WaitFor([&] { return ready.load() == o.clients; }, milliseconds(120000));
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_seconds));
  Snapshot before = Take(server, threads);
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  Snapshot after = Take(server, threads);
  stop = true;
  for (std::thread& t : threads) t.join();

  std::vector<double> all;
  int64_t errors = 0;
  std::string first_error;
  for (ClientState& st : states) {
    all.insert(all.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    errors += st.errors;
    if (first_error.empty()) first_error = st.first_error;
  }
  double window = Sec(after.at - before.at);
  double requests = static_cast<double>(all.size());
  double client_cpu = after.client_cpu - before.client_cpu;
  double server_cpu = after.process_cpu - before.process_cpu - client_cpu;
  nlohmann::json out = {
      {"clients", o.clients},
      {"seconds", window},
      {"requests", all.size()},
      {"errors", errors},
      {"requests_per_second", std::round(requests / window)},
      {"latency_ms", Summary(all)},
      {"cpu_us_per_request",
       {{"server", requests > 0 ? std::round(server_cpu / requests * 1e6) : 0},
        {"client", requests > 0 ? std::round(client_cpu / requests * 1e6) : 0}}},
      {"cpu_cores_busy", {{"server", server_cpu / window}, {"client", client_cpu / window}}}};
  if (after.store.writes > before.store.writes) out["store"] = StoreDelta(before, after);
  if (!first_error.empty()) out["first_error"] = first_error;
  return out;
}

nlohmann::json RunWatch(BenchServer& server, const WatchOptions& o) {
  SyncClient writer(server.ca_pem());
  if (Status s = writer.Connect(server.port()); !s.ok()) return {{"error", s.ToString()}};
  ClientResponse ns =
      writer.Request(http::verb::post, "/api/v1/namespaces",
                     R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench-watch"}})");
  if (ns.status != 201 && ns.status != 409) return {{"error", "namespace: " + ns.body}};
  PodTemplate pod;
  ClientResponse created = writer.Request(http::verb::post, "/api/v1/namespaces/bench-watch/pods",
                                          pod.Body("watched-0"));
  if (created.status != 201) return {{"error", "pod: " + created.body}};
  int64_t start_rv = RevisionFromBody(created.body);

  long rss_before = RssKb();
  WatchFleet fleet(server.ca_pem(), o.client_threads);
  std::string target =
      "/api/v1/namespaces/bench-watch/pods?watch=true&timeoutSeconds=3600"
      "&resourceVersion=" +
      std::to_string(start_rv);
  SteadyClock::time_point open_from = SteadyClock::now();
  size_t open =
      fleet.Open(server.port(), target, static_cast<size_t>(o.watchers), milliseconds(300000));
  apiserver::WatchCache* cache = server.api->StorageFor("", "pods")->cache();
  bool registered = WaitFor([&] { return cache->WatcherCount() >= open; }, milliseconds(60000));
  double open_seconds = Sec(SteadyClock::now() - open_from);
  long rss_with = RssKb();
  Log("watch: " + std::to_string(open) + " streams open in " + std::to_string(open_seconds) +
      " s; writing");

  struct Write {
    SteadyClock::time_point sent, acked;
  };
  std::unordered_map<int64_t, Write> writes;
  std::vector<double> write_ms;
  int64_t last_rev = 0;
  int64_t write_errors = 0;
  double cpu0 = ProcessCpuSeconds(), fleet0 = fleet.CpuSeconds(), writer0 = ThreadCpuSeconds();
  SteadyClock::time_point begin = SteadyClock::now();
  auto period = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(1.0 / std::max(1, o.writes_per_second)));
  for (int i = 0; i < o.writes; ++i) {
    std::this_thread::sleep_until(begin + period * i);
    std::string patch =
        R"({"metadata":{"annotations":{"bench.capstan.io/seq":")" + std::to_string(i) + "\"}}}";
    SteadyClock::time_point sent = SteadyClock::now();
    ClientResponse r =
        writer.Request(http::verb::patch, "/api/v1/namespaces/bench-watch/pods/watched-0",
                       std::move(patch), "application/merge-patch+json");
    SteadyClock::time_point acked = SteadyClock::now();
    int64_t rev = r.status == 200 ? RevisionFromBody(r.body) : 0;
    if (rev == 0) {
      ++write_errors;
      continue;
    }
    writes[rev] = {sent, acked};
    write_ms.push_back(Ms(acked - sent));
    last_rev = std::max(last_rev, rev);
  }
  SteadyClock::time_point written = SteadyClock::now();
  bool drained = WaitFor([&] { return fleet.MinLastRevision() >= last_rev; }, milliseconds(60000));
  double drain_seconds = Sec(SteadyClock::now() - written);
  double fleet_cpu = fleet.CpuSeconds() - fleet0;
  double writer_cpu = ThreadCpuSeconds() - writer0;
  double server_cpu = ProcessCpuSeconds() - cpu0 - fleet_cpu - writer_cpu;
  size_t cut = fleet.failed();
  fleet.Close();

  std::vector<double> from_ack, from_send;
  int64_t before_ack = 0;
  for (const std::vector<WatchArrival>& arrivals : fleet.Arrivals()) {
    for (const WatchArrival& a : arrivals) {
      auto w = writes.find(a.revision);
      if (w == writes.end()) continue;
      double d = Ms(a.at - w->second.acked);
      if (d < 0) ++before_ack;
      from_ack.push_back(d);
      from_send.push_back(Ms(a.at - w->second.sent));
    }
  }
  size_t expected = writes.size() * open;
  double n = static_cast<double>(writes.size());
  return {{"watchers_requested", o.watchers},
          {"watchers_open", open},
          {"watchers_registered", registered},
          {"streams_cut_or_failed", cut},
          {"open_seconds", open_seconds},
          {"client_io_threads", o.client_threads},
          {"writes", writes.size()},
          {"write_errors", write_errors},
          {"writes_per_second_target", o.writes_per_second},
          {"event_bytes_approx", created.body.size()},
          {"deliveries", from_ack.size()},
          {"deliveries_expected", expected},
          {"drained", drained},
          {"drain_seconds_after_last_write", drain_seconds},
          {"delivery_ms_after_write_response", Summary(from_ack)},
          {"delivery_ms_after_write_request", Summary(from_send)},
          {"deliveries_before_write_response", before_ack},
          {"write_latency_ms", Summary(write_ms)},
          {"cpu_ms_per_write",
           {{"server", n > 0 ? server_cpu / n * 1e3 : 0},
            {"watch_clients", n > 0 ? fleet_cpu / n * 1e3 : 0}}},
          {"rss_kb", {{"before_watchers", rss_before}, {"with_watchers_open", rss_with}}}};
}

nlohmann::json RunList(BenchServer& server, const ListOptions& o, const PodTemplate& pod,
                       const nlohmann::json& managed_fields) {
  apiserver::RestStorage* pods = server.api->StorageFor("", "pods");
  apiserver::RestStorage* namespaces = server.api->StorageFor("", "namespaces");
  const std::string kNs = "bench-list";
  (void)namespaces->Create(
      {}, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNs}}}});
  // Fill.
  long rss_before_fill = RssKb();
  std::atomic<int64_t> next{0}, done{0}, failed{0};
  std::mutex error_mu;
  std::string first_error;
  store::LevelDbStore::Stats stats0 = server.store->GetStats();
  Snapshot fill_from;
  fill_from.at = SteadyClock::now();
  std::vector<std::thread> fillers;
  for (int t = 0; t < o.fill_threads; ++t) {
    fillers.emplace_back([&] {
      char name[32];
      for (int64_t i = next++; i < o.pods; i = next++) {
        std::snprintf(name, sizeof(name), "pod-%08lld", static_cast<long long>(i));
        nlohmann::json obj = pod.Object(name);
        if (managed_fields.is_array()) obj["metadata"]["managedFields"] = managed_fields;
        apiserver::ApiResult<apiserver::WriteResult> r = pods->Create({}, kNs, std::move(obj));
        if (auto* e = std::get_if<apiserver::ApiError>(&r)) {
          ++failed;
          std::lock_guard l(error_mu);
          if (first_error.empty()) first_error = e->status.ToString();
        }
        ++done;
      }
    });
  }
  int64_t logged = 0;
  while (!WaitFor([&] { return done.load() >= o.pods; }, milliseconds(10000))) {
    if (done.load() - logged >= o.pods / 20) {
      logged = done.load();
      Log("list: filled " + std::to_string(logged) + " of " + std::to_string(o.pods));
    }
  }
  for (std::thread& t : fillers) t.join();
  double fill_seconds = Sec(SteadyClock::now() - fill_from.at);
  store::LevelDbStore::Stats stats1 = server.store->GetStats();
  Status consistent = pods->WaitForConsistentRead();
  Log("list: filled " + std::to_string(o.pods) + " pods in " + std::to_string(fill_seconds) + " s");
  long rss_filled = RssKb();

  nlohmann::json out = {
      {"pods", o.pods},
      {"fill",
       {{"threads", o.fill_threads},
        {"seconds", fill_seconds},
        {"creates_per_second", std::round(static_cast<double>(o.pods) / fill_seconds)},
        {"failed", failed.load()},
        {"commits", stats1.commits - stats0.commits},
        {"fsyncs_per_write",
         static_cast<double>(stats1.commits - stats0.commits) /
             static_cast<double>(std::max<int64_t>(1, stats1.writes - stats0.writes))},
        {"cache_consistent", consistent.ok()}}},
      {"rss_kb_before_fill", rss_before_fill},
      {"rss_kb_with_pods_cached", rss_filled},
      {"rss_bytes_per_cached_pod",
       std::round(static_cast<double>(rss_filled - rss_before_fill) * 1024.0 /
                  static_cast<double>(std::max<int64_t>(1, o.pods)))}};
  if (!first_error.empty()) out["fill"]["first_error"] = first_error;

  SyncClient client(server.ca_pem());
  if (Status s = client.Connect(server.port()); !s.ok()) {
    out["error"] = s.ToString();
    return out;
  }
  const std::string target = "/api/v1/namespaces/" + kNs + "/pods";
  nlohmann::json runs = nlohmann::json::array();
  std::vector<double> totals;
  for (int r = 0; r < o.repeats; ++r) {
    double cpu0 = ProcessCpuSeconds(), client0 = ThreadCpuSeconds();
    SteadyClock::time_point t0 = SteadyClock::now();
    ClientResponse resp = client.Request(http::verb::get, target);
    SteadyClock::time_point t1 = SteadyClock::now();
    double client_cpu = ThreadCpuSeconds() - client0;
    double server_cpu = ProcessCpuSeconds() - cpu0 - client_cpu;
    totals.push_back(Ms(t1 - t0));
    runs.push_back({{"status", resp.status},
                    {"first_byte_ms", Ms(resp.head_at - t0)},
                    {"total_ms", Ms(t1 - t0)},
                    {"bytes", resp.body.size()},
                    {"items", CountOccurrences(resp.body, "\"kind\":\"Pod\",\"metadata\"")},
                    {"server_cpu_ms", server_cpu * 1e3},
                    {"client_cpu_ms", client_cpu * 1e3}});
    Log("list: run " + std::to_string(r) + " took " + std::to_string(Ms(t1 - t0)) + " ms");
  }
  out["full_list"] = runs;
  out["full_list_total_ms_median"] = Quantile(totals, 0.5);
  out["rss_kb_after_lists"] = RssKb();
  out["peak_rss_kb"] = StatusKb("VmHWM");

  // A paginated walk, as kubectl get does (limit=500 and continue tokens).
  std::vector<double> page_ms;
  size_t items = 0;
  std::string cont;
  SteadyClock::time_point walk_from = SteadyClock::now();
  do {
    std::string url = target + "?limit=" + std::to_string(o.page_size);
    if (!cont.empty()) url += "&continue=" + cont;
    SteadyClock::time_point t0 = SteadyClock::now();
    ClientResponse resp = client.Request(http::verb::get, url);
    page_ms.push_back(Ms(SteadyClock::now() - t0));
    if (resp.status != 200) {
      out["paginated_error"] = resp.body.substr(0, 300);
      break;
    }
    items += CountOccurrences(resp.body, "\"kind\":\"Pod\",\"metadata\"");
    cont = ContinueToken(resp.body);
  } while (!cont.empty());
  out["paginated"] = {{"page_size", o.page_size},
                      {"pages", page_ms.size()},
                      {"items", items},
                      {"total_ms", Ms(SteadyClock::now() - walk_from)},
                      {"first_page_ms", page_ms.empty() ? 0.0 : page_ms.front()},
                      {"last_page_ms", page_ms.empty() ? 0.0 : page_ms.back()},
                      {"page_ms", Summary(page_ms)}};
  return out;
}

}  // namespace capstan::bench
