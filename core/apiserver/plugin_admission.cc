// Plugin-chain admission (plugin_admission.h).
#include "core/apiserver/plugin_admission.h"

#include <atomic>
#include <string>

#include "capstan/abi/admission.h"
#include "core/common/log.h"
#include "core/patch/json_patch.h"

namespace capstan::apiserver {
namespace {

capstan_host_str Str(std::string_view s) { return {s.data(), s.size()}; }
capstan_host_buf Buf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string_view Text(capstan_plugin_buf b) {
  return {reinterpret_cast<const char*>(b.data), b.len};
}

const char* OperationName(Admission::Operation op) {
  switch (op) {
    case Admission::Operation::kCreate:
      return "CREATE";
    case Admission::Operation::kUpdate:
      return "UPDATE";
    case Admission::Operation::kDelete:
      return "DELETE";
  }
  return "CREATE";
}

uint32_t OperationCode(Admission::Operation op) {
  switch (op) {
    case Admission::Operation::kCreate:
      return CAPSTAN_ADMISSION_CREATE;
    case Admission::Operation::kUpdate:
      return CAPSTAN_ADMISSION_UPDATE;
    case Admission::Operation::kDelete:
      return CAPSTAN_ADMISSION_DELETE;
  }
  return CAPSTAN_ADMISSION_CREATE;
}

std::string NewUid() {
  static std::atomic<uint64_t> next{1};
  return "admission-" + std::to_string(next.fetch_add(1));
}

// The ABI request plus the strings it points into; rebuilt when a mutator changed the object.
class Request {
 public:
  Request(const Admission::Attributes& attrs, const nlohmann::json* old)
      : attrs_(attrs), uid_(NewUid()) {
    if (old != nullptr) old_json_ = old->dump();
  }

  const capstan_admission_request* Build(const nlohmann::json* obj) {
    object_json_ = obj == nullptr ? std::string() : obj->dump();
    const ResourceInfo& r = *attrs_.resource;
    nlohmann::json review = {
        {"uid", uid_},
        {"kind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
        {"resource", {{"group", r.group}, {"version", r.version}, {"resource", r.plural}}},
        {"name", attrs_.name},
        {"operation", OperationName(attrs_.operation)},
        {"userInfo", {{"username", attrs_.user}}},
        {"dryRun", attrs_.dry_run}};
    if (!attrs_.subresource.empty()) review["subResource"] = attrs_.subresource;
    if (!attrs_.namespace_name.empty()) review["namespace"] = attrs_.namespace_name;
    // Splice the object texts in instead of copying the parsed trees.
    std::string head = review.dump();
    head.pop_back();
    head += ",\"object\":";
    head += object_json_.empty() ? "null" : object_json_;
    head += ",\"oldObject\":";
    head += old_json_.empty() ? "null" : old_json_;
    head += '}';
    request_json_ = std::move(head);

    raw_ = {};
    raw_.struct_size = sizeof(raw_);
    raw_.operation = OperationCode(attrs_.operation);
    raw_.uid = Str(uid_);
    raw_.group = Str(r.group);
    raw_.version = Str(r.version);
    raw_.kind = Str(r.kind);
    raw_.resource = Str(r.plural);
    raw_.subresource = Str(attrs_.subresource);
    raw_.namespace_name = Str(attrs_.namespace_name);
    raw_.name = Str(attrs_.name);
    raw_.user = Str(attrs_.user);
    raw_.dry_run = attrs_.dry_run ? 1 : 0;
    if (!object_json_.empty()) raw_.object_json = Buf(object_json_);
    if (!old_json_.empty()) raw_.old_object_json = Buf(old_json_);
    raw_.request_json = Buf(request_json_);
    return &raw_;
  }

 private:
  const Admission::Attributes& attrs_;
  std::string uid_;
  std::string old_json_;
  std::string object_json_;
  std::string request_json_;
  capstan_admission_request raw_{};
};

// `pods "web" is forbidden: <why>` as upstream's admission rejections read.
Status Denied(const Admission::Attributes& attrs, std::string_view why) {
  std::string target = attrs.resource->plural;
  if (!attrs.resource->group.empty()) target += "." + attrs.resource->group;
  if (!attrs.name.empty()) target += " \"" + attrs.name + "\"";
  return ForbiddenError(target + " is forbidden: " + std::string(why));
}

// What a non-OK, non-SKIP outcome means for the request; OK when the entry is passed over.
Status Rejection(const plugin::ChainEntry& entry, const Admission::Attributes& attrs,
                 const plugin::CallOutcome& o) {
  if (o.rc == CAPSTAN_RC_DENIED) return Denied(attrs, o.message);
  if (o.rc == CAPSTAN_RC_INVALID) return InvalidError(o.message);
  log::Warn("apiserver", "admission plugin failed",
            {{"instance", entry.config.name}, {"error", o.ToStatus().message()}});
  if (entry.config.failure_policy == plugin::FailurePolicy::kFail) {
    return InternalError("admission plugin \"" + entry.config.name + "\" failed: " + o.message);
  }
  return Status::Ok();
}

Status Failed(const plugin::ChainEntry& entry, const std::string& why) {
  log::Warn("apiserver", "admission plugin output rejected",
            {{"instance", entry.config.name}, {"error", why}});
  if (entry.config.failure_policy == plugin::FailurePolicy::kFail) {
    return InternalError("admission plugin \"" + entry.config.name + "\" failed: " + why);
  }
  return Status::Ok();
}

}  // namespace

Status PluginAdmission::Mutate(const Attributes& attrs, nlohmann::json& obj,
                               const nlohmann::json* old) {
  if (chain_ == nullptr || attrs.operation == Operation::kDelete) return Status::Ok();
  Request request(attrs, old);
  const capstan_admission_request* raw = nullptr;
  int64_t deadline = chain_->DeadlineFromNow();
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!entry.instance || entry.instance->admission() == nullptr) continue;
    auto* fn = entry.instance->admission()->on_mutate;
    if (fn == nullptr) continue;
    if (raw == nullptr) raw = request.Build(&obj);
    capstan_plugin_buf patch{};
    plugin::CallOutcome o =
        entry.instance->Invoke("on_mutate", entry.CallOptionsWithin(deadline),
                               [&](capstan_plugin_state* state, capstan_call* call) {
                                 return fn(state, call, raw, &patch);
                               });
    if (o.rc == CAPSTAN_RC_SKIP) continue;
    if (!o.ok()) {
      CAPSTAN_RETURN_IF_ERROR(Rejection(entry, attrs, o));
      continue;
    }
    if (Status well_formed = plugin::CheckOutput(patch, o.source); !well_formed.ok()) {
      CAPSTAN_RETURN_IF_ERROR(Failed(entry, well_formed.message()));
      continue;
    }
    if (patch.len == 0) continue;
    nlohmann::json ops = nlohmann::json::parse(Text(patch), nullptr, false);
    if (!ops.is_array()) {
      CAPSTAN_RETURN_IF_ERROR(Failed(entry, "the patch is not a JSON array"));
      continue;
    }
    Result<nlohmann::json> patched = patch::ApplyJsonPatch(obj, ops);
    if (!patched.ok() || !patched->is_object()) {
      CAPSTAN_RETURN_IF_ERROR(Failed(
          entry, "the patch does not apply: " +
                     (patched.ok() ? std::string("not an object") : patched.status().message())));
      continue;
    }
    obj = std::move(*patched);
    raw = nullptr;  // the next mutator sees this one's output
  }
  return Status::Ok();
}

Status PluginAdmission::Validate(const Attributes& attrs, const nlohmann::json& obj,
                                 const nlohmann::json* old) {
  if (chain_ == nullptr) return Status::Ok();
  Request request(attrs, old);
  const capstan_admission_request* raw = nullptr;
  int64_t deadline = chain_->DeadlineFromNow();
  for (const plugin::ChainEntry& entry : chain_->entries) {
    if (!entry.instance || entry.instance->admission() == nullptr) continue;
    auto* fn = entry.instance->admission()->on_validate;
    if (fn == nullptr) continue;
    if (raw == nullptr) raw = request.Build(attrs.operation == Operation::kDelete ? nullptr : &obj);
    capstan_plugin_buf warnings{};
    plugin::CallOutcome o =
        entry.instance->Invoke("on_validate", entry.CallOptionsWithin(deadline),
                               [&](capstan_plugin_state* state, capstan_call* call) {
                                 return fn(state, call, raw, &warnings);
                               });
    if (o.ok() || o.rc == CAPSTAN_RC_SKIP) continue;
    CAPSTAN_RETURN_IF_ERROR(Rejection(entry, attrs, o));
  }
  return Status::Ok();
}

}  // namespace capstan::apiserver
