// Runtime plugin `runc`: `RuncRuntime::ListContainerStats` (runc_runtime.h) — usage of running
// containers from their cgroups (cgroup_stats.h), for the agent's /metrics/resource.
#include <vector>

#include "cgroup_stats.h"
#include "process.h"
#include "runc_runtime.h"

namespace capstan::plugins::runc_runtime {

sdk::Status RuncRuntime::ListContainerStats(sdk::Call&, std::string_view request_json,
                                            std::string* response_json) {
  using sdk::json::Json;
  Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  const Json* filter = sdk::json::GetObject(req, "filter");
  std::string want_id = filter != nullptr ? sdk::json::GetString(*filter, "id").value_or("") : "";
  std::string want_sandbox =
      filter != nullptr ? sdk::json::GetString(*filter, "podSandboxId").value_or("") : "";
  struct Target {
    ContainerRecord record;
    std::string cgroup;  // relative, as given to runc
  };
  std::vector<Target> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, c] : containers_) {
      if (!want_id.empty() && id != want_id) continue;
      if (!want_sandbox.empty() && c.sandbox_id != want_sandbox) continue;
      auto sb = sandboxes_.find(c.sandbox_id);
      if (sb == sandboxes_.end()) continue;
      targets.push_back({c, sb->second.cgroup_parent + "/" + c.id});
    }
  }
  // Files and /proc are read outside the lock.
  std::string self_cgroup = ReadSelfCgroup();
  Json stats = Json::array();
  for (const Target& t : targets) {
    if (Observe(t.record).state != "CONTAINER_RUNNING") continue;
    CgroupUsage usage = ReadCgroupUsage("/sys/fs/cgroup", self_cgroup, t.cgroup);
    if (!usage.has_cpu && !usage.has_memory) continue;
    int64_t now = WallNs();
    Json item = {
        {"attributes",
         {{"id", t.record.id}, {"metadata", t.record.metadata}, {"labels", t.record.labels}}}};
    if (usage.has_cpu) {
      item["cpu"] = {{"timestamp", now}, {"usageCoreNanoSeconds", {{"value", usage.cpu_ns}}}};
    }
    if (usage.has_memory) {
      item["memory"] = {{"timestamp", now},
                        {"workingSetBytes", {{"value", usage.working_set_bytes}}}};
    }
    stats.push_back(std::move(item));
  }
  *response_json = sdk::json::Dump(Json{{"stats", stats}});
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
