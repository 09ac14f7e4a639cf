// Metric series and Prometheus text exposition (metrics.h).
#include "core/plugin/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace capstan::plugin {
namespace {

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  auto first = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  if (!first(name[0])) return false;
  for (char c : name) {
    if (!first(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string EscapeLabel(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AddDouble(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

void MetricSeries::Record(double value) {
  switch (type_) {
    case MetricType::kCounter:
      if (!(value >= 0)) return;  // also rejects NaN
      AddDouble(value_, value);
      return;
    case MetricType::kGauge:
      value_.store(value, std::memory_order_relaxed);
      return;
    case MetricType::kHistogram:
      if (std::isnan(value)) return;
      for (size_t i = 0; i < kHistogramBuckets.size(); ++i) {
        if (value <= kHistogramBuckets[i]) {
          buckets_[i].fetch_add(1, std::memory_order_relaxed);
          break;
        }
      }
      AddDouble(value_, value);
      count_.fetch_add(1, std::memory_order_relaxed);
      return;
  }
}

Result<MetricSeries*> MetricsRegistry::Define(std::string_view name, std::string_view help,
                                              MetricType type, std::string_view instance) {
  if (!ValidMetricName(name))
    return InvalidError("invalid metric name \"" + std::string(name) + "\"");
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{std::string(help), type, {}}).first;
  } else if (it->second.type != type || it->second.help != help) {
    return InvalidError("metric \"" + std::string(name) +
                        "\" is already defined with another type or help");
  }
  auto& series = it->second.series;
  if (series.find(instance) != series.end()) {
    return InvalidError("metric \"" + std::string(name) + "\" is already defined for instance '" +
                        std::string(instance) + "'");
  }
  auto s = std::make_unique<MetricSeries>(type);
  MetricSeries* raw = s.get();
  series.emplace(std::string(instance), std::move(s));
  return raw;
}

void MetricsRegistry::Remove(std::string_view name, std::string_view instance) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  auto s = it->second.series.find(instance);
  if (s != it->second.series.end()) it->second.series.erase(s);
  if (it->second.series.empty()) families_.erase(it);
}

std::string MetricsRegistry::Exposition() const {
  std::lock_guard lock(mu_);
  std::string out;
  // One sample line: `<name><suffix>{<labels>} <value>`.
  auto sample = [&out](const std::string& name, std::string_view suffix, const std::string& labels,
                       const std::string& value) {
    out.append(name).append(suffix).append("{").append(labels).append("} ");
    out.append(value).append("\n");
  };
  for (const auto& [name, family] : families_) {
    out.append("# HELP ").append(name).append(" ").append(EscapeHelp(family.help)).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(TypeName(family.type)).append("\n");
    for (const auto& [instance, s] : family.series) {
      std::string label = "instance=\"" + EscapeLabel(instance) + "\"";
      if (family.type != MetricType::kHistogram) {
        sample(name, "", label, FormatValue(s->value_.load()));
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kHistogramBuckets.size(); ++i) {
        cumulative += s->buckets_[i].load();
        sample(name, "_bucket", label + ",le=\"" + FormatValue(kHistogramBuckets[i]) + "\"",
               std::to_string(cumulative));
      }
      // Buckets are bumped before the count, so a racing read may see more in the buckets.
      uint64_t count = std::max(s->count_.load(), cumulative);
      sample(name, "_bucket", label + ",le=\"+Inf\"", std::to_string(count));
      sample(name, "_sum", label, FormatValue(s->value_.load()));
      sample(name, "_count", label, std::to_string(count));
    }
  }
  return out;
}

std::string PluginMetricPrefix(std::string_view plugin_name) {
  std::string out = "capstan_plugin_";
  for (char c : plugin_name) out += (c == '.' || c == '-') ? '_' : c;
  out += '_';
  return out;
}

}  // namespace capstan::plugin
