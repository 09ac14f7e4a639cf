// `capstan::sdk::Host`: the host-services table of one plugin instance, resolved by name once
// when the instance is created, with every service degrading to a no-op or UNAVAILABLE when the
// host lacks it. `Metric` is a defined metric. Partners: call.h (per-call services), sched.h
// (cycle services), testing/fake_host.h (a fake table for unit tests).
#ifndef CAPSTAN_SDK_HOST_H_
#define CAPSTAN_SDK_HOST_H_

#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "capstan/abi/common.h"
#include "capstan/abi/sched.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

enum class LogLevel : int32_t {
  kDebug = CAPSTAN_LOG_DEBUG,
  kInfo = CAPSTAN_LOG_INFO,
  kWarn = CAPSTAN_LOG_WARN,
  kError = CAPSTAN_LOG_ERROR,
};

enum class MetricType : int32_t {
  kCounter = CAPSTAN_METRIC_COUNTER,
  kGauge = CAPSTAN_METRIC_GAUGE,
  kHistogram = CAPSTAN_METRIC_HISTOGRAM,
};

class Host;

// A metric defined during `Init`. A default-constructed (or failed) Metric ignores records, so
// plugins never branch on whether the host has metrics. Copyable; `Record` is thread-safe.
class Metric {
 public:
  Metric() = default;
  Metric(const Host* host, uint32_t id) : host_(host), id_(id) {}
  bool valid() const { return host_ != nullptr; }
  uint32_t id() const { return id_; }
  // Counter: += value; gauge: = value; histogram: observe value.
  inline void Record(double value) const;

 private:
  const Host* host_ = nullptr;
  uint32_t id_ = 0;
};

// Owned by the SDK's per-instance wrapper and handed to `Init(const Host&, ...)`; it stays valid
// until the instance is destroyed, so plugins may keep a `const Host*`. Every method is
// thread-safe (the host's services are, per common.h). Not copyable: posted tasks refer to it.
class Host {
 public:
  // A host without services: everything is a no-op or UNAVAILABLE. Useful in plain unit tests.
  Host() = default;
  // Resolves every known service of `host` (may be NULL). Does not keep `host` itself.
  explicit Host(const capstan_host* host) {
    if (host == nullptr || !CAPSTAN_SDK_HAS_FIELD(host, capstan_host, get_proc) ||
        host->get_proc == nullptr) {
      return;
    }
    ctx_ = host->ctx;
    auto get = [&](const char* name) { return host->get_proc(host->ctx, name); };
    log_ = reinterpret_cast<capstan_host_log_v1_fn>(get("capstan_host_log_v1"));
    metric_define_ =
        reinterpret_cast<capstan_host_metric_define_v1_fn>(get("capstan_host_metric_define_v1"));
    metric_record_ =
        reinterpret_cast<capstan_host_metric_record_v1_fn>(get("capstan_host_metric_record_v1"));
    call_cancelled_ =
        reinterpret_cast<capstan_host_call_cancelled_v1_fn>(get("capstan_host_call_cancelled_v1"));
    post_ = reinterpret_cast<capstan_host_post_v1_fn>(get("capstan_host_post_v1"));
    cache_get_ = reinterpret_cast<capstan_host_cache_get_v1_fn>(get("capstan_host_cache_get_v1"));
    cache_list_ =
        reinterpret_cast<capstan_host_cache_list_v1_fn>(get("capstan_host_cache_list_v1"));
    api_request_ =
        reinterpret_cast<capstan_host_api_request_v1_fn>(get("capstan_host_api_request_v1"));
    sched_object_json_ = reinterpret_cast<capstan_host_sched_object_json_v1_fn>(
        get("capstan_host_sched_object_json_v1"));
    sched_node_pods_ = reinterpret_cast<capstan_host_sched_node_pods_v1_fn>(
        get("capstan_host_sched_node_pods_v1"));
    sched_cycle_write_ = reinterpret_cast<capstan_host_sched_cycle_write_v1_fn>(
        get("capstan_host_sched_cycle_write_v1"));
    sched_cycle_read_ = reinterpret_cast<capstan_host_sched_cycle_read_v1_fn>(
        get("capstan_host_sched_cycle_read_v1"));
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  // Frees tasks the host dropped without running (it runs or drops all before `on_destroy`).
  ~Host() {
    for (Task* t : pending_) delete t;
  }

  // ---- Logging (no-op without the service) ----
  void Log(LogLevel level, std::string_view msg, std::string_view fields_json = {}) const {
    if (log_ != nullptr) {
      log_(ctx_, static_cast<int32_t>(level), ToHostStr(msg), ToHostStr(fields_json));
    }
  }
  void Debug(std::string_view msg) const { Log(LogLevel::kDebug, msg); }
  void Info(std::string_view msg) const { Log(LogLevel::kInfo, msg); }
  void Warn(std::string_view msg) const { Log(LogLevel::kWarn, msg); }
  void Error(std::string_view msg) const { Log(LogLevel::kError, msg); }

  // ---- Metrics: define during Init only, record anywhere ----
  // OK with `*out` set; INVALID (bad name, duplicate); UNAVAILABLE (no service, or after init).
  // On failure `*out` is a Metric that ignores records.
  Status DefineMetric(std::string_view name, std::string_view help, MetricType type,
                      Metric* out) const {
    *out = Metric();
    if (metric_define_ == nullptr || metric_record_ == nullptr) {
      return Status::Unavailable("host has no metrics service");
    }
    uint32_t id = 0;
    capstan_rc rc =
        metric_define_(ctx_, ToHostStr(name), ToHostStr(help), static_cast<int32_t>(type), &id);
    if (rc != CAPSTAN_RC_OK) {
      return Status(rc, "defining metric '" + std::string(name) + "' failed");
    }
    *out = Metric(this, id);
    return Status::Ok();
  }
  // Shorthands that log a warning on failure and return a no-op Metric.
  Metric Counter(std::string_view name, std::string_view help) const {
    return DefineOrWarn(name, help, MetricType::kCounter);
  }
  Metric Gauge(std::string_view name, std::string_view help) const {
    return DefineOrWarn(name, help, MetricType::kGauge);
  }
  Metric Histogram(std::string_view name, std::string_view help) const {
    return DefineOrWarn(name, help, MetricType::kHistogram);
  }
  void RecordMetric(uint32_t id, double value) const {
    if (metric_record_ != nullptr) metric_record_(ctx_, id, value);
  }

  // ---- Work on host threads ----
  // Runs `task` later (after `delay_ms`) on a host-owned thread. OK, or UNAVAILABLE when the host
  // has no executor or is shutting down (then `task` never runs). An exception escaping `task`
  // is logged and swallowed. Plugins must not start threads; they post instead (convention 8).
  Status Post(std::function<void()> task, uint64_t delay_ms = 0) const {
    if (post_ == nullptr) return Status::Unavailable("host has no executor");
    Task* t = new Task{this, std::move(task)};
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.insert(t);
    }
    capstan_rc rc = post_(ctx_, &Host::RunTask, t, delay_ms);
    if (rc != CAPSTAN_RC_OK) {
      Forget(t);
      delete t;
      return Status(rc, "host refused the task");
    }
    return Status::Ok();
  }

  // ---- Cancellation ----
  // 1 when the call behind `handle` was cancelled or its deadline passed; false without service.
  bool CallCancelled(capstan_host_call_handle* handle) const {
    return call_cancelled_ != nullptr && handle != nullptr && call_cancelled_(handle) != 0;
  }

  // ---- Object access (copies out of the host's buffer) ----
  // `resource` is "group/version/resource" ("/v1/pods"), `key` "ns/name" or "name".
  // OK, NOT_FOUND, or UNAVAILABLE (no service or kind not cached for this plugin).
  Status CacheGet(std::string_view resource, std::string_view key, std::string* out_json) const {
    out_json->clear();
    if (cache_get_ == nullptr) return Status::Unavailable("host has no object cache");
    capstan_host_buf buf{nullptr, 0};
    capstan_rc rc = cache_get_(ctx_, ToHostStr(resource), ToHostStr(key), &buf);
    if (rc != CAPSTAN_RC_OK) {
      return Status(
          rc, std::string(resource) + " " + std::string(key) + ": " + std::string(RcName(rc)));
    }
    out_json->assign(ToView(buf));
    return Status::Ok();
  }
  // A JSON array of the objects of `resource` in `ns` (empty: all) matching `label_selector`.
  Status CacheList(std::string_view resource, std::string_view ns, std::string_view label_selector,
                   std::string* out_json) const {
    out_json->clear();
    if (cache_list_ == nullptr) return Status::Unavailable("host has no object cache");
    capstan_host_buf buf{nullptr, 0};
    capstan_rc rc =
        cache_list_(ctx_, ToHostStr(resource), ToHostStr(ns), ToHostStr(label_selector), &buf);
    if (rc != CAPSTAN_RC_OK) {
      return Status(rc, "listing " + std::string(resource) + ": " + std::string(RcName(rc)));
    }
    out_json->assign(ToView(buf));
    return Status::Ok();
  }
  // A blocking API request as the plugin's identity (never from a scheduler hot path). `call` is
  // the current call (for its deadline) or NULL from posted work. OK when a response arrived,
  // whatever its HTTP status; UNAVAILABLE or DEADLINE_EXCEEDED otherwise.
  Status ApiRequest(capstan_call* call, std::string_view method, std::string_view path,
                    std::string_view content_type, std::string_view body, int32_t* out_http_status,
                    std::string* out_body) const {
    *out_http_status = 0;
    out_body->clear();
    if (api_request_ == nullptr) return Status::Unavailable("host has no API client");
    capstan_host_buf buf{nullptr, 0};
    capstan_rc rc = api_request_(ctx_, call, ToHostStr(method), ToHostStr(path),
                                 ToHostStr(content_type), ToHostBuf(body), out_http_status, &buf);
    if (rc != CAPSTAN_RC_OK) {
      return Status(rc,
                    std::string(method) + " " + std::string(path) + ": " + std::string(RcName(rc)));
    }
    out_body->assign(ToView(buf));
    return Status::Ok();
  }

  // Which services the host offered (for plugins that want to refuse to start without one).
  bool has_log() const { return log_ != nullptr; }
  bool has_metrics() const { return metric_define_ != nullptr && metric_record_ != nullptr; }
  bool has_post() const { return post_ != nullptr; }
  bool has_cache() const { return cache_get_ != nullptr && cache_list_ != nullptr; }
  bool has_api() const { return api_request_ != nullptr; }

  // Raw scheduling services, used by `sdk::Cycle` (sched.h); NULL when absent.
  capstan_host_ctx* ctx() const { return ctx_; }
  capstan_host_sched_object_json_v1_fn sched_object_json() const { return sched_object_json_; }
  capstan_host_sched_node_pods_v1_fn sched_node_pods() const { return sched_node_pods_; }
  capstan_host_sched_cycle_write_v1_fn sched_cycle_write() const { return sched_cycle_write_; }
  capstan_host_sched_cycle_read_v1_fn sched_cycle_read() const { return sched_cycle_read_; }

 private:
  struct Task {
    const Host* host;
    std::function<void()> fn;
  };

  static void RunTask(void* arg) noexcept {
    Task* t = static_cast<Task*>(arg);
    t->host->Forget(t);
    try {
      t->fn();
    } catch (const std::exception& e) {
      t->host->Error(std::string("posted task threw: ") + e.what());
    } catch (...) {
      t->host->Error("posted task threw a non-standard exception");
    }
    delete t;
  }
  void Forget(Task* t) const {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(t);
  }
  Metric DefineOrWarn(std::string_view name, std::string_view help, MetricType type) const {
    Metric m;
    Status s = DefineMetric(name, help, type, &m);
    if (!s.ok() && s.code() != CAPSTAN_RC_UNAVAILABLE) Warn(s.ToString());
    return m;
  }

  capstan_host_ctx* ctx_ = nullptr;
  capstan_host_log_v1_fn log_ = nullptr;
  capstan_host_metric_define_v1_fn metric_define_ = nullptr;
  capstan_host_metric_record_v1_fn metric_record_ = nullptr;
  capstan_host_call_cancelled_v1_fn call_cancelled_ = nullptr;
  capstan_host_post_v1_fn post_ = nullptr;
  capstan_host_cache_get_v1_fn cache_get_ = nullptr;
  capstan_host_cache_list_v1_fn cache_list_ = nullptr;
  capstan_host_api_request_v1_fn api_request_ = nullptr;
  capstan_host_sched_object_json_v1_fn sched_object_json_ = nullptr;
  capstan_host_sched_node_pods_v1_fn sched_node_pods_ = nullptr;
  capstan_host_sched_cycle_write_v1_fn sched_cycle_write_ = nullptr;
  capstan_host_sched_cycle_read_v1_fn sched_cycle_read_ = nullptr;

  mutable std::mutex mu_;                      // guards pending_
  mutable std::unordered_set<Task*> pending_;  // posted, not yet run
};

inline void Metric::Record(double value) const {
  if (host_ != nullptr) host_->RecordMetric(id_, value);
}

}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_HOST_H_
