// Measurement helpers and the benchmark's Pod (apiserver_bench_util.h).
#include "bench/apiserver_bench_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>

namespace capstan::bench {
namespace {

constexpr std::string_view kNameMark = "@@NAME@@";

nlohmann::json Container(const std::string& name, const std::string& image, nlohmann::json args,
                         nlohmann::json ports, nlohmann::json mounts) {
  return {{"name", name},
          {"image", image},
          {"imagePullPolicy", "IfNotPresent"},
          {"args", std::move(args)},
          {"ports", std::move(ports)},
          {"env",
           {{{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
            {{"name", "POD_NAMESPACE"},
             {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.namespace"}}}}}},
            {{"name", "GOMAXPROCS"}, {"value", "2"}}}},
          {"resources",
           {{"requests", {{"cpu", "250m"}, {"memory", "256Mi"}}},
            {"limits", {{"cpu", "1"}, {"memory", "512Mi"}}}}},
          {"volumeMounts", std::move(mounts)}};
}

nlohmann::json BasePod(const std::string& description) {
  nlohmann::json web = Container(
      "web", "registry.example.com/platform/web-frontend:1.4.2",
      {"--port=8080", "--metrics-port=9102", "--log-level=info", "--config=/etc/web/config.yaml"},
      {{{"name", "http"}, {"containerPort", 8080}, {"protocol", "TCP"}},
       {{"name", "metrics"}, {"containerPort", 9102}, {"protocol", "TCP"}}},
      {{{"name", "config"}, {"mountPath", "/etc/web"}, {"readOnly", true}},
       {{"name", "cache"}, {"mountPath", "/var/cache/web"}}});
  web["readinessProbe"] = {{"httpGet", {{"path", "/readyz"}, {"port", 8080}}},
                           {"periodSeconds", 5}};
  web["livenessProbe"] = {{"httpGet", {{"path", "/healthz"}, {"port", 8080}}},
                          {"initialDelaySeconds", 10},
                          {"periodSeconds", 10}};
  nlohmann::json shipper =
      Container("log-shipper", "registry.example.com/platform/log-shipper:2.0.1",
                {"--input=/var/log/web/*.log", "--output=tcp://logs.example.com:5140"},
                nlohmann::json::array(),
                {{{"name", "cache"}, {"mountPath", "/var/log/web"}, {"readOnly", true}}});
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", kNameMark},
            {"labels",
             {{"app", "bench-web"},
              {"tier", "frontend"},
              {"release", "stable"},
              {"version", "v1.4.2"},
              {"pod-template-hash", "7d9f8c6b5d"}}},
            {"annotations",
             {{"prometheus.io/scrape", "true"},
              {"prometheus.io/port", "9102"},
              {"bench.capstan.io/description", description}}}}},
          {"spec",
           {{"containers", {web, shipper}},
            {"volumes",
             {{{"name", "config"}, {"configMap", {{"name", "web-config"}}}},
              {{"name", "cache"}, {"emptyDir", {{"sizeLimit", "1Gi"}}}}}},
            {"nodeSelector", {{"kubernetes.io/os", "linux"}}},
            {"tolerations",
             {{{"key", "dedicated"},
               {"operator", "Equal"},
               {"value", "web"},
               {"effect", "NoSchedule"}}}},
            {"terminationGracePeriodSeconds", 30}}}};
}

}  // namespace

double Quantile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  size_t i =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(i), values.end());
  return values[i];
}

nlohmann::json Summary(std::vector<double>& values) {
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
  nlohmann::json out = {{"count", values.size()}};
  if (values.empty()) return out;
  double mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  out["p50"] = round3(Quantile(values, 0.50));
  out["p90"] = round3(Quantile(values, 0.90));
  out["p99"] = round3(Quantile(values, 0.99));
  out["max"] = round3(*std::max_element(values.begin(), values.end()));
  out["mean"] = round3(mean);
  return out;
}

long StatusKb(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::atol(line.c_str() + field.size() + 1);
    }
  }
  return -1;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? "" : line.substr(colon + 2);
    }
  }
  return "";
}

PodTemplate::PodTemplate(size_t target_bytes) {
  const std::string kSample = "pod-00000000";  // 12 characters, as the benchmark's names
  std::string description = "Benchmark pod for the Capstan API server.";
  size_t size = BasePod(description).dump().size() - kNameMark.size() + kSample.size();
  if (size < target_bytes) description.append(target_bytes - size, '.');
  object_ = BasePod(description);
  std::string text = object_.dump();
  size_t at = text.find(kNameMark);
  head_ = text.substr(0, at);
  tail_ = text.substr(at + kNameMark.size());
}

std::string PodTemplate::Body(std::string_view name) const {
  std::string body;
  body.reserve(head_.size() + name.size() + tail_.size());
  body += head_;
  body += name;
  body += tail_;
  return body;
}

nlohmann::json PodTemplate::Object(std::string_view name) const {
  nlohmann::json obj = object_;
  obj["metadata"]["name"] = std::string(name);
  return obj;
}

}  // namespace capstan::bench
