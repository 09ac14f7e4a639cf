// Runtime plugin `fake`: `FakeRuntime::ListContainerStats` (fake_runtime.h) — simulated usage
// that tests set through pod annotations, so metrics pipelines can be checked with exact
// figures and no processes. Tests in fake_runtime_test.cc.
#include <cstdlib>
#include <optional>
#include <string>

#include "fake_runtime.h"

namespace capstan::plugins::fake_runtime {
namespace {

using sdk::json::Json;

// A non-negative integer annotation of the sandbox, or 0 when absent or not a number.
uint64_t AnnotationNumber(const Json& annotations, std::string_view key) {
  std::optional<std::string> text = sdk::json::GetString(annotations, key);
  if (!text || text->empty()) return 0;
  char* end = nullptr;
  unsigned long long n = std::strtoull(text->c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || (*text)[0] == '-') return 0;
  return n;
}

}  // namespace

sdk::Status FakeRuntime::ListContainerStats(sdk::Call&, std::string_view request_json,
                                            std::string* response_json) {
  std::optional<Json> req = sdk::json::Parse(request_json.empty() ? "{}" : request_json);
  if (!req || !req->is_object()) return sdk::Status::Invalid("request is not a JSON object");
  const Json* filter = sdk::json::GetObject(*req, "filter");
  std::string want_id = filter != nullptr ? sdk::json::GetString(*filter, "id").value_or("") : "";
  std::string want_sandbox =
      filter != nullptr ? sdk::json::GetString(*filter, "podSandboxId").value_or("") : "";
  Json stats = Json::array();
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = NowNs();
  for (auto& [id, c] : containers_) {
    AdvanceLocked(&c, now);
    if (c.state != "CONTAINER_RUNNING") continue;
    if (!want_id.empty() && id != want_id) continue;
    if (!want_sandbox.empty() && c.sandbox_id != want_sandbox) continue;
    auto sb = sandboxes_.find(c.sandbox_id);
    if (sb == sandboxes_.end()) continue;
    const Json& annotations = sb->second.annotations;
    // millicores * elapsed ns / 1000: the CPU time a process using that rate would have had.
    uint64_t millicores = AnnotationNumber(annotations, kCpuMillicoresAnnotation);
    uint64_t elapsed = now > c.started_at ? static_cast<uint64_t>(now - c.started_at) : 0;
    uint64_t cpu_ns = elapsed / 1000 * millicores + elapsed % 1000 * millicores / 1000;
    uint64_t memory = AnnotationNumber(annotations, kMemoryBytesAnnotation);
    const Json* labels = sdk::json::GetObject(c.config, "labels");
    stats.push_back(
        Json{{"attributes",
              {{"id", id},
               {"metadata", c.metadata},
               {"labels", labels != nullptr ? *labels : Json::object()}}},
             {"cpu", {{"timestamp", now}, {"usageCoreNanoSeconds", {{"value", cpu_ns}}}}},
             {"memory", {{"timestamp", now}, {"workingSetBytes", {{"value", memory}}}}}});
  }
  *response_json = sdk::json::Dump(Json{{"stats", stats}});
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::fake_runtime
