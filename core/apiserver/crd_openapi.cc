// OpenAPI v3 documents for custom-resource group-versions (crd_openapi.h).
#include "core/apiserver/crd_openapi.h"

#include <cctype>
#include <set>

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRefPrefix = "#/components/schemas/";
constexpr const char* kObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
constexpr const char* kListMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
constexpr const char* kStatus = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
constexpr const char* kDeleteOptions = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
constexpr const char* kPatch = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
constexpr const char* kScale = "io.k8s.api.autoscaling.v1.Scale";

Json Ref(const std::string& name) { return {{"$ref", std::string(kRefPrefix) + name}}; }

void CollectRefs(const Json& j, std::set<std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        const std::string& ref = it->get_ref<const std::string&>();
        if (ref.rfind(kRefPrefix, 0) == 0) out->insert(ref.substr(kRefPrefix.size()));
      } else {
        CollectRefs(*it, out);
      }
    }
  } else if (j.is_array()) {
    for (const Json& v : j) CollectRefs(v, out);
  }
}

// Copies `name` and everything it references from `sources` into `out`.
void CopyClosure(const std::string& name, const std::vector<const Json*>& sources, Json& out) {
  if (out.contains(name)) return;
  for (const Json* src : sources) {
    if (src == nullptr || !src->is_object()) continue;
    auto comps = src->find("components");
    if (comps == src->end() || !comps->is_object()) continue;
    auto schemas = comps->find("schemas");
    if (schemas == comps->end() || !schemas->is_object() || !schemas->contains(name)) continue;
    out[name] = (*schemas)[name];
    std::set<std::string> refs;
    CollectRefs(out[name], &refs);
    for (const std::string& r : refs) CopyClosure(r, sources, out);
    return;
  }
}

std::string UpperFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// "stable.example.com" -> "StableExampleCom", as upstream builds operation ids.
std::string CamelGroup(const std::string& group) {
  std::string out;
  bool up = true;
  for (char c : group) {
    if (c == '.' || c == '-') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

Json QueryParam(const char* name, const char* type, const char* description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

Json PathParam(const char* name, const char* description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

Json WriteParams(bool patch) {
  Json p = Json::array();
  p.push_back(QueryParam("dryRun", "string", "When present, the write is not persisted."));
  p.push_back(QueryParam("fieldManager", "string", "Name of the actor making the change."));
  p.push_back(QueryParam("fieldValidation", "string",
                         "How unknown or duplicate fields are handled: Ignore, Warn or Strict."));
  if (patch) p.push_back(QueryParam("force", "boolean", "Force apply requests."));
  return p;
}

Json ListParams() {
  Json p = Json::array();
  p.push_back(QueryParam("allowWatchBookmarks", "boolean", "Request watch bookmarks."));
  p.push_back(QueryParam("continue", "string", "Continue token of a previous page."));
  p.push_back(QueryParam("fieldSelector", "string", "Restrict by field."));
  p.push_back(QueryParam("labelSelector", "string", "Restrict by label."));
  p.push_back(QueryParam("limit", "integer", "Maximum number of items."));
  p.push_back(QueryParam("resourceVersion", "string", "Resource version to read at."));
  p.push_back(QueryParam("resourceVersionMatch", "string", "How resourceVersion applies."));
  p.push_back(QueryParam("sendInitialEvents", "boolean", "Start a watch with the state."));
  p.push_back(QueryParam("timeoutSeconds", "integer", "Timeout of the call."));
  p.push_back(QueryParam("watch", "boolean", "Watch for changes."));
  return p;
}

Json DeleteParams() {
  Json p = Json::array();
  p.push_back(QueryParam("dryRun", "string", "When present, the delete is not persisted."));
  p.push_back(QueryParam("gracePeriodSeconds", "integer", "Seconds before the object is deleted."));
  p.push_back(QueryParam("propagationPolicy", "string", "Orphan, Background or Foreground."));
  return p;
}

Json JsonContent(const Json& schema) {
  return {{"application/json", {{"schema", schema}}}, {"application/yaml", {{"schema", schema}}}};
}

struct OpSpec {
  const char* verb;    // operation id prefix: read, list, create, replace, patch, delete, ...
  const char* action;  // x-kubernetes-action
  Json params = Json::array();
  Json body;  // request body content, or null
  std::string response;
};

Json Operation(const OpSpec& spec, const api::GroupVersionKind& gvk, const std::string& id_tail,
               const std::string& tag) {
  Json op = {{"operationId", spec.verb + id_tail},
             {"description", std::string(spec.action) + " " + gvk.kind},
             {"tags", Json::array({tag})},
             {"x-kubernetes-action", spec.action},
             {"x-kubernetes-group-version-kind",
              {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}}},
             {"responses",
              {{"200", {{"description", "OK"}, {"content", JsonContent(Ref(spec.response))}}},
               {"401", {{"description", "Unauthorized"}}}}}};
  if (!spec.params.empty()) op["parameters"] = spec.params;
  if (!spec.body.is_null()) op["requestBody"] = {{"content", spec.body}};
  return op;
}

Json KindSchema(const CrdOpenApiKind& k) {
  return CrdKindSchema(k.schema, k.resource, {{"allOf", Json::array({Ref(kObjectMeta)})}});
}

Json ListSchema(const CrdOpenApiKind& k, const std::string& item) {
  return CrdListSchema(k.resource, Ref(item), {{"allOf", Json::array({Ref(kListMeta)})}});
}

void AddKindPaths(const CrdOpenApiKind& k, const std::string& base, const std::string& tag,
                  Json& paths) {
  const api::ResourceInfo& r = k.resource;
  const std::string item = CrdSchemaName(r.group, r.version, r.kind);
  const std::string list = CrdSchemaName(r.group, r.version, r.list_kind);
  const std::string tail =
      CamelGroup(r.group) + UpperFirst(r.version) + (r.namespaced ? "Namespaced" : "") + r.kind;
  const api::GroupVersionKind gvk = r.gvk();
  const std::string coll = base + (r.namespaced ? "/namespaces/{namespace}/" : "/") + r.plural;
  const std::string one = coll + "/{name}";
  Json scope = Json::array();
  if (r.namespaced) scope.push_back(PathParam("namespace", "object name and auth scope"));
  Json named = scope;
  named.push_back(PathParam("name", ("name of the " + r.kind).c_str()));
  Json patch_body = {{"application/apply-patch+yaml", {{"schema", Ref(kPatch)}}},
                     {"application/json-patch+json", {{"schema", Ref(kPatch)}}},
                     {"application/merge-patch+json", {{"schema", Ref(kPatch)}}}};
  Json object_body = {{"*/*", {{"schema", Ref(item)}}}};
  Json delete_body = {{"*/*", {{"schema", Ref(kDeleteOptions)}}}};

  paths[coll] = {
      {"get", Operation({"list", "list", ListParams(), nullptr, list}, gvk, tail, tag)},
      {"post",
       Operation({"create", "post", WriteParams(false), object_body, item}, gvk, tail, tag)},
      {"delete",
       Operation({"deletecollection", "deletecollection", DeleteParams(), delete_body, kStatus},
                 gvk, tail, tag)},
      {"parameters", scope}};
  paths[one] = {
      {"get", Operation({"read", "get", Json::array(), nullptr, item}, gvk, tail, tag)},
      {"put", Operation({"replace", "put", WriteParams(false), object_body, item}, gvk, tail, tag)},
      {"patch", Operation({"patch", "patch", WriteParams(true), patch_body, item}, gvk, tail, tag)},
      {"delete",
       Operation({"delete", "delete", DeleteParams(), delete_body, kStatus}, gvk, tail, tag)},
      {"parameters", named}};
  if (r.namespaced) {
    std::string all_tail =
        CamelGroup(r.group) + UpperFirst(r.version) + r.kind + "ForAllNamespaces";
    paths[base + "/" + r.plural] = {
        {"get", Operation({"list", "list", ListParams(), nullptr, list}, gvk, all_tail, tag)}};
  }
  for (const api::Subresource& sub : r.subresources) {
    bool scale = sub.name == "scale";
    api::GroupVersionKind sub_gvk = scale ? sub.kind : gvk;
    std::string ref = scale ? kScale : item;
    std::string sub_tail = tail + UpperFirst(sub.name);
    Json body = {{"*/*", {{"schema", Ref(ref)}}}};
    paths[one + "/" + sub.name] = {
        {"get", Operation({"read", "get", Json::array(), nullptr, ref}, sub_gvk, sub_tail, tag)},
        {"put",
         Operation({"replace", "put", WriteParams(false), body, ref}, sub_gvk, sub_tail, tag)},
        {"patch",
         Operation({"patch", "patch", WriteParams(true), patch_body, ref}, sub_gvk, sub_tail, tag)},
        {"parameters", named}};
  }
}

}  // namespace

Json CrdKindSchema(Json schema, const api::ResourceInfo& r, Json metadata) {
  if (!schema.is_object()) schema = Json::object();
  schema["type"] = "object";
  Json& props = schema["properties"];
  if (!props.is_object()) props = Json::object();
  props["apiVersion"] = {{"type", "string"},
                         {"description", "The versioned schema of this representation."}};
  props["kind"] = {{"type", "string"}, {"description", "The REST resource this object is."}};
  metadata["description"] = "Standard object metadata.";
  props["metadata"] = std::move(metadata);
  schema["x-kubernetes-group-version-kind"] =
      Json::array({Json{{"group", r.group}, {"kind", r.kind}, {"version", r.version}}});
  return schema;
}

Json CrdListSchema(const api::ResourceInfo& r, Json item, Json metadata) {
  return {{"description", r.list_kind + " is a list of " + r.kind},
          {"type", "object"},
          {"required", Json::array({"items"})},
          {"properties",
           {{"apiVersion", {{"type", "string"}}},
            {"items", {{"type", "array"}, {"items", std::move(item)}}},
            {"kind", {{"type", "string"}}},
            {"metadata", std::move(metadata)}}},
          {"x-kubernetes-group-version-kind",
           Json::array({Json{{"group", r.group}, {"kind", r.list_kind}, {"version", r.version}}})}};
}

std::string CrdSchemaName(const std::string& group, const std::string& version,
                          const std::string& kind) {
  std::string reversed;
  size_t end = group.size();
  while (end > 0) {
    size_t dot = group.rfind('.', end - 1);
    size_t start = dot == std::string::npos ? 0 : dot + 1;
    if (!reversed.empty()) reversed += '.';
    reversed += group.substr(start, end - start);
    if (dot == std::string::npos) break;
    end = dot;
  }
  return reversed + "." + version + "." + kind;
}

Json SharedCrdSchemas(const Json& meta_source, const Json& scale_source) {
  Json out = Json::object();
  std::vector<const Json*> sources = {&meta_source, &scale_source};
  for (const char* name : {kObjectMeta, kListMeta, kStatus, kDeleteOptions, kPatch, kScale}) {
    CopyClosure(name, sources, out);
  }
  return out;
}

std::string BuildCrdOpenApiV3(const api::GroupVersion& gv, const std::vector<CrdOpenApiKind>& kinds,
                              const Json& shared) {
  Json schemas = shared.is_object() ? shared : Json::object();
  Json paths = Json::object();
  const std::string base = "/apis/" + gv.group + "/" + gv.version;
  const std::string tag = CamelGroup(gv.group) + "_" + gv.version;
  for (const CrdOpenApiKind& k : kinds) {
    const api::ResourceInfo& r = k.resource;
    std::string item = CrdSchemaName(r.group, r.version, r.kind);
    schemas[item] = KindSchema(k);
    schemas[CrdSchemaName(r.group, r.version, r.list_kind)] = ListSchema(k, item);
    AddKindPaths(k, base, tag, paths);
  }
  Json doc = {{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes CRD Swagger"}, {"version", "v0.1.0"}}},
              {"paths", std::move(paths)},
              {"components", {{"schemas", std::move(schemas)}}}};
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace capstan::apiserver
