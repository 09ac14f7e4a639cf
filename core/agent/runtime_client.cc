// RuntimeClient (runtime_client.h): method-name dispatch onto the runtime vtable.
#include "core/agent/runtime_client.h"

#include <cstdlib>
#include <utility>

namespace capstan::agent {
namespace {

using Rpc = capstan_runtime_rpc_fn capstan_runtime_v1::*;

struct Method {
  std::string_view name;
  Rpc rpc;
};

constexpr Method kMethods[] = {
    {"RunPodSandbox", &capstan_runtime_v1::on_run_pod_sandbox},
    {"StopPodSandbox", &capstan_runtime_v1::on_stop_pod_sandbox},
    {"RemovePodSandbox", &capstan_runtime_v1::on_remove_pod_sandbox},
    {"PodSandboxStatus", &capstan_runtime_v1::on_pod_sandbox_status},
    {"CreateContainer", &capstan_runtime_v1::on_create_container},
    {"StartContainer", &capstan_runtime_v1::on_start_container},
    {"StopContainer", &capstan_runtime_v1::on_stop_container},
    {"RemoveContainer", &capstan_runtime_v1::on_remove_container},
    {"ContainerStatus", &capstan_runtime_v1::on_container_status},
    {"ListPodSandbox", &capstan_runtime_v1::on_list_pod_sandboxes},
    {"ListContainers", &capstan_runtime_v1::on_list_containers},
    {"ExecSync", &capstan_runtime_v1::on_exec_sync},
    {"ListContainerStats", &capstan_runtime_v1::on_list_container_stats},
};

// A CRI UInt64Value's "value": a JSON number or a proto3 int64 string; false when absent.
bool ReadUint64(const nlohmann::json& parent, const char* key, uint64_t* out) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_object()) return false;
  auto v = it->find("value");
  if (v == it->end()) return false;
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0)) {
    *out = v->get<uint64_t>();
    return true;
  }
  if (v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    char* end = nullptr;
    unsigned long long n = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || end == nullptr || *end != '\0') return false;
    *out = n;
    return true;
  }
  return false;
}

// A timestamp in nanoseconds: a JSON number or a proto3 int64 string; 0 when absent.
int64_t ReadTimestamp(const nlohmann::json& parent) {
  auto it = parent.find("timestamp");
  if (it == parent.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) return std::strtoll(it->get_ref<const std::string&>().c_str(), nullptr, 10);
  return 0;
}

RuntimeClient::ContainerStats ParseStats(const nlohmann::json& item) {
  RuntimeClient::ContainerStats out;
  const nlohmann::json attrs = item.value("attributes", nlohmann::json::object());
  if (attrs.is_object()) {
    out.id = attrs.value("id", "");
    const nlohmann::json meta = attrs.value("metadata", nlohmann::json::object());
    if (meta.is_object()) out.name = meta.value("name", "");
    const nlohmann::json labels = attrs.value("labels", nlohmann::json::object());
    if (labels.is_object()) {
      for (const auto& [k, v] : labels.items()) {
        if (v.is_string()) out.labels[k] = v.get<std::string>();
      }
    }
  }
  if (auto cpu = item.find("cpu"); cpu != item.end() && cpu->is_object()) {
    out.has_cpu = ReadUint64(*cpu, "usageCoreNanoSeconds", &out.usage_core_nanoseconds);
    out.cpu_timestamp_ns = ReadTimestamp(*cpu);
  }
  if (auto mem = item.find("memory"); mem != item.end() && mem->is_object()) {
    out.has_memory = ReadUint64(*mem, "workingSetBytes", &out.working_set_bytes);
    out.memory_timestamp_ns = ReadTimestamp(*mem);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<RuntimeClient>> RuntimeClient::Create(
    std::shared_ptr<plugin::PluginInstance> instance, std::chrono::milliseconds call_timeout) {
  if (instance == nullptr || instance->runtime() == nullptr) {
    return InvalidError("the agent's runtime plugin does not implement the runtime kind");
  }
  return std::unique_ptr<RuntimeClient>(new RuntimeClient(std::move(instance), call_timeout));
}

Result<nlohmann::json> RuntimeClient::Call(std::string_view method,
                                           const nlohmann::json& request) const {
  Rpc rpc = nullptr;
  for (const Method& m : kMethods) {
    if (m.name == method) rpc = m.rpc;
  }
  if (rpc == nullptr) return InvalidError("unknown runtime method '" + std::string(method) + "'");
  const capstan_runtime_v1* vt = instance_->runtime();
  capstan_runtime_rpc_fn fn = vt->*rpc;
  if (fn == nullptr) return UnimplementedError(instance_->Describe() + " " + std::string(method));
  std::string body = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  int64_t timeout_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(call_timeout_).count();
  // Parsed inside the call: the plugin's buffer is valid only until its next call on this thread.
  Result<nlohmann::json> parsed = nlohmann::json::object();
  plugin::CallOutcome o = instance_->Invoke(
      method, plugin::CallOptions::WithTimeout(timeout_ns),
      [&](capstan_plugin_state* st, capstan_call* c) {
        capstan_host_buf in{reinterpret_cast<const uint8_t*>(body.data()), body.size()};
        capstan_plugin_buf out{nullptr, 0};
        capstan_rc rc = fn(st, c, in, &out);
        if (rc == CAPSTAN_RC_OK && out.len > 0) parsed = instance_->ParseJsonOutput(out, method);
        return rc;
      });
  if (!o.ok()) return o.ToStatus();
  return parsed;
}

Result<int32_t> RuntimeClient::Exec(const std::string& container_id,
                                    const std::vector<std::string>& cmd, const ExecStreams& streams,
                                    const plugin::CancelToken* cancel) const {
  const capstan_runtime_v1* vt = instance_->runtime();
  if (vt->on_exec == nullptr) return UnimplementedError(instance_->Describe() + " Exec");
  std::string body = nlohmann::json{{"containerId", container_id}, {"cmd", cmd}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  capstan_runtime_streams s{};
  s.struct_size = sizeof(s);
  s.stdin_fd = streams.stdin_fd;
  s.stdout_fd = streams.stdout_fd;
  s.stderr_fd = streams.stderr_fd;
  s.tty = streams.tty ? 1 : 0;
  s.resize_fd = streams.resize_fd;
  plugin::CallOptions options;  // no deadline: an interactive shell lasts as long as its user
  options.cancel = cancel;
  int32_t exit_code = -1;
  plugin::CallOutcome o =
      instance_->Invoke("Exec", options, [&](capstan_plugin_state* st, capstan_call* c) {
        capstan_host_buf in{reinterpret_cast<const uint8_t*>(body.data()), body.size()};
        return vt->on_exec(st, c, in, &s, &exit_code);
      });
  if (!o.ok()) return o.ToStatus();
  return exit_code;
}

Status RuntimeClient::Attach(const std::string& container_id, const ExecStreams& streams,
                             const plugin::CancelToken* cancel) const {
  const capstan_runtime_v1* vt = instance_->runtime();
  if (vt->on_attach == nullptr) {
    return UnimplementedError(instance_->Describe() + " has no attach (runtime ABI minor 3)");
  }
  std::string body = nlohmann::json{{"containerId", container_id}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  capstan_runtime_streams s{};
  s.struct_size = sizeof(s);
  s.stdin_fd = streams.stdin_fd;
  s.stdout_fd = -1;
  s.stderr_fd = -1;
  s.tty = streams.tty ? 1 : 0;
  s.resize_fd = streams.resize_fd;
  plugin::CallOptions options;  // no deadline: an attached user types as long as they like
  options.cancel = cancel;
  plugin::CallOutcome o =
      instance_->Invoke("Attach", options, [&](capstan_plugin_state* st, capstan_call* c) {
        capstan_host_buf in{reinterpret_cast<const uint8_t*>(body.data()), body.size()};
        return vt->on_attach(st, c, in, &s);
      });
  if (!o.ok()) return o.ToStatus();
  return Status::Ok();
}

Result<std::vector<RuntimeClient::ContainerStats>> RuntimeClient::ListContainerStats() const {
  std::vector<ContainerStats> out;
  if (instance_->runtime()->on_list_container_stats == nullptr) return out;
  Result<nlohmann::json> resp = Call("ListContainerStats", {{"filter", nlohmann::json::object()}});
  if (!resp.ok()) return resp.status();
  const nlohmann::json* stats = nullptr;
  if (resp->is_object()) {
    auto it = resp->find("stats");
    if (it != resp->end() && it->is_array()) stats = &*it;
  }
  if (stats == nullptr) {
    if (resp->is_object() && !resp->contains("stats")) return out;  // {}: nothing running
    return InternalError(instance_->Describe() + " ListContainerStats: \"stats\" is not a list");
  }
  for (const nlohmann::json& item : *stats) {
    if (!item.is_object()) continue;
    ContainerStats s = ParseStats(item);
    if (!s.id.empty()) out.push_back(std::move(s));
  }
  return out;
}

std::string RuntimeClient::RuntimeVersion() const {
  return instance_->info().name + "://" + instance_->info().version;
}

}  // namespace capstan::agent
