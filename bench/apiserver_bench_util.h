// Measurement helpers for bench/apiserver_bench.cc: latency summaries, RSS and load average from
// /proc, and the ~2 KiB Pod the benchmark writes (a web server with a log-shipper sidecar, the
// shape of a typical Deployment's pod). Clients are in apiserver_bench_client.h.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::bench {

// {"count", "p50", "p90", "p99", "max", "mean"} of `values` (any unit; the caller names it),
// rounded to 3 decimals. Reorders `values`.
nlohmann::json Summary(std::vector<double>& values);
// The p-th quantile (0..1) of `values` (nearest rank); reorders `values`. 0 when empty.
double Quantile(std::vector<double>& values, double p);

// A KiB field of /proc/self/status ("VmRSS", "VmHWM"), or -1.
long StatusKb(std::string_view field);
inline long RssKb() { return StatusKb("VmRSS"); }
// The 1-, 5- and 15-minute load averages, e.g. "11.85 12.84 13.52".
std::string LoadAverage();
// The CPU model name from /proc/cpuinfo, or "".
std::string CpuModel();

// Pod bodies of about `target_bytes` of JSON (for a 12-character name). Immutable after
// construction, so thread-safe.
class PodTemplate {
 public:
  explicit PodTemplate(size_t target_bytes = 2048);
  // The JSON text to POST for a pod called `name` (the namespace comes from the URL).
  std::string Body(std::string_view name) const;
  // The same pod as a JSON value.
  nlohmann::json Object(std::string_view name) const;

 private:
  nlohmann::json object_;
  std::string head_;  // the body text up to the name
  std::string tail_;  // and after it
};

}  // namespace capstan::bench
