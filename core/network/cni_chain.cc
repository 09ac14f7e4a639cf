// Running the `cni` chain (cni_chain.h).
#include "core/network/cni_chain.h"

#include <utility>

#include "capstan/abi/cni.h"
#include "core/common/log.h"

namespace capstan::network {
namespace {

using nlohmann::json;

constexpr uint32_t kErrorCap = 4096;  // CNI errors carry msg and details

capstan_host_str Str(std::string_view s) { return {s.data(), s.size()}; }

// The ABI request plus the config text it points into.
class Request {
 public:
  Request(const CniAttachment* attachment, std::string config) : config_(std::move(config)) {
    raw_.struct_size = sizeof(raw_);
    if (attachment != nullptr) {
      raw_.container_id = Str(attachment->container_id);
      raw_.netns = Str(attachment->netns_path);
      raw_.ifname = Str(attachment->ifname);
      raw_.args = Str(attachment->args);
    }
    raw_.config_json = {reinterpret_cast<const uint8_t*>(config_.data()), config_.size()};
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  const capstan_cni_request* get() const { return &raw_; }

 private:
  std::string config_;
  capstan_cni_request raw_{};
};

bool Usable(const plugin::ChainEntry& entry) {
  return entry.instance != nullptr && entry.instance->cni() != nullptr;
}

plugin::CallOptions Options(const plugin::ChainEntry& entry, int64_t deadline,
                            const plugin::CancelToken* cancel) {
  plugin::CallOptions o = entry.CallOptionsWithin(deadline, cancel);
  o.error_cap = kErrorCap;
  return o;
}

using CniOp = capstan_rc (*)(capstan_plugin_state*, capstan_call*, const capstan_cni_request*);

plugin::CallOutcome Invoke(const plugin::ChainEntry& entry, const char* what, CniOp fn,
                           const Request& request, int64_t deadline,
                           const plugin::CancelToken* cancel) {
  return entry.instance->Invoke(what, Options(entry, deadline, cancel),
                                [&](capstan_plugin_state* state, capstan_call* call) {
                                  return fn(state, call, request.get());
                                });
}

json ParseOrNull(std::string_view text) {
  if (text.empty()) return nullptr;
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  return doc.is_object() ? doc : json(nullptr);
}

// Applies the entry's failure policy: OK when the failure is passed over (Ignore).
Status Apply(const plugin::ChainEntry& entry, std::string_view op, const std::string& subject,
             const Status& failure) {
  if (failure.ok()) return failure;
  log::Warn("network", "CNI plugin failed",
            {{"op", op},
             {"instance", entry.config.name},
             {"policy", plugin::FailurePolicyName(entry.config.failure_policy)},
             {"error", failure.message()}});
  if (entry.config.failure_policy == plugin::FailurePolicy::kIgnore) return Status::Ok();
  return Status(failure.code(), "CNI " + std::string(op) + subject + ": " + failure.message());
}

std::string For(const CniAttachment& a) { return " for " + a.container_id; }

void Merge(Status& first, const Status& next) {
  if (next.ok()) return;
  if (first.ok()) {
    first = next;
  } else {
    first = Status(first.code(), first.message() + "; " + next.message());
  }
}

// The chain's final result; a chain whose every plugin was passed over attaches nothing.
Result<CniResult> Finish(json& prev, const CniChainOptions& options, const std::string& subject) {
  if (prev.is_null()) prev = json{{"cniVersion", options.cni_version}};
  Result<CniResult> result = ParseCniResult(prev.dump());
  if (result.ok()) return result;
  return Status(result.status().code(), "CNI ADD" + subject + ": " + result.status().message());
}

}  // namespace

json BuildCniNetConf(const plugin::ChainEntry& entry, const CniChainOptions& options,
                     const json& prev_result, const json& runtime_config) {
  json conf = entry.config.config.is_object() ? entry.config.config : json::object();
  conf["cniVersion"] = options.cni_version;
  conf["name"] = options.network_name;
  if (entry.instance != nullptr) conf["type"] = entry.instance->info().name;
  conf.erase("prevResult");
  conf.erase("runtimeConfig");
  if (!prev_result.is_null()) conf["prevResult"] = prev_result;
  if (!runtime_config.is_null()) conf["runtimeConfig"] = runtime_config;
  return conf;
}

std::string K8sCniArgs(std::string_view pod_namespace, std::string_view pod_name,
                       std::string_view sandbox_id, std::string_view pod_uid) {
  std::string out = "IgnoreUnknown=1;K8S_POD_NAMESPACE=";
  out += pod_namespace;
  out += ";K8S_POD_NAME=";
  out += pod_name;
  out += ";K8S_POD_INFRA_CONTAINER_ID=";
  out += sandbox_id;
  out += ";K8S_POD_UID=";
  out += pod_uid;
  return out;
}

CniChain::CniChain(const plugin::Chain* chain, CniChainOptions options)
    : chain_(chain), options_(std::move(options)) {}

bool CniChain::configured() const {
  if (chain_ == nullptr) return false;
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (Usable(entry)) return true;
  }
  return false;
}

Result<CniResult> CniChain::Add(const CniAttachment& a, const plugin::CancelToken* cancel) const {
  if (!configured()) return UnavailableError("no CNI plugins configured");
  int64_t deadline = chain_->DeadlineFromNow();
  json prev = nullptr;
  Status failed;
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!Usable(entry)) continue;
    Request request(&a, BuildCniNetConf(entry, options_, prev, a.runtime_config).dump());
    auto* fn = entry.instance->cni()->on_add;
    capstan_plugin_buf out{};
    plugin::CallOutcome o =
        entry.instance->Invoke("on_add", Options(entry, deadline, cancel),
                               [&](capstan_plugin_state* state, capstan_call* call) {
                                 return fn(state, call, request.get(), &out);
                               });
    Status s = o.ToStatus();
    if (s.ok() && out.len > 0) {
      // Read the plugin-owned buffer now: it dies with the plugin's next call.
      Result<json> parsed = entry.instance->ParseJsonOutput(out, "on_add result");
      if (!parsed.ok()) {
        s = parsed.status();
      } else if (!parsed->is_object()) {
        s = InternalError(entry.instance->Describe() + " on_add result: not a JSON object");
      } else {
        prev = std::move(*parsed);
      }
    }
    failed = Apply(entry, "ADD", For(a), s);
    if (!failed.ok()) break;
  }
  Result<CniResult> result =
      failed.ok() ? Finish(prev, options_, For(a)) : Result<CniResult>(failed);
  if (!result.ok() && options_.del_on_add_failure) {
    Status cleanup = Del(a, {}, cancel);
    if (!cleanup.ok()) {
      return Status(result.status().code(),
                    result.status().message() + " (cleanup: " + cleanup.message() + ")");
    }
  }
  return result;
}

Status CniChain::Del(const CniAttachment& a, std::string_view prev_result_json,
                     const plugin::CancelToken* cancel) const {
  if (chain_ == nullptr) return Status::Ok();
  int64_t deadline = chain_->DeadlineFromNow();
  json prev = ParseOrNull(prev_result_json);
  Status first;
  for (auto it = chain_->entries.rbegin(); it != chain_->entries.rend(); ++it) {
    const plugin::ChainEntry& entry = *it;
    if (!Usable(entry)) continue;
    Request request(&a, BuildCniNetConf(entry, options_, prev, a.runtime_config).dump());
    plugin::CallOutcome o =
        Invoke(entry, "on_del", entry.instance->cni()->on_del, request, deadline, cancel);
    if (o.rc == CAPSTAN_RC_NOT_FOUND) continue;
    Merge(first, Apply(entry, "DEL", For(a), o.ToStatus()));
  }
  return first;
}

Status CniChain::Check(const CniAttachment& a, std::string_view prev_result_json,
                       const plugin::CancelToken* cancel) const {
  if (chain_ == nullptr) return Status::Ok();
  int64_t deadline = chain_->DeadlineFromNow();
  json prev = ParseOrNull(prev_result_json);
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!Usable(entry) || entry.instance->cni()->on_check == nullptr) continue;
    Request request(&a, BuildCniNetConf(entry, options_, prev, a.runtime_config).dump());
    plugin::CallOutcome o =
        Invoke(entry, "on_check", entry.instance->cni()->on_check, request, deadline, cancel);
    if (o.rc == CAPSTAN_RC_UNIMPLEMENTED) continue;
    CAPSTAN_RETURN_IF_ERROR(Apply(entry, "CHECK", For(a), o.ToStatus()));
  }
  return Status::Ok();
}

Status CniChain::NetworkStatus(const plugin::CancelToken* cancel) const {
  if (!configured()) return UnavailableError("no CNI plugins configured");
  int64_t deadline = chain_->DeadlineFromNow();
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!Usable(entry) || entry.instance->cni()->on_status == nullptr) continue;
    Request request(nullptr, BuildCniNetConf(entry, options_, nullptr, nullptr).dump());
    plugin::CallOutcome o =
        Invoke(entry, "on_status", entry.instance->cni()->on_status, request, deadline, cancel);
    if (o.ok() || o.rc == CAPSTAN_RC_UNIMPLEMENTED) continue;
    Status s = Apply(entry, "STATUS", "", o.ToStatus());
    if (!s.ok()) return UnavailableError(s.message());
  }
  return Status::Ok();
}

Status CniChain::Gc(const std::vector<CniAttachmentRef>& valid,
                    const plugin::CancelToken* cancel) const {
  if (chain_ == nullptr) return Status::Ok();
  json attachments = json::array();
  for (const CniAttachmentRef& v : valid) {
    attachments.push_back({{"containerID", v.container_id}, {"ifname", v.ifname}});
  }
  int64_t deadline = chain_->DeadlineFromNow();
  Status first;
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!Usable(entry) || entry.instance->cni()->on_gc == nullptr) continue;
    json conf = BuildCniNetConf(entry, options_, nullptr, nullptr);
    conf["cni.dev/valid-attachments"] = attachments;
    Request request(nullptr, conf.dump());
    plugin::CallOutcome o =
        Invoke(entry, "on_gc", entry.instance->cni()->on_gc, request, deadline, cancel);
    if (o.rc == CAPSTAN_RC_UNIMPLEMENTED) continue;
    Merge(first, Apply(entry, "GC", "", o.ToStatus()));
  }
  return first;
}

}  // namespace capstan::network
