// PodSpec and pod-template validation as upstream v1.32 (ValidatePodSpec,
// ValidatePodTemplateSpec, ValidatePodCreate): volumes, containers (container_validation.h),
// restart/DNS policy, tolerations, names. Pod update rules live in pod_strategy.cc.
#pragma once

#include <string_view>

#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

struct PodValidationOptions {
  bool is_pod = false;  // a real Pod (extra checks), not a template
};

void ValidatePodSpec(const Json& spec, std::string_view path, const PodValidationOptions& opts,
                     FieldErrors* errs);
// `tmpl` is a PodTemplateSpec at `path` (e.g. "spec.template"): labels and spec.
void ValidatePodTemplateSpec(const Json& tmpl, std::string_view path, FieldErrors* errs);
void ValidateTolerations(const Json& tolerations, std::string_view path, FieldErrors* errs);

}  // namespace capstan::registry
