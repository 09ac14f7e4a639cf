// Built-in host services and name lookup (host_context.h).
#include "core/plugin/host_context.h"

#include <cstdio>
#include <cstdlib>

#include "core/common/log.h"
#include "core/plugin/call.h"

namespace capstan::plugin {
namespace {

std::string_view View(capstan_host_str s) {
  if (s.data == nullptr) return {};
  return {s.data, s.len};
}

void LogV1(capstan_host_ctx* ctx, int32_t level, capstan_host_str msg,
           capstan_host_str fields_json) {
  if (ctx == nullptr) return;
  if (msg.data == nullptr && msg.len > 0) msg = {"<malformed log message>", 23};
  HostContext::FromHandle(ctx)->Log(level, View(msg), View(fields_json));
}

capstan_rc MetricDefineV1(capstan_host_ctx* ctx, capstan_host_str name, capstan_host_str help,
                          int32_t type, uint32_t* out_id) {
  if (ctx == nullptr) return CAPSTAN_RC_INVALID;
  return HostContext::FromHandle(ctx)->DefineMetric(View(name), View(help), type, out_id);
}

void MetricRecordV1(capstan_host_ctx* ctx, uint32_t id, double value) {
  if (ctx != nullptr) HostContext::FromHandle(ctx)->RecordMetric(id, value);
}

int32_t CallCancelledV1(capstan_host_call_handle* call) {
  if (call == nullptr) return 0;
  return CallContext::FromHandle(call)->Cancelled() ? 1 : 0;
}

capstan_rc PostV1(capstan_host_ctx* ctx, capstan_plugin_task_fn fn, void* arg, uint64_t delay_ms) {
  if (ctx == nullptr) return CAPSTAN_RC_INVALID;
  return HostContext::FromHandle(ctx)->Post(fn, arg, delay_ms);
}

capstan_host_proc GetProcThunk(capstan_host_ctx* ctx, const char* name) {
  if (ctx == nullptr || name == nullptr) return nullptr;
  return HostContext::FromHandle(ctx)->GetProc(name);
}

template <typename Fn>
capstan_host_proc AsProc(Fn fn) {
  return reinterpret_cast<capstan_host_proc>(fn);
}

bool ValidLocalMetricName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

HostContext::HostContext(Options options) : options_(std::move(options)) {
  table_.struct_size = sizeof(capstan_host);
  table_.abi_major = CAPSTAN_ABI_MAJOR;
  table_.abi_minor = CAPSTAN_ABI_MINOR;
  table_.ctx = reinterpret_cast<capstan_host_ctx*>(this);
  table_.get_proc = &GetProcThunk;
  if (options_.executor) owner_ = options_.executor->NewOwner();
  procs_["capstan_host_log_v1"] = AsProc(&LogV1);
  procs_["capstan_host_call_cancelled_v1"] = AsProc(&CallCancelledV1);
  procs_["capstan_host_post_v1"] = AsProc(&PostV1);
  if (options_.metrics) {
    procs_["capstan_host_metric_define_v1"] = AsProc(&MetricDefineV1);
    procs_["capstan_host_metric_record_v1"] = AsProc(&MetricRecordV1);
  }
}

HostContext::~HostContext() {
  Shutdown();
  if (options_.metrics) {
    for (const std::string& name : metric_names_) {
      options_.metrics->Remove(name, options_.instance_name);
    }
  }
}

void HostContext::RegisterProc(std::string name, capstan_host_proc proc) {
  if (init_done_.load()) {
    std::fprintf(stderr, "capstan: HostContext::RegisterProc(%s) after init\n", name.c_str());
    std::abort();
  }
  std::lock_guard lock(mu_);
  procs_[std::move(name)] = proc;
}

void HostContext::SetUserData(std::string key, void* data) {
  std::lock_guard lock(mu_);
  user_data_[std::move(key)] = data;
}

void* HostContext::UserData(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = user_data_.find(key);
  return it == user_data_.end() ? nullptr : it->second;
}

capstan_host_proc HostContext::GetProc(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = procs_.find(name);
  return it == procs_.end() ? nullptr : it->second;
}

void HostContext::EndInit() { init_done_.store(true, std::memory_order_release); }

size_t HostContext::Shutdown() {
  if (!owner_) return 0;
  return options_.executor->Drain(owner_);
}

void HostContext::Log(int32_t level, std::string_view msg, std::string_view fields_json) const {
  log::Level l = level <= CAPSTAN_LOG_DEBUG  ? log::Level::kDebug
                 : level == CAPSTAN_LOG_INFO ? log::Level::kInfo
                 : level == CAPSTAN_LOG_WARN ? log::Level::kWarn
                                             : log::Level::kError;
  if (!log::Enabled(l)) return;
  if (fields_json.empty()) {
    log::Write(l, "plugin", msg,
               {{"plugin", options_.plugin_name}, {"instance", options_.instance_name}});
  } else {
    log::Write(l, "plugin", msg,
               {{"plugin", options_.plugin_name},
                {"instance", options_.instance_name},
                {"fields", fields_json}});
  }
}

capstan_rc HostContext::DefineMetric(std::string_view name, std::string_view help, int32_t type,
                                     uint32_t* out_id) {
  if (init_done_.load(std::memory_order_acquire)) return CAPSTAN_RC_UNAVAILABLE;
  if (out_id == nullptr || !ValidLocalMetricName(name)) return CAPSTAN_RC_INVALID;
  if (type < CAPSTAN_METRIC_COUNTER || type > CAPSTAN_METRIC_HISTOGRAM) return CAPSTAN_RC_INVALID;
  std::string full = PluginMetricPrefix(options_.plugin_name) + std::string(name);
  std::lock_guard lock(mu_);
  auto series =
      options_.metrics->Define(full, help, static_cast<MetricType>(type), options_.instance_name);
  if (!series.ok()) {
    Log(CAPSTAN_LOG_WARN, "metric definition refused", "");
    return CAPSTAN_RC_INVALID;
  }
  series_.push_back(*series);
  metric_names_.push_back(std::move(full));
  *out_id = static_cast<uint32_t>(series_.size() - 1);
  return CAPSTAN_RC_OK;
}

void HostContext::RecordMetric(uint32_t id, double value) {
  if (init_done_.load(std::memory_order_acquire)) {
    if (id < series_.size()) series_[id]->Record(value);  // frozen after init: no lock
    return;
  }
  std::lock_guard lock(mu_);
  if (id < series_.size()) series_[id]->Record(value);
}

capstan_rc HostContext::Post(capstan_plugin_task_fn fn, void* arg, uint64_t delay_ms) {
  if (fn == nullptr) return CAPSTAN_RC_INVALID;
  if (!owner_) return CAPSTAN_RC_UNAVAILABLE;
  const HostContext* self = this;
  Status s = options_.executor->Post(
      owner_,
      [fn, arg, self] {
        try {
          fn(arg);
        } catch (...) {
          self->Log(CAPSTAN_LOG_ERROR, "posted task threw across the ABI", "");
        }
      },
      delay_ms);
  return s.ok() ? CAPSTAN_RC_OK : CAPSTAN_RC_UNAVAILABLE;
}

}  // namespace capstan::plugin
