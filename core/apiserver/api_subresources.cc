// Subresources with their own shapes (api_server.h): scale (autoscaling/v1 Scale), binding
// (the scheduler's pods/binding), eviction (kubectl drain) and the node streams pods/log,
// exec, attach, portforward (handed to node_proxy.h). Status goes through the generic verbs
// with subresource "status".
#include "core/apiserver/api_server.h"
#include "core/apiserver/body_codec.h"
#include "core/apiserver/query_options.h"
#include "core/patch/json_patch.h"
#include "core/patch/strategic_merge_patch.h"

namespace capstan::apiserver {
namespace {

std::string SelectorString(const nlohmann::json& sel) {
  if (!sel.is_object()) return "";
  const nlohmann::json& labels = sel.contains("matchLabels") ? sel["matchLabels"] : sel;
  std::string out;
  if (labels.is_object()) {
    for (auto& [k, v] : labels.items()) {
      if (!v.is_string()) continue;
      if (!out.empty()) out += ",";
      out += k + "=" + v.get<std::string>();
    }
  }
  return out;
}

nlohmann::json ScaleOf(const nlohmann::json& obj) {
  const nlohmann::json& meta = obj["metadata"];
  nlohmann::json m = nlohmann::json::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (meta.contains(f)) m[f] = meta[f];
  }
  int64_t spec_replicas = obj.contains("spec") ? obj["spec"].value("replicas", int64_t{1}) : 1;
  int64_t status_replicas =
      obj.contains("status") ? obj["status"].value("replicas", int64_t{0}) : 0;
  nlohmann::json status = {{"replicas", status_replicas}};
  std::string sel = obj.contains("spec") && obj["spec"].contains("selector")
                        ? SelectorString(obj["spec"]["selector"])
                        : "";
  if (!sel.empty()) status["selector"] = sel;
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", std::move(m)},
          {"spec", {{"replicas", spec_replicas}}},
          {"status", std::move(status)}};
}

// Names of `pod`'s containers in `field` ("containers", "initContainers", ...).
std::vector<std::string> ContainerNames(const nlohmann::json& pod, const char* field) {
  std::vector<std::string> names;
  const nlohmann::json spec = pod.value("spec", nlohmann::json::object());
  if (spec.contains(field) && spec[field].is_array()) {
    for (const nlohmann::json& c : spec[field]) {
      if (c.is_object()) names.push_back(c.value("name", ""));
    }
  }
  return names;
}

std::string GoList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? " " : "") + names[i];
  return out + "]";
}

// The container a log/exec/attach request addresses, chosen as upstream does: the `container`
// parameter (which must name a container, init or ephemeral container), else the only one.
Result<std::string> PickContainer(const nlohmann::json& pod, const std::string& pod_name,
                                  const std::string* requested) {
  std::vector<std::string> containers = ContainerNames(pod, "containers");
  if (requested != nullptr && !requested->empty()) {
    for (const char* field : {"containers", "initContainers", "ephemeralContainers"}) {
      for (const std::string& n : ContainerNames(pod, field)) {
        if (n == *requested) return n;
      }
    }
    return BadRequestError("container " + *requested + " is not valid for pod " + pod_name);
  }
  if (containers.size() == 1) return containers[0];
  if (containers.empty()) {
    return BadRequestError("a container name must be specified for pod " + pod_name);
  }
  std::string m = "a container name must be specified for pod " + pod_name +
                  ", choose one of: " + GoList(containers);
  std::vector<std::string> init = ContainerNames(pod, "initContainers");
  if (!init.empty()) m += " or one of the init containers: " + GoList(init);
  return BadRequestError(m);
}

}  // namespace

void ApiServer::NodeStream(RequestContext& ctx) {
  const std::string& sub = ctx.info.subresource;
  const std::string& method = ctx.request().method;
  const bool is_log = sub == "log";
  if (is_log ? method != "GET" : method != "GET" && method != "POST") {
    return ReplyError(ctx,
                      Status(StatusCode::kMethodNotAllowed,
                             "the server does not allow this method on the requested resource"));
  }
  if (!is_log && !ctx.request().IsUpgrade()) {
    return ReplyError(ctx, BadRequestError("Upgrade request required"));
  }
  ApiResult<CachedObjectPtr> got = ctx.storage->Get(ctx.info.namespace_name, ctx.info.name);
  if (auto* e = std::get_if<ApiError>(&got)) return ReplyApiError(ctx, *e);
  nlohmann::json pod = nlohmann::json::parse(std::get<CachedObjectPtr>(got)->json, nullptr, false);
  const std::string& name = ctx.info.name;
  const std::string node_name = pod.contains("spec") ? pod["spec"].value("nodeName", "") : "";
  if (node_name.empty()) {
    return ReplyError(ctx, BadRequestError("pod " + name + " does not have a host assigned"));
  }
  std::string path;
  if (sub == "portforward") {
    path = "/portForward/" + ctx.info.namespace_name + "/" + name;
  } else {
    Result<std::string> container = PickContainer(pod, name, ctx.Query("container"));
    if (!container.ok()) return ReplyError(ctx, container.status());
    path = std::string(is_log          ? "/containerLogs/"
                       : sub == "exec" ? "/exec/"
                                       : "/attach/") +
           ctx.info.namespace_name + "/" + name + "/" + *container;
  }
  RestStorage* nodes = StorageFor("", "nodes");
  ApiResult<CachedObjectPtr> node =
      nodes != nullptr ? nodes->Get("", node_name)
                       : ApiResult<CachedObjectPtr>(ApiError{NotFoundError("no nodes"), {}});
  if (auto* e = std::get_if<ApiError>(&node)) {
    return ReplyError(ctx, UnavailableError("cannot reach the agent of node \"" + node_name +
                                            "\": " + e->status.message()));
  }
  Result<std::string> endpoint =
      AgentEndpoint(nlohmann::json::parse(std::get<CachedObjectPtr>(node)->json, nullptr, false));
  if (!endpoint.ok()) return ReplyError(ctx, endpoint.status());
  std::string query = QueryWithout(ctx.request().raw_query, "container");
  if (!query.empty()) path += "?" + query;
  if (is_log) {
    node_proxy_->ProxyStream(ctx.exchange, std::move(*endpoint), path);
  } else {
    node_proxy_->ProxyUpgrade(ctx.exchange, std::move(*endpoint), path);
  }
}

void ApiServer::Scale(RequestContext& ctx) {
  RestStorage* storage = ctx.storage;
  const std::string& verb = ctx.info.verb;
  if (verb == "get") {
    ApiResult<CachedObjectPtr> got = storage->Get(ctx.info.namespace_name, ctx.info.name);
    if (auto* e = std::get_if<ApiError>(&got)) return ReplyApiError(ctx, *e);
    ReplyJson(ctx, 200,
              ScaleOf(nlohmann::json::parse(std::get<CachedObjectPtr>(got)->json)).dump());
    return;
  }
  if (verb != "update" && verb != "patch") {
    return ReplyError(ctx,
                      Status(StatusCode::kMethodNotAllowed,
                             "the server does not allow this method on the requested resource"));
  }
  Result<WriteOptions> opts = ParseWriteOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  std::string content_type(ctx.request().Header("content-type").value_or("application/json"));
  content_type = content_type.substr(0, content_type.find(';'));
  Result<nlohmann::json> input = verb == "update"
                                     ? DecodeBody(ctx.request())
                                     : ParsePatchBody(ctx.request().body, content_type);
  if (!input.ok()) return ReplyError(ctx, input.status());
  RestStorage::Mutation mutate = [&](const nlohmann::json* current) -> ApiResult<nlohmann::json> {
    nlohmann::json scale = ScaleOf(*current);
    nlohmann::json desired;
    if (verb == "update") {
      desired = *input;
      std::string rv =
          desired.contains("metadata") ? desired["metadata"].value("resourceVersion", "") : "";
      if (!rv.empty() && rv != scale["metadata"].value("resourceVersion", "")) {
        return ApiError{ConflictError("Operation cannot be fulfilled on " + ctx.info.resource +
                                      " \"" + ctx.info.name +
                                      "\": the object has been modified; please apply your "
                                      "changes to the latest version and try again"),
                        {ctx.info.name, ctx.resource->group, ctx.info.resource, "", {}, 0}};
      }
    } else {
      Result<nlohmann::json> patched = content_type == "application/json-patch+json"
                                           ? patch::ApplyJsonPatch(scale, *input)
                                           : patch::ApplyMergePatch(scale, *input);
      if (!patched.ok()) return ApiError{patched.status(), {}};
      desired = std::move(*patched);
    }
    const nlohmann::json& r =
        desired.contains("spec") ? desired["spec"]["replicas"] : nlohmann::json();
    if (!r.is_number_integer() || r.get<int64_t>() < 0) {
      StatusCause cause{"FieldValueInvalid", "Invalid value: must be greater than or equal to 0",
                        "spec.replicas"};
      return ApiError{InvalidObjectError("Scale", ctx.info.name, {cause}),
                      {ctx.info.name, "autoscaling", "Scale", "", {cause}, 0}};
    }
    nlohmann::json obj = *current;
    obj["spec"]["replicas"] = r;
    return obj;
  };
  WriteContext wctx = MakeWriteContext(ctx, opts->dry_run, opts->field_manager);
  ApiResult<WriteResult> w =
      storage->Modify(wctx, ctx.info.namespace_name, ctx.info.name, "", mutate);
  if (auto* e = std::get_if<ApiError>(&w)) return ReplyApiError(ctx, *e);
  ReplyJson(ctx, 200, ScaleOf(std::get<WriteResult>(w).object).dump());
}

void ApiServer::Binding(RequestContext& ctx) {
  if (ctx.info.verb != "create") {
    return ReplyError(ctx,
                      Status(StatusCode::kMethodNotAllowed,
                             "the server does not allow this method on the requested resource"));
  }
  Result<nlohmann::json> body = DecodeBody(ctx.request());
  if (!body.ok()) return ReplyError(ctx, body.status());
  std::string node = body->contains("target") ? (*body)["target"].value("name", "") : "";
  if (node.empty()) {
    StatusCause cause{"FieldValueRequired", "Required value", "target.name"};
    return ReplyError(ctx, InvalidObjectError("Binding", ctx.info.name, {cause}),
                      {ctx.info.name, "", "Binding", "", {cause}, 0});
  }
  int64_t now = NowMs();
  RestStorage::Mutation mutate = [&](const nlohmann::json* current) -> ApiResult<nlohmann::json> {
    nlohmann::json pod = *current;
    std::string assigned = pod["spec"].value("nodeName", "");
    if (!assigned.empty()) {
      return ApiError{ConflictError("pod " + ctx.info.name + " is already assigned to node \"" +
                                    assigned + "\""),
                      {ctx.info.name, "", "pods", "", {}, 0}};
    }
    if (pod["metadata"].contains("deletionTimestamp")) {
      return ApiError{
          ConflictError("pod " + ctx.info.name + " is being deleted, cannot be assigned to a host"),
          {}};
    }
    pod["spec"]["nodeName"] = node;
    nlohmann::json& conds = pod["status"]["conditions"];
    if (!conds.is_array()) conds = nlohmann::json::array();
    nlohmann::json scheduled = {{"type", "PodScheduled"},
                                {"status", "True"},
                                {"lastProbeTime", nullptr},
                                {"lastTransitionTime", FormatRfc3339(now)}};
    bool replaced = false;
    for (auto& c : conds) {
      if (c.value("type", "") == "PodScheduled") {
        c = scheduled;
        replaced = true;
      }
    }
    if (!replaced) conds.push_back(std::move(scheduled));
    return pod;
  };
  WriteContext wctx = MakeWriteContext(ctx, false, "");
  // Upstream's binding storage writes the pod directly: no managedFields entry (and no field
  // manager run, a quarter of a binding's cost here).
  wctx.track_fields = nullptr;
  ApiResult<WriteResult> w =
      ctx.storage->Modify(wctx, ctx.info.namespace_name, ctx.info.name, "binding", mutate);
  if (auto* e = std::get_if<ApiError>(&w)) return ReplyApiError(ctx, *e);
  ReplyJson(ctx, 201, SuccessStatus({}).dump());
}

void ApiServer::Eviction(RequestContext& ctx) {
  if (ctx.info.verb != "create") {
    return ReplyError(ctx,
                      Status(StatusCode::kMethodNotAllowed,
                             "the server does not allow this method on the requested resource"));
  }
  Result<nlohmann::json> body = DecodeBody(ctx.request());
  if (!body.ok()) return ReplyError(ctx, body.status());
  bool dry_run = false;
  std::string options_body = body->contains("deleteOptions") ? (*body)["deleteOptions"].dump() : "";
  Result<DeleteOptions> opts = ParseDeleteOptions(
      options_body, [&](std::string_view n) { return ctx.Query(n); }, &dry_run);
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  WriteContext wctx = MakeWriteContext(ctx, dry_run, "");
  ApiResult<WriteResult> r =
      ctx.storage->Delete(wctx, ctx.info.namespace_name, ctx.info.name, *opts);
  if (auto* e = std::get_if<ApiError>(&r)) return ReplyApiError(ctx, *e);
  ReplyJson(ctx, 201, SuccessStatus({}).dump());
}

}  // namespace capstan::apiserver
