// `FieldErrors`: builds the `details.causes[]` of a 422 reply exactly as upstream's
// `field.ErrorList` prints them (`Required value`, `Invalid value: "x": detail`, `Unsupported
// value: "x": supported values: "a", "b"`, ...), plus field-path helpers and Go-style rendering of
// values (`map[string]string{"a":"b"}`). Used by every strategy in core/registry.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/status_json.h"

namespace capstan::registry {

// Field paths as upstream prints them: `spec.containers[0].image`, `data[key]`.
std::string Child(std::string_view path, std::string_view name);
std::string Index(std::string_view path, size_t i);
std::string Key(std::string_view path, std::string_view key);

// Go `%q` of a string.
std::string GoQuoted(std::string_view s);
// How upstream's `field.Error` prints a value that came from JSON: strings quoted, numbers and
// booleans plain, null as `null`, string arrays as `[]string{"a", "b"}`, string maps as
// `map[string]string{"a":"b"}` (keys sorted); anything else as compact JSON.
std::string GoValue(const nlohmann::json& value);
// `v1.LabelSelector{MatchLabels:map[string]string{...}, MatchExpressions:[]v1.Label...}`.
std::string GoLabelSelector(const nlohmann::json& selector);
// `intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}`.
std::string GoIntOrString(const nlohmann::json& value);

// An ordered list of field errors. Not thread-safe; one per validation call.
class FieldErrors {
 public:
  // `Required value[: detail]`.
  void Required(std::string_view path, std::string_view detail = {});
  // `Invalid value: <GoValue(value)>: detail`.
  void Invalid(std::string_view path, const nlohmann::json& value, std::string_view detail);
  // Same with a value already rendered (Go structs, IntOrString...).
  void InvalidRendered(std::string_view path, std::string_view rendered, std::string_view detail);
  // `Unsupported value: <value>: supported values: "a", "b"`.
  void NotSupported(std::string_view path, const nlohmann::json& value,
                    const std::vector<std::string>& supported);
  void NotSupportedRendered(std::string_view path, std::string_view rendered,
                            const std::vector<std::string>& supported);
  // `Duplicate value: <value>`.
  void Duplicate(std::string_view path, const nlohmann::json& value);
  void DuplicateRendered(std::string_view path, std::string_view rendered);
  // `Not found: <value>`.
  void NotFound(std::string_view path, const nlohmann::json& value);
  // `Forbidden: detail`.
  void Forbidden(std::string_view path, std::string_view detail);
  // `Too long: must have at most <max> bytes`.
  void TooLong(std::string_view path, int64_t max_bytes);

  // Appends the errors of `other`, in order.
  void Append(const FieldErrors& other);

  bool empty() const { return causes_.empty(); }
  size_t size() const { return causes_.size(); }
  const std::vector<apiserver::StatusCause>& causes() const { return causes_; }
  // Appends every cause to `out` (the strategy interface's output parameter).
  void AppendTo(std::vector<apiserver::StatusCause>* out) const;

 private:
  void Add(std::string_view reason, std::string_view path, std::string message);
  std::vector<apiserver::StatusCause> causes_;
};

}  // namespace capstan::registry
