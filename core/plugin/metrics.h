// Plugin metrics behind "capstan_host_metric_define_v1" / "..._record_v1": counters, gauges and
// histograms with fixed buckets, defined at init and updated lock-free by id, exposed in the
// Prometheus text format (for /metrics). Tests in tests/core/plugin/metrics_test.cc.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::plugin {

enum class MetricType { kCounter = 0, kGauge = 1, kHistogram = 2 };

// Upper bounds of histogram buckets (seconds-friendly, as Prometheus' defaults); +Inf implied.
inline constexpr std::array<double, 11> kHistogramBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10};

// One labelled time series. Record() is lock-free and thread-safe.
class MetricSeries {
 public:
  explicit MetricSeries(MetricType type) : type_(type) {}
  // Counter: += value (negative and NaN values are ignored). Gauge: = value. Histogram: observe.
  void Record(double value);
  MetricType type() const { return type_; }

 private:
  friend class MetricsRegistry;
  MetricType type_;
  std::atomic<double> value_{0};  // counter/gauge value; histogram sum
  std::atomic<uint64_t> count_{0};
  std::array<std::atomic<uint64_t>, kHistogramBuckets.size()> buckets_{};
};

// Families of series keyed by full metric name; each series has an `instance` label. Define and
// Remove take a mutex; Exposition reads atomics under it. Thread-safe.
class MetricsRegistry {
 public:
  // Defines `name` (already prefixed, [a-zA-Z_:][a-zA-Z0-9_:]*) for `instance`. The returned
  // series lives until Remove(name, instance) or the registry's end. Errors: kInvalid for a bad
  // name, a different type or help than an existing family of that name, or a duplicate series.
  Result<MetricSeries*> Define(std::string_view name, std::string_view help, MetricType type,
                               std::string_view instance);
  void Remove(std::string_view name, std::string_view instance);

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string Exposition() const;

 private:
  struct Family {
    std::string help;
    MetricType type;
    std::map<std::string, std::unique_ptr<MetricSeries>, std::less<>> series;  // by instance
  };
  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// The prefix the host puts before a plugin's metric names: "capstan_plugin_<name>_" with the
// plugin name's '.' and '-' mapped to '_'.
std::string PluginMetricPrefix(std::string_view plugin_name);

}  // namespace capstan::plugin
