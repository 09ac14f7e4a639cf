// The namespace controller (see namespace_controller.h).
#include "plugins/controllers/namespace/namespace_controller.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "namespace-controller";

// "pods." or "widgets.example.com", as upstream names resources in its messages.
std::string GroupResource(const ApiResource& r) {
  size_t slash = r.group_version.find('/');
  return r.plural + "." + (slash == std::string::npos ? "" : r.group_version.substr(0, slash));
}

std::string JoinCounts(const std::map<std::string, int64_t>& counts, std::string_view unit) {
  std::string out;
  for (const auto& [what, n] : counts) {
    if (!out.empty()) out += ", ";
    out += what + std::string(unit) + std::to_string(n) + " resource instances";
  }
  return out;
}

std::string Join(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool HasSpecFinalizer(const Json& ns, std::string_view finalizer) {
  const Json* list = sdk::json::FindPath(ns, {"spec", "finalizers"});
  if (list == nullptr || !list->is_array()) return false;
  return std::find(list->begin(), list->end(), Json(finalizer)) != list->end();
}

}  // namespace

Json NamespaceConditions(const ContentReport& report, const Json& current, int64_t now) {
  struct Cond {
    const char* type;
    bool failed;
    const char* reason_true;
    const char* reason_false;
    std::string message_true;
    const char* message_false;
  };
  std::vector<Cond> conds = {
      {"NamespaceDeletionDiscoveryFailure", !report.failed_groups.empty(), "DiscoveryFailed",
       "ResourcesDiscovered",
       "Discovery failed for some groups, " + std::to_string(report.failed_groups.size()) +
           " failing: " + Join(report.failed_groups),
       "All resources successfully discovered"},
      {"NamespaceDeletionGroupVersionParsingFailure", false, "GroupVersionParsingFailed",
       "ParsedGroupVersions", "", "All legacy kube types successfully parsed"},
      {"NamespaceDeletionContentFailure", !report.delete_failures.empty(), "ContentDeletionFailed",
       "ContentDeleted",
       "Failed to delete all resource types, " + std::to_string(report.delete_failures.size()) +
           " remaining: " + Join(report.delete_failures),
       "All content successfully deleted, may be waiting on finalization"},
      {"NamespaceContentRemaining", !report.remaining.empty(), "SomeResourcesRemain",
       "ContentRemoved", "Some resources are remaining: " + JoinCounts(report.remaining, " has "),
       "All content successfully removed"},
      {"NamespaceFinalizersRemaining", !report.finalizers.empty(), "SomeFinalizersRemain",
       "ContentHasNoFinalizers",
       "Some content in the namespace has finalizers remaining: " +
           JoinCounts(report.finalizers, " in "),
       "All content-preserving finalizers finished"},
  };
  Json out = Json::array();
  for (const Cond& c : conds) {
    std::string status = c.failed ? "True" : "False";
    std::string since = FormatTime(now);
    int i = FindCondition(current, c.type);
    if (i >= 0 && GetStr(current[static_cast<size_t>(i)], {"status"}) == status) {
      since = GetStr(current[static_cast<size_t>(i)], {"lastTransitionTime"}, since);
    }
    out.push_back(Json{{"type", c.type},
                       {"status", status},
                       {"lastTransitionTime", since},
                       {"reason", c.failed ? c.reason_true : c.reason_false},
                       {"message", c.failed ? c.message_true : std::string(c.message_false)}});
  }
  return out;
}

sdk::Status NamespaceController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  recheck_ms_ = static_cast<uint64_t>(sdk::json::GetInt(*config, "recheckMilliseconds")
                                          .value_or(static_cast<int64_t>(recheck_ms_)));
  return sdk::Status::Ok();
}

sdk::Status NamespaceController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{{"primary", "/v1/namespaces"}, {"workers", workers_}});
  return sdk::Status::Ok();
}

void NamespaceController::DeleteContent(sdk::Call& call, const std::string& ns,
                                        const ApiResource& resource, ContentReport* report) {
  std::string path = resource.Path(ns);
  Json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  if (resource.Can("deletecollection")) {
    // One request for the whole collection; the list below finds what is left.
    sdk::Status d = Send(call, "DELETE", path, kJson, sdk::json::Dump(options));
    if (!d.ok() && d.code() != CAPSTAN_RC_NOT_FOUND) report->delete_failures.push_back(d.message());
  }
  Json list;
  sdk::Status s = Send(call, "GET", path, {}, {}, &list);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return;  // the resource went away meanwhile
  if (!s.ok()) {
    report->delete_failures.push_back(s.message());
    return;
  }
  const Json* items = sdk::json::GetArray(list, "items");
  int64_t left = 0;
  for (const Json& item : items != nullptr ? *items : Json::array()) {
    if (!Deleting(item)) {
      Json one = options;
      one["preconditions"] = {{"uid", Uid(item)}};
      Json reply;
      sdk::Status d =
          Send(call, "DELETE", resource.Path(ns, Name(item)), kJson, sdk::json::Dump(one), &reply);
      if (d.code() == CAPSTAN_RC_NOT_FOUND) continue;
      if (!d.ok()) {
        report->delete_failures.push_back(d.message());
        ++left;
        continue;
      }
      // A metav1.Status means the object is gone; the object itself means it waits.
      if (GetStr(reply, {"kind"}) == "Status") continue;
    }
    ++left;
    if (const Json* f = sdk::json::FindPath(item, {"metadata", "finalizers"})) {
      for (const Json& name : f->is_array() ? *f : Json::array()) {
        if (name.is_string()) ++report->finalizers[name.get<std::string>()];
      }
    }
  }
  if (left > 0) report->remaining[GroupResource(resource)] += left;
}

sdk::Status NamespaceController::Finalize(sdk::Call& call, const Json& ns) {
  Json request = ns;
  Json kept = Json::array();
  if (const Json* list = sdk::json::FindPath(ns, {"spec", "finalizers"})) {
    for (const Json& f : *list) {
      if (f != Json(kKubernetesFinalizer)) kept.push_back(f);
    }
  }
  request["spec"]["finalizers"] = kept;
  sdk::Status s = Send(call, "PUT", ApiPath("v1", "namespaces", "", Name(ns), "finalize"), kJson,
                       sdk::json::Dump(request));
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

sdk::Status NamespaceController::Reconcile(sdk::Call& call, std::string_view key,
                                           uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string cached;
  sdk::Status s = host_->CacheGet("/v1/namespaces", key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> cached_ns = sdk::json::Parse(cached);
  if (!cached_ns || !Deleting(*cached_ns) || !HasSpecFinalizer(*cached_ns, kKubernetesFinalizer)) {
    return sdk::Status::Ok();
  }
  // The live object: the cache may lag our own status writes, which change resourceVersion.
  std::string ns_path = ApiPath("v1", "namespaces", "", key);
  Json ns;
  s = Send(call, "GET", ns_path, {}, {}, &ns);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  CAPSTAN_SDK_RETURN_IF_ERROR(s);
  if (!Deleting(ns) || !HasSpecFinalizer(ns, kKubernetesFinalizer)) return sdk::Status::Ok();

  ContentReport report;
  std::vector<ApiResource> resources;
  CAPSTAN_SDK_RETURN_IF_ERROR(DiscoverResources(call, &resources, &report.failed_groups));
  for (const ApiResource& r : resources) {
    if (!r.namespaced || !r.Can("list") || !r.Can("delete")) continue;
    DeleteContent(call, std::string(key), r, &report);
  }

  const Json* current = sdk::json::FindPath(ns, {"status", "conditions"});
  Json status = ns.contains("status") && ns["status"].is_object() ? ns["status"] : Json::object();
  status["conditions"] =
      NamespaceConditions(report, current != nullptr ? *current : Json::array(), clock_());
  sdk::Status written = WriteStatusIfChanged(call, ns_path + "/status", ns, status);
  if (!written.ok() && written.code() != CAPSTAN_RC_NOT_FOUND) return written;

  bool done =
      report.remaining.empty() && report.delete_failures.empty() && report.failed_groups.empty();
  if (!done) {
    *requeue_after_ms = recheck_ms_;
    return sdk::Status::Ok();
  }
  // Re-read: the status write changed the resourceVersion the finalize request carries.
  s = Send(call, "GET", ns_path, {}, {}, &ns);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  CAPSTAN_SDK_RETURN_IF_ERROR(s);
  host_->Info(std::string(kComponent) + ": namespace " + std::string(key) +
              " is empty; removing the kubernetes finalizer");
  return Finalize(call, ns);
}

}  // namespace capstan::controllers
