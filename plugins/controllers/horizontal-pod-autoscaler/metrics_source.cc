// Pod metrics for the HPA (metrics_source.h).
#include "plugins/controllers/horizontal-pod-autoscaler/metrics_source.h"

#include <cctype>
#include <cstdlib>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/resourcequota/quota_quantity.h"

namespace capstan::controllers {

double ParseDurationSeconds(std::string_view text) {
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) {
      ++i;
    }
    if (i == start) return 0;
    double value = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit == "h") {
      total += value * 3600;
    } else if (unit == "m") {
      total += value * 60;
    } else if (unit == "s") {
      total += value;
    } else if (unit == "ms") {
      total += value / 1000;
    } else {
      return 0;
    }
  }
  return total;
}

std::string QueryEscape(std::string_view value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

PodMetrics ParsePodMetricsList(const Json& list, std::string_view resource) {
  PodMetrics out;
  const Json* items = sdk::json::Find(list, "items");
  if (items == nullptr || !items->is_array()) return out;
  for (const Json& item : *items) {
    PodMetric m;
    m.timestamp = static_cast<double>(ParseTime(GetStr(item, {"timestamp"})).value_or(0));
    m.window = ParseDurationSeconds(GetStr(item, {"window"}));
    const Json* containers = sdk::json::Find(item, "containers");
    bool any = false;
    for (const Json& c :
         containers != nullptr && containers->is_array() ? *containers : Json::array()) {
      const Json* usage = sdk::json::FindPath(c, {"usage", resource});
      std::optional<MilliQuantity> q =
          usage == nullptr ? std::nullopt : MilliQuantity::FromJson(*usage);
      if (!q) continue;
      m.milli += q->milli;
      any = true;
    }
    if (any) out[Name(item)] = m;
  }
  return out;
}

sdk::Status ApiPodMetricsSource::PodUsage(sdk::Call& call, std::string_view ns,
                                          std::string_view selector, std::string_view resource,
                                          PodMetrics* out) {
  std::string path = "/apis/metrics.k8s.io/v1beta1/namespaces/" + std::string(ns) + "/pods";
  if (!selector.empty()) path += "?labelSelector=" + QueryEscape(selector);
  Json list;
  sdk::Status s = Send(call, "GET", path, "", "", &list);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    return sdk::Status::Error("unable to get metrics for resource " + std::string(resource) +
                              ": the server could not find the requested resource");
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(s);
  *out = ParsePodMetricsList(list, resource);
  if (out->empty()) {
    return sdk::Status::Error("unable to get metrics for resource " + std::string(resource) +
                              ": no metrics returned from resource metrics API");
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
