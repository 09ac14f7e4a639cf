// Selectable field tables (from upstream's per-type GetAttrs / field label conversions, v1.32)
// and JSON value extraction. Header: selectable_fields.h.
#include "core/selector/selectable_fields.h"

#include <charconv>

namespace capstan::selector {
namespace {

SelectableField F(std::string name, std::vector<std::string> path, std::string def = "") {
  return {std::move(name), std::move(path), std::move(def)};
}

std::vector<SelectableField> ExtraFields(std::string_view group, std::string_view resource) {
  if (group.empty()) {
    if (resource == "pods") {
      return {F("spec.nodeName", {"spec", "nodeName"}),
              F("spec.restartPolicy", {"spec", "restartPolicy"}),
              F("spec.schedulerName", {"spec", "schedulerName"}),
              F("spec.serviceAccountName", {"spec", "serviceAccountName"}),
              F("spec.hostNetwork", {"spec", "hostNetwork"}, "false"),
              F("status.phase", {"status", "phase"}),
              F("status.podIP", {"status", "podIP"}),
              F("status.nominatedNodeName", {"status", "nominatedNodeName"})};
    }
    if (resource == "events") {
      return {F("involvedObject.kind", {"involvedObject", "kind"}),
              F("involvedObject.namespace", {"involvedObject", "namespace"}),
              F("involvedObject.name", {"involvedObject", "name"}),
              F("involvedObject.uid", {"involvedObject", "uid"}),
              F("involvedObject.apiVersion", {"involvedObject", "apiVersion"}),
              F("involvedObject.resourceVersion", {"involvedObject", "resourceVersion"}),
              F("involvedObject.fieldPath", {"involvedObject", "fieldPath"}),
              F("reason", {"reason"}),
              F("reportingComponent", {"reportingComponent"}),
              F("source", {"source", "component"}),
              F("type", {"type"})};
    }
    if (resource == "nodes") return {F("spec.unschedulable", {"spec", "unschedulable"}, "false")};
    if (resource == "namespaces") return {F("status.phase", {"status", "phase"})};
    if (resource == "secrets") return {F("type", {"type"})};
    if (resource == "replicationcontrollers") {
      return {F("status.replicas", {"status", "replicas"}, "0")};
    }
    if (resource == "services") {
      return {F("spec.clusterIP", {"spec", "clusterIP"}), F("spec.type", {"spec", "type"})};
    }
    return {};
  }
  if (group == "apps" && resource == "replicasets") {
    return {F("status.replicas", {"status", "replicas"}, "0")};
  }
  if (group == "batch" && resource == "jobs") {
    return {F("status.successful", {"status", "successful"}, "0")};
  }
  if (group == "certificates.k8s.io" && resource == "certificatesigningrequests") {
    return {F("spec.signerName", {"spec", "signerName"})};
  }
  return {};
}

}  // namespace

SelectableFields::SelectableFields(std::vector<SelectableField> fields)
    : fields_(std::move(fields)) {}

SelectableFields SelectableFields::WithObjectMeta(bool namespaced,
                                                  std::vector<SelectableField> extra) {
  std::vector<SelectableField> fields;
  fields.push_back(F("metadata.name", {"metadata", "name"}));
  if (namespaced) fields.push_back(F("metadata.namespace", {"metadata", "namespace"}));
  for (SelectableField& f : extra) fields.push_back(std::move(f));
  return SelectableFields(std::move(fields));
}

SelectableFields SelectableFields::ForResource(std::string_view group, std::string_view resource,
                                               bool namespaced) {
  return WithObjectMeta(namespaced, ExtraFields(group, resource));
}

const SelectableField* SelectableFields::Find(std::string_view name) const {
  for (const SelectableField& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<BoundFieldSelector> SelectableFields::Bind(const FieldSelector& selector) const {
  BoundFieldSelector bound;
  for (const FieldRequirement& r : selector.requirements()) {
    const SelectableField* f = Find(r.field);
    if (f == nullptr) return BadRequestError("field label not supported: " + r.field);
    bound.terms_.push_back({*f, r.op, r.value});
  }
  return bound;
}

std::string_view SelectableFieldValue(const nlohmann::json& object, const SelectableField& field,
                                      std::string& scratch) {
  const nlohmann::json* cur = &object;
  for (const std::string& key : field.json_path) {
    if (!cur->is_object()) return field.default_value;
    auto it = cur->find(key);
    if (it == cur->end()) return field.default_value;
    cur = &*it;
  }
  if (cur->is_string()) return cur->get_ref<const std::string&>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number_integer()) {
    char buf[24];
    auto [end, ec] = cur->is_number_unsigned()
                         ? std::to_chars(buf, buf + sizeof(buf), cur->get<uint64_t>())
                         : std::to_chars(buf, buf + sizeof(buf), cur->get<int64_t>());
    if (ec != std::errc()) return field.default_value;
    scratch.assign(buf, end);
    return scratch;
  }
  return field.default_value;
}

bool BoundFieldSelector::Matches(const nlohmann::json& object) const {
  std::string scratch;  // only grows for integer fields; small-string storage avoids the heap
  for (const Term& t : terms_) {
    bool equal = SelectableFieldValue(object, t.field, scratch) == t.value;
    if (equal != (t.op == FieldRequirement::Op::kEquals)) return false;
  }
  return true;
}

}  // namespace capstan::selector
