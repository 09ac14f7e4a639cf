// Parsing and validation of CustomResourceDefinitions (crd_definition.h), worded as upstream's
// apiextensions validation.
#include "core/apiserver/crd_definition.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/apiserver/object_meta.h"
#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;
using registry::Child;
using registry::Index;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Joined(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::vector<std::string> StringList(const Json& obj, std::string_view key) {
  std::vector<std::string> out;
  if (const Json* a = registry::ArrayAt(obj, key)) {
    for (const Json& v : *a) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

// `[]apiextensions.CustomResourceDefinitionVersion{...}` is how upstream renders the list; the
// version names carry what a reader needs.
std::string RenderVersions(const std::vector<CrdVersion>& versions) {
  std::vector<std::string> names;
  names.reserve(versions.size());
  for (const CrdVersion& v : versions) names.push_back(registry::GoQuoted(v.name));
  return "[]apiextensions.CustomResourceDefinitionVersion{" + Joined(names, ", ") + "}";
}

void CheckLabel(registry::FieldErrors& errs, const std::string& path, const std::string& value,
                bool required) {
  if (value.empty()) {
    if (required) errs.Required(path, "");
    return;
  }
  std::vector<std::string> problems = ValidateDns1035Label(value);
  if (!problems.empty()) errs.Invalid(path, value, Joined(problems, ","));
}

void CheckKindName(registry::FieldErrors& errs, const std::string& path, const std::string& kind,
                   bool required) {
  if (kind.empty()) {
    if (required) errs.Required(path, "");
    return;
  }
  std::vector<std::string> problems = ValidateDns1035Label(Lower(kind));
  if (!problems.empty()) {
    errs.Invalid(path, kind,
                 "may have mixed case, but should otherwise match: " + Joined(problems, ","));
  }
}

CrdNames ParseNames(const Json& names, registry::FieldErrors& errs) {
  const std::string path = "spec.names";
  CrdNames n;
  n.plural = registry::Str(names, "plural");
  n.singular = registry::Str(names, "singular");
  n.kind = registry::Str(names, "kind");
  n.list_kind = registry::Str(names, "listKind");
  n.short_names = StringList(names, "shortNames");
  n.categories = StringList(names, "categories");
  CheckLabel(errs, Child(path, "plural"), n.plural, true);
  CheckLabel(errs, Child(path, "singular"), n.singular, false);
  CheckKindName(errs, Child(path, "kind"), n.kind, true);
  CheckKindName(errs, Child(path, "listKind"), n.list_kind, false);
  if (!n.kind.empty() && n.kind == n.list_kind) {
    errs.Invalid(Child(path, "listKind"), n.list_kind, "kind and listKind may not be the same");
  }
  for (size_t i = 0; i < n.short_names.size(); ++i) {
    CheckLabel(errs, Index(Child(path, "shortNames"), i), n.short_names[i], true);
  }
  for (size_t i = 0; i < n.categories.size(); ++i) {
    CheckLabel(errs, Index(Child(path, "categories"), i), n.categories[i], true);
  }
  if (n.singular.empty()) n.singular = Lower(n.kind);
  if (n.list_kind.empty() && !n.kind.empty()) n.list_kind = n.kind + "List";
  return n;
}

void CheckJsonPath(registry::FieldErrors& errs, const Json& scale, const char* key,
                   std::string_view under, const std::string& path, bool required) {
  std::string value = registry::Str(scale, key);
  if (value.empty()) {
    if (required) errs.Required(Child(path, key), "");
    return;
  }
  if (value.rfind(under, 0) != 0) {
    errs.Invalid(Child(path, key), value,
                 "should be a json path under " + std::string(under.substr(0, under.size() - 1)));
  }
}

CrdVersion ParseVersion(const Json& v, const std::string& path, registry::FieldErrors& errs,
                        std::vector<StatusCause>* causes) {
  CrdVersion out;
  out.name = registry::Str(v, "name");
  out.served = registry::Bool(v, "served");
  out.storage = registry::Bool(v, "storage");
  CheckLabel(errs, Child(path, "name"), out.name, true);
  const std::string schema_path = Child(Child(path, "schema"), "openAPIV3Schema");
  const Json* schema = registry::Find(v, "schema");
  const Json* v3 = schema != nullptr ? registry::Find(*schema, "openAPIV3Schema") : nullptr;
  if (v3 == nullptr) {
    errs.Required(schema_path, "schemas are required");
  } else {
    std::vector<StatusCause> problems;
    Result<std::shared_ptr<const StructuralSchema>> parsed =
        StructuralSchema::Parse(*v3, &problems);
    for (StatusCause& p : problems) {
      p.field = p.field.empty() ? schema_path : Child(schema_path, p.field);
      if (causes != nullptr) causes->push_back(p);
    }
    if (parsed.ok()) out.schema = std::move(*parsed);
    if (!problems.empty()) errs.Forbidden(schema_path, "must be a structural schema");
  }
  if (const Json* sub = registry::ObjectIn(v, "subresources")) {
    out.status_subresource = registry::Find(*sub, "status") != nullptr;
    if (const Json* scale = registry::ObjectIn(*sub, "scale")) {
      out.scale_subresource = true;
      std::string scale_path = Child(Child(path, "subresources"), "scale");
      CheckJsonPath(errs, *scale, "specReplicasPath", ".spec.", scale_path, true);
      CheckJsonPath(errs, *scale, "statusReplicasPath", ".status.", scale_path, true);
      CheckJsonPath(errs, *scale, "labelSelectorPath", "", scale_path, false);
    }
  }
  return out;
}

void CheckVersions(const std::vector<CrdVersion>& versions, registry::FieldErrors& errs) {
  const std::string path = "spec.versions";
  if (versions.empty()) {
    errs.Required(path, "must have exactly one version marked as storage version");
    return;
  }
  std::set<std::string> names;
  bool unique = true;
  int storage = 0;
  bool served = false;
  for (const CrdVersion& v : versions) {
    unique = names.insert(v.name).second && unique;
    storage += v.storage ? 1 : 0;
    served = served || v.served;
  }
  std::string rendered = RenderVersions(versions);
  if (!unique) errs.InvalidRendered(path, rendered, "must contain unique version names");
  if (storage != 1) {
    errs.InvalidRendered(path, rendered, "must have exactly one version marked as storage version");
  }
  if (!served) errs.InvalidRendered(path, rendered, "must have at least one version served");
}

}  // namespace

std::vector<std::string> ValidateDns1035Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !value.empty() && value.front() >= 'a' && value.front() <= 'z' && alnum(value.back());
  for (char c : value) ok = ok && (alnum(c) || c == '-');
  if (!ok) {
    errs.push_back(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

Json CrdNames::ToJson() const {
  Json j = {{"plural", plural}, {"singular", singular}, {"kind", kind}, {"listKind", list_kind}};
  if (!short_names.empty()) j["shortNames"] = short_names;
  if (!categories.empty()) j["categories"] = categories;
  return j;
}

const CrdVersion& CrdDefinition::StorageVersion() const {
  for (const CrdVersion& v : versions) {
    if (v.storage) return v;
  }
  return versions.front();
}

std::vector<api::ResourceInfo> CrdDefinition::ServedResources() const {
  std::vector<const CrdVersion*> order;
  const CrdVersion& storage = StorageVersion();
  if (storage.served) order.push_back(&storage);
  for (const CrdVersion& v : versions) {
    if (v.served && &v != &storage) order.push_back(&v);
  }
  std::vector<api::ResourceInfo> out;
  for (const CrdVersion* v : order) {
    api::ResourceInfo r;
    r.group = group;
    r.version = v->name;
    r.kind = names.kind;
    r.plural = names.plural;
    r.singular = names.singular;
    r.list_kind = names.list_kind;
    r.namespaced = namespaced;
    r.has_spec = true;
    r.builtin = false;
    r.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
    r.short_names = names.short_names;
    r.categories = names.categories;
    if (v->scale_subresource) {
      r.subresources.push_back(
          {"scale", {"autoscaling", "v1", "Scale"}, {"get", "patch", "update"}});
    }
    if (v->status_subresource) {
      r.subresources.push_back(
          {"status", {group, v->name, names.kind}, {"get", "patch", "update"}});
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<CrdDefinition> ParseCrd(const Json& crd, std::vector<StatusCause>* causes) {
  registry::FieldErrors errs;
  std::vector<StatusCause> schema_causes;
  CrdDefinition def;
  const Json empty = Json::object();
  const Json* meta = registry::ObjectIn(crd, "metadata");
  def.name = meta != nullptr ? registry::Str(*meta, "name") : "";
  def.uid = meta != nullptr ? registry::Str(*meta, "uid") : "";
  const Json* spec = registry::ObjectIn(crd, "spec");
  if (spec == nullptr) spec = &empty;
  def.group = registry::Str(*spec, "group");
  if (def.group.empty()) {
    errs.Required("spec.group", "");
  } else {
    std::vector<std::string> problems = ValidateDnsSubdomain(def.group);
    if (!problems.empty()) errs.Invalid("spec.group", def.group, Joined(problems, ","));
    if (def.group.find('.') == std::string::npos) {
      errs.Invalid("spec.group", def.group, "should be a domain with at least one dot");
    }
  }
  const Json* names = registry::ObjectIn(*spec, "names");
  def.names = ParseNames(names != nullptr ? *names : empty, errs);
  std::string scope = registry::Str(*spec, "scope");
  if (scope.empty()) {
    errs.Required("spec.scope", "");
  } else if (scope != "Namespaced" && scope != "Cluster") {
    errs.NotSupported("spec.scope", scope, {"Cluster", "Namespaced"});
  }
  def.namespaced = scope != "Cluster";
  if (const Json* versions = registry::ArrayAt(*spec, "versions")) {
    for (size_t i = 0; i < versions->size(); ++i) {
      def.versions.push_back(
          ParseVersion((*versions)[i], Index("spec.versions", i), errs, &schema_causes));
    }
  }
  CheckVersions(def.versions, errs);
  if (!def.names.plural.empty() && !def.group.empty() &&
      def.name != def.names.plural + "." + def.group) {
    errs.Invalid("metadata.name", def.name, "must be spec.names.plural+\".\"+spec.group");
  }
  if (errs.empty() && schema_causes.empty()) return def;
  std::vector<StatusCause> all = schema_causes;
  errs.AppendTo(&all);
  std::string message;
  for (const StatusCause& c : all) {
    if (!message.empty()) message += ", ";
    message += c.field + ": " + c.message;
  }
  if (causes != nullptr) causes->insert(causes->end(), all.begin(), all.end());
  return InvalidError(message);
}

}  // namespace capstan::apiserver
