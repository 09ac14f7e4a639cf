// Test sched plugin `test-binder`: Reserve/Unreserve/Bind/PostBind. With "useApi" it reports
// through "capstan_host_api_request_v1": Bind POSTs a Binding to pods/<name>/binding (a 2xx
// binds; otherwise ERROR with the body), Unreserve POSTs to /test/unreserve/<ns>/<name> and
// PostBind to /test/postbind/<ns>/<name>. Without it Bind only counts (framework-only bench).
// Config: {"useApi": bool, "failReserve": bool}.
#include <atomic>
#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/plugin.h"

namespace {

using capstan::sdk::Call;
using capstan::sdk::Cycle;
using capstan::sdk::PodView;
using capstan::sdk::Status;

class TestBinder final : public capstan::sdk::SchedPlugin {
 public:
  Status Init(const capstan::sdk::Host& host, std::string_view config_json) {
    host_ = &host;
    auto config = capstan::sdk::json::Parse(config_json);
    if (!config) return Status::Invalid("bad config");
    use_api_ = capstan::sdk::json::GetBool(*config, "useApi").value_or(false);
    fail_reserve_ = capstan::sdk::json::GetBool(*config, "failReserve").value_or(false);
    return Status::Ok();
  }

  Status Reserve(Call&, Cycle&, const PodView&, std::string_view) override {
    return fail_reserve_ ? Status::Unschedulable("reserve refused") : Status::Ok();
  }
  void Unreserve(Call& call, Cycle&, const PodView& pod, std::string_view node) override {
    if (use_api_) Post(call, "/test/unreserve/", pod, node);
  }
  Status Bind(Call& call, Cycle&, const PodView& pod, std::string_view node) override {
    bound_.fetch_add(1);
    if (!use_api_) return Status::Ok();
    std::string body = R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":")" +
                       std::string(pod.name()) + R"("},"target":{"kind":"Node","name":")" +
                       std::string(node) + R"("}})";
    int32_t status = 0;
    std::string reply;
    Status s = host_->ApiRequest(call.raw(), "POST",
                                 "/api/v1/namespaces/" + std::string(pod.namespace_name()) +
                                     "/pods/" + std::string(pod.name()) + "/binding",
                                 "application/json", body, &status, &reply);
    if (!s.ok()) return s;
    if (status < 200 || status > 299) return Status::Error("binding failed: " + reply);
    return Status::Ok();
  }
  void PostBind(Call& call, Cycle&, const PodView& pod, std::string_view node) override {
    if (use_api_) Post(call, "/test/postbind/", pod, node);
  }

 private:
  void Post(Call& call, const std::string& prefix, const PodView& pod, std::string_view node) {
    int32_t status = 0;
    std::string reply;
    (void)host_->ApiRequest(
        call.raw(), "POST",
        prefix + std::string(pod.namespace_name()) + "/" + std::string(pod.name()), "text/plain",
        node, &status, &reply);
  }
  const capstan::sdk::Host* host_ = nullptr;
  bool use_api_ = false;
  bool fail_reserve_ = false;
  std::atomic<int64_t> bound_{0};
};

}  // namespace

CAPSTAN_PLUGIN(TestBinder, "test-binder", "0.1.0", "test binder that records", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
