// store_bench: throughput and latency of `LevelDbStore` (core/store/leveldb_store.h) on this
// machine's disk — group-committed durable writes at 1..256 concurrent writers, fsyncs per
// write, a 10k-key list (current and at an old revision) and watch fan-out. Prints one JSON
// object; results are kept in bench/results/store_leveldb.json. Values are pod-like JSON of
// --value_bytes. Not a pass/fail test.
// Usage: store_bench [--dir=PATH] [--seconds=S] [--value_bytes=N] [--repeat=N]
//                    [--only=writers|async|list|fanout]
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/store/leveldb_store.h"

namespace capstan::store {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string dir;
  double seconds = 2.0;
  size_t value_bytes = 2048;
  int repeat = 3;    // runs per configuration; the median by throughput is reported
  std::string only;  // run just this section: "writers", "async", "list" or "fanout"
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// CPU seconds used by this process so far (all threads, including LevelDB's compaction).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return static_cast<double>(v[i]) / 1000.0;  // ns -> us
}

// One run's JSON object and the figure runs are ranked by (throughput).
struct Sample {
  double score = 0;
  std::string json;
};

__attribute__((format(printf, 2, 3))) Sample Format(double score, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return Sample{score, buf};
}

// Runs `run` `repeat` times and returns the median run by score: the box is shared and its disk
// latency swings with other work, so one run can be far off either way.
template <typename F>
std::string Median(int repeat, F run) {
  std::vector<Sample> samples;
  for (int i = 0; i < std::max(1, repeat); ++i) samples.push_back(run());
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.score < b.score; });
  return samples[samples.size() / 2].json;
}

// A pod-like JSON object of about `bytes` bytes whose names, ids and addresses vary with `i`, so
// LevelDB sees realistic, moderately compressible values rather than one repeated byte.
std::string PodJson(int64_t i, size_t bytes) {
  const uint64_t h = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL;
  char head[512];
  std::snprintf(head, sizeof(head),
                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-%lld\","
                "\"namespace\":\"default\",\"uid\":\"%016llx-%08llx\",\"labels\":{\"app\":"
                "\"web\",\"pod-template-hash\":\"%06llx\"}},\"spec\":{\"nodeName\":\"node-%llu\","
                "\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.25\",\"resources\":{"
                "\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"}}}]},\"status\":{\"phase\":"
                "\"Running\",\"podIP\":\"10.244.%llu.%llu\",\"conditions\":[",
                static_cast<long long>(i), static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(h >> 32),
                static_cast<unsigned long long>(h & 0xffffff),
                static_cast<unsigned long long>(h % 5000), static_cast<unsigned long long>(h % 256),
                static_cast<unsigned long long>((h >> 8) % 256));
  std::string s = head;
  for (int k = 0; s.size() + 160 < bytes; ++k) {
    char cond[160];
    std::snprintf(cond, sizeof(cond),
                  "{\"type\":\"Ready%d\",\"status\":\"True\",\"lastTransitionTime\":"
                  "\"2026-11-22T07:%02llu:%02lluZ\",\"reason\":\"r%llx\"},",
                  k, static_cast<unsigned long long>((h >> (k % 48)) % 60),
                  static_cast<unsigned long long>((h >> (k % 48 + 7)) % 60),
                  static_cast<unsigned long long>((h >> (k % 48)) & 0xfffff));
    s += cond;
  }
  s += "{}]}}";
  return s;
}

// 1024 distinct values of about `bytes` bytes, prepared outside the timed sections.
std::vector<std::string> Values(size_t bytes) {
  std::vector<std::string> v;
  for (int64_t i = 0; i < 1024; ++i) v.push_back(PodJson(i, bytes));
  return v;
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "store_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<LevelDbStore> OpenFresh(const Config& c, const std::string& name, bool sync) {
  std::string dir = c.dir + "/" + name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  LevelDbStore::Options o;
  o.sync = sync;
  Result<std::unique_ptr<LevelDbStore>> s = LevelDbStore::Open(dir, o);
  if (!s.ok()) Die("open " + dir, s.status());
  return std::move(*s);
}

// Creates unique keys from `writers` threads for `seconds`; prints one JSON object.
Sample RunWriters(const Config& c, const std::string& label, int writers, bool sync) {
  std::unique_ptr<LevelDbStore> store = OpenFresh(c, label, sync);
  const std::vector<std::string> values = Values(c.value_bytes);
  std::vector<std::vector<int64_t>> lat(static_cast<size_t>(writers));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  const auto deadline = Clock::now() + std::chrono::duration<double>(c.seconds);
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      const std::string prefix = "/registry/pods/ns" + std::to_string(t) + "/pod-";
      for (int64_t i = 0; Clock::now() < deadline; ++i) {
        int64_t start = NowNs();
        Result<KeyValue> r = store->Create(prefix + std::to_string(i), values[i % 1024]);
        if (!r.ok()) Die("create", r.status());
        lat[static_cast<size_t>(t)].push_back(NowNs() - start);
      }
    });
  }
  const double cpu_begin = CpuSeconds();
  const int64_t begin = NowNs();
  go = true;
  for (std::thread& t : threads) t.join();
  const double secs = static_cast<double>(NowNs() - begin) / 1e9;
  std::vector<int64_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  LevelDbStore::Stats st = store->GetStats();
  const double cpu_us =
      st.writes ? (CpuSeconds() - cpu_begin) * 1e6 / static_cast<double>(st.writes) : 0;
  const double rate = static_cast<double>(st.writes) / secs;
  return Format(
      rate,
      "{\"writers\": %d, \"sync\": %s, \"writes\": %lld, \"writes_per_s\": %.0f, "
      "\"p50_us\": %.0f, \"p99_us\": %.0f, \"commits\": %lld, \"fsyncs_per_write\": %.4f, "
      "\"cpu_us_per_write\": %.1f}",
      writers, sync ? "true" : "false", static_cast<long long>(st.writes), rate,
      Percentile(all, 0.50), Percentile(all, 0.99), static_cast<long long>(st.commits),
      st.writes ? static_cast<double>(st.commits) / static_cast<double>(st.writes) : 0.0, cpu_us);
}

// One thread keeps `window` CreateAsync calls in flight for `seconds` (how an Asio server would
// drive the store without blocking threads); prints one JSON object.
Sample RunAsync(const Config& c, int window) {
  std::unique_ptr<LevelDbStore> store = OpenFresh(c, "async", true);
  const std::vector<std::string> values = Values(c.value_bytes);
  std::mutex mu;
  std::condition_variable cv;
  int inflight = 0;
  std::vector<int64_t> lat;
  const auto deadline = Clock::now() + std::chrono::duration<double>(c.seconds);
  const double cpu_begin = CpuSeconds();
  const int64_t begin = NowNs();
  for (int64_t i = 0; Clock::now() < deadline; ++i) {
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return inflight < window; });
      ++inflight;
    }
    const int64_t start = NowNs();
    store->CreateAsync("/registry/pods/async/pod-" + std::to_string(i), values[i % 1024],
                       [&, start](Result<KeyValue> r) {
                         if (!r.ok()) Die("create async", r.status());
                         const int64_t took = NowNs() - start;
                         std::lock_guard lk(mu);
                         lat.push_back(took);
                         --inflight;
                         cv.notify_one();
                       });
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return inflight == 0; });
  }
  const double secs = static_cast<double>(NowNs() - begin) / 1e9;
  LevelDbStore::Stats st = store->GetStats();
  const double cpu_us =
      st.writes ? (CpuSeconds() - cpu_begin) * 1e6 / static_cast<double>(st.writes) : 0;
  const double rate = static_cast<double>(st.writes) / secs;
  return Format(rate,
                "{\"in_flight\": %d, \"writes\": %lld, \"writes_per_s\": %.0f, \"p50_us\": %.0f, "
                "\"p99_us\": %.0f, \"commits\": %lld, \"fsyncs_per_write\": %.4f, "
                "\"cpu_us_per_write\": %.1f}",
                window, static_cast<long long>(st.writes), rate, Percentile(lat, 0.50),
                Percentile(lat, 0.99), static_cast<long long>(st.commits),
                st.writes ? static_cast<double>(st.commits) / static_cast<double>(st.writes) : 0.0,
                cpu_us);
}

// Fills `n` keys with 64 writers.
void Fill(LevelDbStore* store, const std::string& prefix, int n,
          const std::vector<std::string>& values) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        Result<KeyValue> r = store->Create(prefix + std::to_string(1000000 + i),
                                           values[static_cast<size_t>(i) % 1024]);
        if (!r.ok()) Die("fill", r.status());
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

double TimeListMs(LevelDbStore* store, const ListOptions& o, size_t want) {
  double best = 1e18;
  for (int rep = 0; rep < 5; ++rep) {
    int64_t start = NowNs();
    Result<ListResult> r = store->List(o);
    if (!r.ok()) Die("list", r.status());
    if (r->items.size() != want) Die("list size", InternalError(std::to_string(r->items.size())));
    best = std::min(best, static_cast<double>(NowNs() - start) / 1e6);
  }
  return best;
}

Sample RunList(const Config& c) {
  constexpr int kKeys = 10000;
  constexpr int kChanged = 1000;
  std::unique_ptr<LevelDbStore> store = OpenFresh(c, "list", true);
  const std::vector<std::string> values = Values(c.value_bytes);
  Fill(store.get(), "/registry/configmaps/default/cm-", kKeys, values);
  Fill(store.get(), "/registry/secrets/default/s-", 2000, values);  // outside the prefix
  const int64_t before = store->CurrentRevision();
  for (int i = 0; i < kChanged; ++i) {
    std::string key = "/registry/configmaps/default/cm-" + std::to_string(1000000 + i * 7);
    if (!store->Update(key, values[static_cast<size_t>(i + 1) % 1024], 0).ok()) {
      Die("update", InternalError(key));
    }
  }
  ListOptions now;
  now.prefix = "/registry/configmaps/";
  ListOptions old = now;
  old.revision = before;
  ListOptions page = now;
  page.limit = 500;
  const double now_ms = TimeListMs(store.get(), now, kKeys);
  const double old_ms = TimeListMs(store.get(), old, kKeys);
  const double page_ms = TimeListMs(store.get(), page, 500);
  return Format(kKeys / (now_ms / 1000.0),
                "{\"keys\": %d, \"value_bytes\": %zu, \"current_ms\": %.2f, \"keys_per_s\": %.0f, "
                "\"at_revision_%d_events_back_ms\": %.2f, \"page_500_ms\": %.3f}",
                kKeys, c.value_bytes, now_ms, kKeys / (now_ms / 1000.0), kChanged, old_ms, page_ms);
}

// `watchers` watches on one prefix; 64 writers create `events` keys stamped with their submit
// time. Reports delivered events/s until every watcher saw every event and, at the last watcher
// served, the latency from submit to delivery and from the writer's acknowledgement to delivery
// (0 when delivery came first: events are published before writers are woken).
Sample RunFanout(const Config& c, int watchers, int events) {
  std::unique_ptr<LevelDbStore> store = OpenFresh(c, "fanout", true);
  std::atomic<int64_t> delivered{0};
  std::vector<int64_t> submit_lat;
  std::vector<int64_t> delivered_at(static_cast<size_t>(events));
  std::vector<int64_t> acked_at(static_cast<size_t>(events));
  const std::string prefix = "/registry/pods/default/p-";
  std::vector<std::unique_ptr<Watch>> handles;
  for (int w = 0; w < watchers; ++w) {
    const bool sample = w == watchers - 1;
    Result<std::unique_ptr<Watch>> h =
        store->WatchPrefix("/registry/pods/", 0, [&, sample](std::span<const Event> batch) {
          if (sample) {
            const int64_t now = NowNs();
            for (const Event& e : batch) {
              submit_lat.push_back(now - std::stoll(e.kv.value.substr(0, 20)));
              delivered_at[std::stoul(e.kv.key.substr(prefix.size()))] = now;
            }
          }
          delivered.fetch_add(std::ssize(batch), std::memory_order_release);
        });
    if (!h.ok()) Die("watch", h.status());
    handles.push_back(std::move(*h));
  }
  const std::vector<std::string> values = Values(c.value_bytes > 20 ? c.value_bytes - 20 : 0);
  std::atomic<int> next{0};
  const int64_t begin = NowNs();
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&] {
      char stamp[32];
      for (int i = next++; i < events; i = next++) {
        std::snprintf(stamp, sizeof(stamp), "%020lld", static_cast<long long>(NowNs()));
        Result<KeyValue> r = store->Create(prefix + std::to_string(i),
                                           stamp + values[static_cast<size_t>(i) % 1024]);
        if (!r.ok()) Die("create", r.status());
        acked_at[static_cast<size_t>(i)] = NowNs();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const int64_t writes_done = NowNs();
  const int64_t want = static_cast<int64_t>(watchers) * events;
  while (delivered.load(std::memory_order_acquire) < want) std::this_thread::yield();
  const int64_t end = NowNs();
  handles.clear();
  std::vector<int64_t> ack_lag;
  for (size_t i = 0; i < delivered_at.size(); ++i) {
    ack_lag.push_back(std::max<int64_t>(0, delivered_at[i] - acked_at[i]));
  }
  const double secs = static_cast<double>(end - begin) / 1e9;
  return Format(
      static_cast<double>(want) / secs,
      "{\"watchers\": %d, \"events\": %d, \"delivered\": %lld, \"delivered_per_s\": %.0f, "
      "\"writes_per_s\": %.0f, \"drain_after_writes_ms\": %.1f, "
      "\"last_watcher_submit_to_delivery_p50_us\": %.0f, "
      "\"last_watcher_submit_to_delivery_p99_us\": %.0f, "
      "\"last_watcher_ack_to_delivery_p50_us\": %.0f, "
      "\"last_watcher_ack_to_delivery_p99_us\": %.0f}",
      watchers, events, static_cast<long long>(want), static_cast<double>(want) / secs,
      events / (static_cast<double>(writes_done - begin) / 1e9),
      static_cast<double>(end - writes_done) / 1e6, Percentile(submit_lat, 0.50),
      Percentile(submit_lat, 0.99), Percentile(ack_lag, 0.50), Percentile(ack_lag, 0.99));
}

// Raw append + fdatasync of 2 KiB in `dir`, 200 times: the floor under a durable write on this
// disk right now. Prints one JSON object.
std::string DiskBaseline(const std::string& dir) {
  const std::string path = dir + "/fdatasync-probe";
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return "null";
  std::vector<int64_t> lat;
  const std::string block(2048, 'x');
  for (int i = 0; i < 200; ++i) {
    const int64_t start = NowNs();
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      break;
    }
    lat.push_back(NowNs() - start);
  }
  close(fd);
  unlink(path.c_str());
  char buf[128];
  std::snprintf(buf, sizeof(buf), "{\"append_fdatasync_2k_p50_us\": %.0f, \"p99_us\": %.0f}",
                Percentile(lat, 0.50), Percentile(lat, 0.99));
  return buf;
}

// The 1-minute load average: the box is shared, so results carry how busy it was.
double LoadAverage() {
  double load = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = -1;
    std::fclose(f);
  }
  return load;
}

int Main(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--dir=")) {
      c.dir = a.substr(6);
    } else if (a.starts_with("--seconds=")) {
      c.seconds = std::atof(a.c_str() + 10);
    } else if (a.starts_with("--value_bytes=")) {
      c.value_bytes = std::strtoul(a.c_str() + 14, nullptr, 10);
    } else if (a.starts_with("--repeat=")) {
      c.repeat = std::atoi(a.c_str() + 9);
    } else if (a.starts_with("--only=")) {
      c.only = a.substr(7);
    } else {
      std::fprintf(stderr,
                   "usage: store_bench [--dir=PATH] [--seconds=S] [--value_bytes=N] "
                   "[--repeat=N] [--only=writers|async|list|fanout]\n");
      return 2;
    }
  }
  bool own_dir = false;
  if (c.dir.empty()) {
    std::string tmpl = "/var/tmp/capstan-store-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return 1;
    c.dir = tmpl;
    own_dir = true;
  }
  std::printf("{\n  \"benchmark\": \"store_leveldb\",\n  \"hardware_threads\": %u,\n",
              std::thread::hardware_concurrency());
  std::printf("  \"value_bytes\": %zu,\n  \"seconds_per_run\": %.1f,\n", c.value_bytes, c.seconds);
  std::printf("  \"runs_per_config\": %d, \"reported\": \"median run by throughput\",\n", c.repeat);
  std::printf("  \"load_avg_1m_at_start\": %.2f,\n", LoadAverage());
  std::printf("  \"disk_at_start\": %s", DiskBaseline(c.dir).c_str());
  auto want = [&](const char* section) { return c.only.empty() || c.only == section; };
  if (want("writers")) {
    std::printf(",\n  \"sequential_single_writer\": ");
    std::printf("%s", Median(c.repeat, [&] { return RunWriters(c, "seq", 1, true); }).c_str());
    std::printf(",\n  \"sequential_single_writer_nosync\": ");
    std::printf("%s",
                Median(c.repeat, [&] { return RunWriters(c, "seq-nosync", 1, false); }).c_str());
    std::printf(",\n  \"concurrent\": [\n");
    const int kWriters[] = {1, 8, 64, 256};
    for (size_t i = 0; i < std::size(kWriters); ++i) {
      std::printf("    ");
      std::printf(
          "%s", Median(c.repeat, [&] { return RunWriters(c, "conc", kWriters[i], true); }).c_str());
      std::printf(i + 1 < std::size(kWriters) ? ",\n" : "\n  ]");
      std::fflush(stdout);
    }
  }
  if (want("async")) {
    std::printf(",\n  \"async_one_thread\": [\n");
    const int kWindows[] = {1, 64, 256, 1024};
    for (size_t i = 0; i < std::size(kWindows); ++i) {
      std::printf("    ");
      std::printf("%s", Median(c.repeat, [&] { return RunAsync(c, kWindows[i]); }).c_str());
      std::printf(i + 1 < std::size(kWindows) ? ",\n" : "\n  ]");
      std::fflush(stdout);
    }
  }
  if (want("list")) {
    std::printf(",\n  \"list\": ");
    std::printf("%s", Median(c.repeat, [&] { return RunList(c); }).c_str());
  }
  if (want("fanout")) {
    std::printf(",\n  \"watch_fanout\": [\n");
    const int kWatchers[] = {1, 100, 1000};
    for (size_t i = 0; i < std::size(kWatchers); ++i) {
      std::printf("    ");
      std::printf("%s",
                  Median(c.repeat, [&] { return RunFanout(c, kWatchers[i], 20000); }).c_str());
      std::printf(i + 1 < std::size(kWatchers) ? ",\n" : "\n  ]");
      std::fflush(stdout);
    }
  }
  std::printf(",\n  \"disk_at_end\": %s", DiskBaseline(c.dir).c_str());
  std::printf(",\n  \"load_avg_1m_at_end\": %.2f\n}\n", LoadAverage());
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(c.dir, ec);
  }
  return 0;
}

}  // namespace
}  // namespace capstan::store

int main(int argc, char** argv) { return capstan::store::Main(argc, argv); }
