// `FakeHost`: an in-memory `capstan_host` for unit-testing plugins without the core. It records
// logs and metrics, runs posted work inline or on demand, serves cache objects from a map, answers
// API requests from canned responses, and offers the scheduler's cycle services. `FakeCall` is a
// `capstan_call` with its own error buffer and cancellation flag. Partners: requests.h (request
// builders), harness.h (drives a plugin through its C vtables). Header-only, C++17.
#ifndef CAPSTAN_SDK_TESTING_FAKE_HOST_H_
#define CAPSTAN_SDK_TESTING_FAKE_HOST_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/abi/common.h"
#include "capstan/abi/sched.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk::testing {

// One `capstan_call` for one plugin call. Movable; not thread-safe except `Cancel`.
class FakeCall {
 public:
  explicit FakeCall(int64_t deadline_mono_ns = 0) : state_(std::make_unique<State>()) {
    state_->call.struct_size = sizeof(capstan_call);
    state_->call.deadline_mono_ns = deadline_mono_ns;
    state_->call.error_buf = state_->error;
    state_->call.error_cap = sizeof(state_->error);
    state_->call.handle = reinterpret_cast<capstan_host_call_handle*>(state_.get());
  }
  capstan_call* get() { return &state_->call; }
  // The NUL-terminated text the plugin wrote, or "".
  std::string error() const { return std::string(state_->error); }
  uint32_t retry_after_ms() const { return state_->call.retry_after_ms; }
  // Makes "capstan_host_call_cancelled_v1" report this call as cancelled.
  void Cancel() { state_->cancelled.store(true); }
  // Shrinks the error buffer (>= 1) to test truncation.
  void set_error_cap(uint32_t cap) { state_->call.error_cap = cap; }

  static bool IsCancelled(capstan_host_call_handle* handle) {
    return reinterpret_cast<State*>(handle)->cancelled.load();
  }

 private:
  struct State {
    capstan_call call{};
    char error[1024] = {};
    std::atomic<bool> cancelled{false};
  };
  std::unique_ptr<State> state_;
};

struct LogEntry {
  int32_t level;
  std::string message;
  std::string fields_json;
};

struct ApiCall {
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
};

// Thread-safe: every service and inspection method takes one mutex (posted tasks and the fake's
// own callbacks run without it held, so tasks may call back into the host).
class FakeHost {
 public:
  enum class PostMode { kInline, kManual };

  FakeHost() {
    host_.struct_size = sizeof(capstan_host);
    host_.abi_major = CAPSTAN_ABI_MAJOR;
    host_.abi_minor = CAPSTAN_ABI_MINOR;
    host_.ctx = reinterpret_cast<capstan_host_ctx*>(this);
    host_.get_proc = &GetProc;
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // The table to pass to `on_init`.
  const capstan_host* host() const { return &host_; }

  // Makes `get_proc(name)` return NULL, to test how a plugin degrades.
  void RemoveService(const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    removed_.insert(name);
  }

  // ---- Logs ----
  std::vector<LogEntry> logs() const {
    std::lock_guard<std::mutex> l(mu_);
    return logs_;
  }
  bool HasLog(std::string_view substring) const {
    std::lock_guard<std::mutex> l(mu_);
    for (const LogEntry& e : logs_) {
      if (e.message.find(substring) != std::string::npos) return true;
    }
    return false;
  }

  // ---- Metrics (names as the plugin defined them, without a prefix) ----
  // After `EndInit()`, defining a metric returns UNAVAILABLE, as the real host does.
  void EndInit() {
    std::lock_guard<std::mutex> l(mu_);
    init_over_ = true;
  }
  bool HasMetric(const std::string& name) const {
    std::lock_guard<std::mutex> l(mu_);
    return metric_ids_.count(name) > 0;
  }
  // Counter: the sum; gauge: the last value; histogram: the number of observations.
  double MetricValue(const std::string& name) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = metric_ids_.find(name);
    if (it == metric_ids_.end()) return 0;
    const MetricState& m = metrics_[it->second];
    return m.type == CAPSTAN_METRIC_HISTOGRAM ? static_cast<double>(m.observations.size())
                                              : m.value;
  }
  std::vector<double> Observations(const std::string& name) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = metric_ids_.find(name);
    return it == metric_ids_.end() ? std::vector<double>() : metrics_[it->second].observations;
  }

  // ---- Posted work ----
  // kInline (default) runs a task inside `post`; kManual queues it for `RunPosted`.
  void set_post_mode(PostMode mode) {
    std::lock_guard<std::mutex> l(mu_);
    post_mode_ = mode;
  }
  // Runs queued tasks (including ones they post) until none is left; returns how many ran.
  size_t RunPosted() {
    size_t ran = 0;
    for (;;) {
      std::pair<capstan_plugin_task_fn, void*> task;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (posted_.empty()) return ran;
        task = posted_.front();
        posted_.pop_front();
      }
      task.first(task.second);
      ++ran;
    }
  }
  size_t pending_posts() const {
    std::lock_guard<std::mutex> l(mu_);
    return posted_.size();
  }
  // Drops queued tasks without running them (the host may, before `on_destroy`).
  void DropPosted() {
    std::lock_guard<std::mutex> l(mu_);
    posted_.clear();
  }
  // From now on `post` returns UNAVAILABLE.
  void ShutDown() {
    std::lock_guard<std::mutex> l(mu_);
    shut_down_ = true;
  }

  // ---- Object cache ----
  // `labels` serve list selectors ("a=b,c", "!d", "e!=f"); the JSON is not parsed.
  void PutObject(const std::string& resource, const std::string& key, std::string json,
                 std::map<std::string, std::string> labels = {}) {
    std::lock_guard<std::mutex> l(mu_);
    cache_[resource][key] = CachedObject{std::move(json), std::move(labels)};
  }
  void DeleteObject(const std::string& resource, const std::string& key) {
    std::lock_guard<std::mutex> l(mu_);
    cache_[resource].erase(key);
  }

  // ---- API client ----
  // The response to `method path` (exact match, query included); others get 404.
  void SetApiResponse(const std::string& method, const std::string& path, int32_t http_status,
                      std::string body) {
    std::lock_guard<std::mutex> l(mu_);
    api_responses_[method + " " + path] = {http_status, std::move(body)};
  }
  std::vector<ApiCall> api_calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return api_calls_;
  }

  // ---- Scheduler services ----
  // Distinct cycle handles; the fake never dereferences them.
  capstan_sched_cycle* NewCycle() {
    return reinterpret_cast<capstan_sched_cycle*>(static_cast<uintptr_t>(++next_cycle_));
  }
  void SetObjectJson(capstan_sched_object* object, std::string json) {
    std::lock_guard<std::mutex> l(mu_);
    object_json_[object] = std::move(json);
  }
  // Pods returned for `node_index`; the views must outlive their use by the plugin.
  void SetNodePods(uint32_t node_index, std::vector<capstan_sched_pod_view> pods) {
    std::lock_guard<std::mutex> l(mu_);
    node_pods_[node_index] = std::move(pods);
  }
  std::optional<std::string> CycleValue(capstan_sched_cycle* cycle, const std::string& key) const {
    std::lock_guard<std::mutex> l(mu_);
    auto it = cycle_data_.find({cycle, key});
    if (it == cycle_data_.end()) return std::nullopt;
    return it->second;
  }

 private:
  struct MetricState {
    std::string name;
    int32_t type;
    double value = 0;
    std::vector<double> observations;
  };
  struct CachedObject {
    std::string json;
    std::map<std::string, std::string> labels;
  };

  static FakeHost* Self(capstan_host_ctx* ctx) { return reinterpret_cast<FakeHost*>(ctx); }
  // Host-owned output of object-access services: valid until the next such call on the thread.
  static std::string& HostOut() {
    thread_local std::string out;
    return out;
  }

  static capstan_host_proc GetProc(capstan_host_ctx* ctx, const char* name) {
    FakeHost* self = Self(ctx);
    {
      std::lock_guard<std::mutex> l(self->mu_);
      if (self->removed_.count(name) > 0) return nullptr;
    }
    std::string_view n(name);
    auto proc = [](auto fn) { return reinterpret_cast<capstan_host_proc>(fn); };
    if (n == "capstan_host_log_v1") return proc(&Log);
    if (n == "capstan_host_metric_define_v1") return proc(&MetricDefine);
    if (n == "capstan_host_metric_record_v1") return proc(&MetricRecord);
    if (n == "capstan_host_call_cancelled_v1") return proc(&CallCancelled);
    if (n == "capstan_host_post_v1") return proc(&Post);
    if (n == "capstan_host_cache_get_v1") return proc(&CacheGet);
    if (n == "capstan_host_cache_list_v1") return proc(&CacheList);
    if (n == "capstan_host_api_request_v1") return proc(&ApiRequest);
    if (n == "capstan_host_sched_object_json_v1") return proc(&ObjectJson);
    if (n == "capstan_host_sched_node_pods_v1") return proc(&NodePods);
    if (n == "capstan_host_sched_cycle_write_v1") return proc(&CycleWrite);
    if (n == "capstan_host_sched_cycle_read_v1") return proc(&CycleRead);
    return nullptr;
  }

  static void Log(capstan_host_ctx* ctx, int32_t level, capstan_host_str msg,
                  capstan_host_str fields) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    self->logs_.push_back({level, std::string(ToView(msg)), std::string(ToView(fields))});
  }

  static capstan_rc MetricDefine(capstan_host_ctx* ctx, capstan_host_str name,
                                 capstan_host_str help, int32_t type, uint32_t* out_id) {
    (void)help;
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    if (self->init_over_) return CAPSTAN_RC_UNAVAILABLE;
    std::string n(ToView(name));
    bool valid_name = !n.empty() && !(n[0] >= '0' && n[0] <= '9');
    for (char c : n) {
      valid_name = valid_name && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (!valid_name || type < CAPSTAN_METRIC_COUNTER || type > CAPSTAN_METRIC_HISTOGRAM ||
        self->metric_ids_.count(n) > 0) {
      return CAPSTAN_RC_INVALID;
    }
    *out_id = static_cast<uint32_t>(self->metrics_.size());
    self->metric_ids_[n] = *out_id;
    self->metrics_.push_back(MetricState{n, type, 0, {}});
    return CAPSTAN_RC_OK;
  }

  static void MetricRecord(capstan_host_ctx* ctx, uint32_t id, double value) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    if (id >= self->metrics_.size()) return;
    MetricState& m = self->metrics_[id];
    if (m.type == CAPSTAN_METRIC_COUNTER) m.value += value;
    if (m.type == CAPSTAN_METRIC_GAUGE) m.value = value;
    if (m.type == CAPSTAN_METRIC_HISTOGRAM) m.observations.push_back(value);
  }

  static int32_t CallCancelled(capstan_host_call_handle* handle) {
    return handle != nullptr && FakeCall::IsCancelled(handle) ? 1 : 0;
  }

  static capstan_rc Post(capstan_host_ctx* ctx, capstan_plugin_task_fn fn, void* arg,
                         uint64_t delay_ms) {
    (void)delay_ms;  // The fake has no clock: delayed tasks run with the others.
    FakeHost* self = Self(ctx);
    {
      std::lock_guard<std::mutex> l(self->mu_);
      if (self->shut_down_) return CAPSTAN_RC_UNAVAILABLE;
      if (self->post_mode_ == PostMode::kManual) {
        self->posted_.emplace_back(fn, arg);
        return CAPSTAN_RC_OK;
      }
    }
    fn(arg);
    return CAPSTAN_RC_OK;
  }

  static capstan_rc CacheGet(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str key,
                             capstan_host_buf* out) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    *out = {nullptr, 0};
    auto kind = self->cache_.find(std::string(ToView(resource)));
    if (kind == self->cache_.end()) return CAPSTAN_RC_UNAVAILABLE;
    auto obj = kind->second.find(std::string(ToView(key)));
    if (obj == kind->second.end()) return CAPSTAN_RC_NOT_FOUND;
    HostOut() = obj->second.json;
    *out = ToHostBuf(HostOut());
    return CAPSTAN_RC_OK;
  }

  static capstan_rc CacheList(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str ns,
                              capstan_host_str selector, capstan_host_buf* out) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    *out = {nullptr, 0};
    auto kind = self->cache_.find(std::string(ToView(resource)));
    if (kind == self->cache_.end()) return CAPSTAN_RC_UNAVAILABLE;
    std::string prefix = ns.len > 0 ? std::string(ToView(ns)) + "/" : std::string();
    std::string json = "[";
    for (const auto& [key, obj] : kind->second) {
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      if (!Matches(obj.labels, ToView(selector))) continue;
      if (json.size() > 1) json += ',';
      json += obj.json;
    }
    json += ']';
    HostOut() = std::move(json);
    *out = ToHostBuf(HostOut());
    return CAPSTAN_RC_OK;
  }

  // Equality, inequality, existence and non-existence requirements, comma-separated.
  static bool Matches(const std::map<std::string, std::string>& labels, std::string_view selector) {
    while (!selector.empty()) {
      size_t comma = selector.find(',');
      std::string_view req = selector.substr(0, comma);
      selector = comma == std::string_view::npos ? std::string_view() : selector.substr(comma + 1);
      if (req.empty()) continue;
      size_t ne = req.find("!=");
      size_t eq = req.find('=');
      if (req[0] == '!') {
        if (labels.count(std::string(req.substr(1))) > 0) return false;
      } else if (ne != std::string_view::npos) {
        auto it = labels.find(std::string(req.substr(0, ne)));
        if (it != labels.end() && it->second == req.substr(ne + 2)) return false;
      } else if (eq != std::string_view::npos) {
        size_t vpos = req.compare(eq, 2, "==") == 0 ? eq + 2 : eq + 1;
        auto it = labels.find(std::string(req.substr(0, eq)));
        if (it == labels.end() || it->second != req.substr(vpos)) return false;
      } else if (labels.count(std::string(req)) == 0) {
        return false;
      }
    }
    return true;
  }

  static capstan_rc ApiRequest(capstan_host_ctx* ctx, capstan_call* call, capstan_host_str method,
                               capstan_host_str path, capstan_host_str content_type,
                               capstan_host_buf body, int32_t* out_status,
                               capstan_host_buf* out_body) {
    (void)call;
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    ApiCall rec{std::string(ToView(method)), std::string(ToView(path)),
                std::string(ToView(content_type)), std::string(ToView(body))};
    auto it = self->api_responses_.find(rec.method + " " + rec.path);
    self->api_calls_.push_back(std::move(rec));
    if (it == self->api_responses_.end()) {
      *out_status = 404;
      HostOut() =
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404})";
    } else {
      *out_status = it->second.first;
      HostOut() = it->second.second;
    }
    *out_body = ToHostBuf(HostOut());
    return CAPSTAN_RC_OK;
  }

  static capstan_rc ObjectJson(capstan_host_ctx* ctx, capstan_sched_object* object,
                               capstan_host_buf* out) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    auto it = self->object_json_.find(object);
    if (it == self->object_json_.end()) return CAPSTAN_RC_NOT_FOUND;
    *out = ToHostBuf(it->second);  // stable until SetObjectJson replaces it
    return CAPSTAN_RC_OK;
  }

  static capstan_rc NodePods(capstan_host_ctx* ctx, capstan_sched_cycle* cycle, uint32_t node_index,
                             const capstan_sched_pod_view** out_pods, uint32_t* out_count) {
    (void)cycle;
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    auto it = self->node_pods_.find(node_index);
    *out_pods = it == self->node_pods_.end() ? nullptr : it->second.data();
    *out_count = it == self->node_pods_.end() ? 0 : static_cast<uint32_t>(it->second.size());
    return CAPSTAN_RC_OK;
  }

  static capstan_rc CycleWrite(capstan_host_ctx* ctx, capstan_sched_cycle* cycle,
                               capstan_host_str key, capstan_host_buf value) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    self->cycle_data_[{cycle, std::string(ToView(key))}] = std::string(ToView(value));
    return CAPSTAN_RC_OK;
  }

  static capstan_rc CycleRead(capstan_host_ctx* ctx, capstan_sched_cycle* cycle,
                              capstan_host_str key, capstan_host_buf* out) {
    FakeHost* self = Self(ctx);
    std::lock_guard<std::mutex> l(self->mu_);
    *out = {nullptr, 0};
    auto it = self->cycle_data_.find({cycle, std::string(ToView(key))});
    if (it == self->cycle_data_.end()) return CAPSTAN_RC_NOT_FOUND;
    *out = ToHostBuf(it->second);  // std::map nodes are stable: valid for the "cycle"
    return CAPSTAN_RC_OK;
  }

  capstan_host host_{};
  std::atomic<uint64_t> next_cycle_{0};
  mutable std::mutex mu_;
  std::set<std::string> removed_;
  std::vector<LogEntry> logs_;
  bool init_over_ = false;
  std::vector<MetricState> metrics_;
  std::map<std::string, uint32_t> metric_ids_;
  PostMode post_mode_ = PostMode::kInline;
  bool shut_down_ = false;
  std::deque<std::pair<capstan_plugin_task_fn, void*>> posted_;
  std::map<std::string, std::map<std::string, CachedObject>> cache_;
  std::map<std::string, std::pair<int32_t, std::string>> api_responses_;
  std::vector<ApiCall> api_calls_;
  std::map<capstan_sched_object*, std::string> object_json_;
  std::map<uint32_t, std::vector<capstan_sched_pod_view>> node_pods_;
  std::map<std::pair<capstan_sched_cycle*, std::string>, std::string> cycle_data_;
};

}  // namespace capstan::sdk::testing

#endif  // CAPSTAN_SDK_TESTING_FAKE_HOST_H_
