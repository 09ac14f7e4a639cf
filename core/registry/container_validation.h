// Validation of the container lists of a PodSpec (upstream validateContainers,
// validateInitContainers and everything under them: ports, env, mounts, resources, probes,
// lifecycle), with upstream's field paths and wording. Called by pod_validation.cc.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

// `volumes`: names of the valid volumes of the pod (mounts must reference one of them).
// `grace_period`: the pod's terminationGracePeriodSeconds (-1 when unset) for sleep hooks.
struct ContainerContext {
  std::set<std::string> volumes;
  int64_t grace_period = -1;
};

void ValidateContainers(const Json& spec, std::string_view path, const ContainerContext& ctx,
                        FieldErrors* errs);
void ValidateInitContainers(const Json& spec, std::string_view path, const ContainerContext& ctx,
                            FieldErrors* errs);
// One ResourceRequirements object (names, quantities, requests <= limits).
void ValidateResourceRequirements(const Json& resources, std::string_view path, FieldErrors* errs);

}  // namespace capstan::registry
