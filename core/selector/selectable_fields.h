// Per-resource selectable fields: which `fieldSelector` labels a resource accepts and where each
// value lives in the object JSON, plus upstream Kubernetes' table for built-in resources.
// `Bind` checks a parsed FieldSelector against the table once; the bound selector then matches
// object JSON without allocating. Implementation in selectable_fields.cc; tests in
// tests/core/selector/selectable_fields_test.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/selector/field_selector.h"

namespace capstan::selector {

// One selectable field. Its value is read by walking `json_path` through objects: a string is
// used as is, a bool as "true"/"false", an integer in decimal; anything else, or a missing path,
// yields `default_value` (upstream formats Go zero values, e.g. "false" for an unset bool).
struct SelectableField {
  std::string name;                    // e.g. "spec.nodeName" or "source"
  std::vector<std::string> json_path;  // e.g. {"spec", "nodeName"} or {"source", "component"}
  std::string default_value;
};

class BoundFieldSelector;

// A resource's selectable fields. Immutable after construction; safe to share between threads.
class SelectableFields {
 public:
  SelectableFields() = default;
  explicit SelectableFields(std::vector<SelectableField> fields);

  // `metadata.name` (and `metadata.namespace` when `namespaced`) followed by `extra`.
  static SelectableFields WithObjectMeta(bool namespaced, std::vector<SelectableField> extra = {});

  // Upstream's fields for a built-in resource (group "" is core), e.g. pods: spec.nodeName,
  // spec.restartPolicy, spec.schedulerName, spec.serviceAccountName, spec.hostNetwork,
  // status.phase, status.podIP, status.nominatedNodeName; events: involvedObject.*, reason,
  // reportingComponent, source, type; secrets: type; nodes: spec.unschedulable. Resources
  // without extra fields (and unknown ones, e.g. custom resources) get the metadata fields only.
  static SelectableFields ForResource(std::string_view group, std::string_view resource,
                                      bool namespaced);

  const SelectableField* Find(std::string_view name) const;
  const std::vector<SelectableField>& fields() const { return fields_; }

  // Checks that every term names a selectable field. Errors: kBadRequest
  // `field label not supported: <field>` (the API server prefixes its context).
  Result<BoundFieldSelector> Bind(const FieldSelector& selector) const;

 private:
  std::vector<SelectableField> fields_;
};

// A FieldSelector resolved against a resource's SelectableFields. Self-contained (copies what it
// needs); immutable; safe to share between threads.
class BoundFieldSelector {
 public:
  BoundFieldSelector() = default;  // matches everything

  // True when every term holds for `object` (a whole Kubernetes object).
  bool Matches(const nlohmann::json& object) const;
  bool Empty() const { return terms_.empty(); }

 private:
  friend class SelectableFields;
  struct Term {
    SelectableField field;
    FieldRequirement::Op op;
    std::string value;
  };
  std::vector<Term> terms_;
};

// The string form of `field`'s value in `object`; non-string values are formatted into
// `scratch`, so the result lives as long as `object`, `field` and `scratch`.
std::string_view SelectableFieldValue(const nlohmann::json& object, const SelectableField& field,
                                      std::string& scratch);

}  // namespace capstan::selector
