// Object-access host services of controller plugins (see host_services.h).
#include "core/controllers/host_services.h"

#include <chrono>
#include <cstdint>

#include "core/plugin/call.h"

namespace capstan::controllers {
namespace {

constexpr char kBindingKey[] = "capstan.controllers.binding";

std::string_view View(capstan_host_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len);
}

// The host_out buffer shared by every object-access service on this thread.
std::string& HostOut() {
  thread_local std::string out;
  return out;
}

void Emit(std::string text, capstan_host_buf* out) {
  std::string& buf = HostOut();
  buf = std::move(text);
  *out = {reinterpret_cast<const uint8_t*>(buf.data()), buf.size()};
}

ServiceBinding* BindingOf(capstan_host_ctx* ctx) {
  if (ctx == nullptr) return nullptr;
  return static_cast<ServiceBinding*>(plugin::HostContext::FromHandle(ctx)->UserData(kBindingKey));
}

capstan_rc RcOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return CAPSTAN_RC_NOT_FOUND;
    case StatusCode::kBadRequest:
    case StatusCode::kInvalid:
      return CAPSTAN_RC_INVALID;
    default:
      return CAPSTAN_RC_UNAVAILABLE;
  }
}

capstan_rc CacheGet(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str key,
                    capstan_host_buf* out_json) {
  if (out_json == nullptr) return CAPSTAN_RC_INVALID;
  *out_json = {nullptr, 0};
  ServiceBinding* b = BindingOf(ctx);
  if (b == nullptr || !b->Allowed(View(resource))) return CAPSTAN_RC_UNAVAILABLE;
  Result<std::string> json = b->informers().GetJson(View(resource), std::string(View(key)));
  if (!json.ok()) return RcOf(json.status());
  Emit(std::move(*json), out_json);
  return CAPSTAN_RC_OK;
}

capstan_rc CacheList(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str ns,
                     capstan_host_str label_selector, capstan_host_buf* out_json) {
  if (out_json == nullptr) return CAPSTAN_RC_INVALID;
  *out_json = {nullptr, 0};
  ServiceBinding* b = BindingOf(ctx);
  if (b == nullptr || !b->Allowed(View(resource))) return CAPSTAN_RC_UNAVAILABLE;
  Result<std::string> json =
      b->informers().ListJson(View(resource), std::string(View(ns)), View(label_selector));
  if (!json.ok()) return RcOf(json.status());
  Emit(std::move(*json), out_json);
  return CAPSTAN_RC_OK;
}

capstan_rc ApiRequest(capstan_host_ctx* ctx, capstan_call* call, capstan_host_str method,
                      capstan_host_str path, capstan_host_str content_type, capstan_host_buf body,
                      int32_t* out_http_status, capstan_host_buf* out_body) {
  if (out_http_status == nullptr || out_body == nullptr) return CAPSTAN_RC_INVALID;
  *out_http_status = 0;
  *out_body = {nullptr, 0};
  ServiceBinding* b = BindingOf(ctx);
  if (b == nullptr || b->client() == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  std::chrono::milliseconds timeout{0};  // the client's default
  if (call != nullptr && call->deadline_mono_ns > 0) {
    int64_t left_ns = call->deadline_mono_ns - plugin::MonotonicNowNs();
    if (left_ns <= 0) return CAPSTAN_RC_DEADLINE_EXCEEDED;
    timeout = std::chrono::milliseconds(std::max<int64_t>(1, left_ns / 1000000));
  }
  std::string payload = body.data == nullptr
                            ? std::string()
                            : std::string(reinterpret_cast<const char*>(body.data), body.len);
  Result<client::ApiResponse> r = b->client()->Request(View(method), View(path), View(content_type),
                                                       std::move(payload), timeout);
  if (!r.ok()) {
    return r.status().code() == StatusCode::kTimeout ? CAPSTAN_RC_DEADLINE_EXCEEDED
                                                     : CAPSTAN_RC_UNAVAILABLE;
  }
  *out_http_status = r->status;
  Emit(std::move(r->body), out_body);
  return CAPSTAN_RC_OK;
}

}  // namespace

void ServiceBinding::Allow(const std::string& resource) {
  std::lock_guard<std::mutex> lock(mu_);
  allowed_.insert(resource);
}

bool ServiceBinding::Allowed(std::string_view resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  return allowed_.count(resource) > 0;
}

void RegisterHostServices(plugin::HostContext& ctx, ServiceBinding* binding) {
  ctx.SetUserData(kBindingKey, binding);
  auto proc = [](auto fn) { return reinterpret_cast<capstan_host_proc>(fn); };
  capstan_host_cache_get_v1_fn get = &CacheGet;
  capstan_host_cache_list_v1_fn list = &CacheList;
  capstan_host_api_request_v1_fn api = &ApiRequest;
  ctx.RegisterProc("capstan_host_cache_get_v1", proc(get));
  ctx.RegisterProc("capstan_host_cache_list_v1", proc(list));
  ctx.RegisterProc("capstan_host_api_request_v1", proc(api));
}

}  // namespace capstan::controllers
