// Agent resource metrics text and usage arithmetic (metrics_text.h).
#include "core/apiserver/metrics_text.h"

#include <cmath>
#include <cstdlib>
#include <map>

namespace capstan::apiserver {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
  int64_t timestamp_ms = 0;
  bool has_timestamp = false;
};

void SkipSpaces(std::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t')) ++*i;
}

bool ParseLabels(std::string_view s, size_t* i, std::map<std::string, std::string>* out) {
  ++*i;  // '{'
  while (true) {
    SkipSpaces(s, i);
    if (*i < s.size() && s[*i] == '}') {
      ++*i;
      return true;
    }
    size_t eq = s.find('=', *i);
    if (eq == std::string_view::npos) return false;
    std::string key(s.substr(*i, eq - *i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    *i = eq + 1;
    SkipSpaces(s, i);
    if (*i >= s.size() || s[*i] != '"') return false;
    ++*i;
    std::string value;
    while (*i < s.size() && s[*i] != '"') {
      if (s[*i] == '\\' && *i + 1 < s.size()) {
        ++*i;
        value += s[*i] == 'n' ? '\n' : s[*i];
      } else {
        value += s[*i];
      }
      ++*i;
    }
    if (*i >= s.size()) return false;
    ++*i;  // closing quote
    (*out)[key] = std::move(value);
    SkipSpaces(s, i);
    if (*i < s.size() && s[*i] == ',') ++*i;
  }
}

bool ParseNumber(std::string_view token, double* out) {
  if (token.empty()) return false;
  std::string copy(token);
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return end != nullptr && *end == '\0' && std::isfinite(*out);
}

// One sample line: `name{labels} value [timestamp]`.
bool ParseSample(std::string_view line, Sample* out) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  out->name = std::string(line.substr(0, i));
  if (out->name.empty()) return false;
  if (i < line.size() && line[i] == '{' && !ParseLabels(line, &i, &out->labels)) return false;
  SkipSpaces(line, &i);
  size_t end = line.find_first_of(" \t", i);
  if (!ParseNumber(line.substr(i, end == std::string_view::npos ? end : end - i), &out->value)) {
    return false;
  }
  if (end == std::string_view::npos) return true;
  i = end;
  SkipSpaces(line, &i);
  if (i >= line.size()) return true;
  double ts = 0;
  if (!ParseNumber(line.substr(i), &ts)) return false;
  out->timestamp_ms = static_cast<int64_t>(ts);
  out->has_timestamp = true;
  return true;
}

std::string Label(const Sample& s, const char* key) {
  auto it = s.labels.find(key);
  return it != s.labels.end() ? it->second : std::string();
}

void SetCpu(UsagePoint* p, const Sample& s, int64_t ts) {
  p->has_cpu = true;
  p->cpu_seconds = s.value;
  p->cpu_timestamp_ms = ts;
}

void SetMemory(UsagePoint* p, const Sample& s, int64_t ts) {
  p->has_memory = true;
  p->memory_bytes = s.value;
  p->memory_timestamp_ms = ts;
}

}  // namespace

Result<ResourceScrape> ParseResourceMetrics(std::string_view text, int64_t now_ms) {
  ResourceScrape out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    Sample s;
    if (!ParseSample(line, &s)) {
      return InvalidError("malformed metrics line \"" + std::string(line.substr(0, 200)) + "\"");
    }
    int64_t ts = s.has_timestamp ? s.timestamp_ms : now_ms;
    if (s.name == "node_cpu_usage_seconds_total") {
      SetCpu(&out.node, s, ts);
    } else if (s.name == "node_memory_working_set_bytes") {
      SetMemory(&out.node, s, ts);
    } else if (s.name == "container_cpu_usage_seconds_total" ||
               s.name == "container_memory_working_set_bytes") {
      ContainerKey key{Label(s, "namespace"), Label(s, "pod"), Label(s, "container")};
      if (std::get<0>(key).empty() || std::get<1>(key).empty() || std::get<2>(key).empty()) {
        continue;
      }
      UsagePoint& p = out.containers[key];
      if (s.name[10] == 'c') {  // container_cpu...
        SetCpu(&p, s, ts);
      } else {
        SetMemory(&p, s, ts);
      }
    }
  }
  return out;
}

std::optional<Usage> UsageBetween(const UsagePoint& prev, const UsagePoint& cur) {
  if (!prev.has_cpu || !cur.has_cpu || !cur.has_memory) return std::nullopt;
  int64_t window = cur.cpu_timestamp_ms - prev.cpu_timestamp_ms;
  if (window <= 0 || cur.cpu_seconds < prev.cpu_seconds) return std::nullopt;
  double cores = (cur.cpu_seconds - prev.cpu_seconds) / (static_cast<double>(window) / 1000.0);
  Usage u;
  u.nanocores = static_cast<uint64_t>(std::llround(cores * 1e9));
  u.memory_bytes = cur.memory_bytes > 0 ? static_cast<uint64_t>(std::llround(cur.memory_bytes)) : 0;
  u.timestamp_ms = cur.cpu_timestamp_ms;
  u.window_ms = window;
  return u;
}

std::string CpuQuantity(uint64_t nanocores) {
  if (nanocores == 0) return "0";
  if (nanocores % 1'000'000'000 == 0) return std::to_string(nanocores / 1'000'000'000);
  if (nanocores % 1'000'000 == 0) return std::to_string(nanocores / 1'000'000) + "m";
  if (nanocores % 1'000 == 0) return std::to_string(nanocores / 1'000) + "u";
  return std::to_string(nanocores) + "n";
}

std::string MemoryQuantity(uint64_t bytes) {
  static const char* const kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  if (bytes == 0) return "0";
  int i = 0;
  while (i < 6 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++i;
  }
  return std::to_string(bytes) + kSuffixes[i];
}

}  // namespace capstan::apiserver
