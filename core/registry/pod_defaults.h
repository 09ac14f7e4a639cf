// Pod defaulting as upstream v1.32 applies it (pkg/apis/core/v1/defaults.go plus the pod
// strategy and the Priority admission defaults users see): PodSpec defaults shared by Pods and
// every pod template, Pod-only defaults, QoS class. Validation is in pod_validation.h; the Pod
// strategy in pod_strategy.h. Functions mutate JSON in place and skip ill-typed members (left for
// validation to reject).
#pragma once

#include <string>
#include <string_view>

#include "core/registry/json_util.h"

namespace capstan::registry {

// `Always` for images tagged `latest` or untagged, else `IfNotPresent` (digests included).
std::string DefaultImagePullPolicy(std::string_view image);

// Rounds every parseable quantity of a ResourceList up to 1m and rewrites it canonically.
void CanonicalizeResourceList(Json& list);

// Defaults of a PodSpec wherever it appears: dnsPolicy, restartPolicy, securityContext,
// terminationGracePeriodSeconds, schedulerName, containers (pull policy, termination message,
// resources, ports, probes, env field refs), volumes (sources and modes).
void DefaultPodSpec(Json& spec);

// A pod template (`spec.template` of workloads): `metadata.creationTimestamp: null` as upstream
// serializes it, then `DefaultPodSpec`.
void DefaultPodTemplate(Json& pod_template);

// Defaults only real Pods get: requests copied from limits, enableServiceLinks, host ports under
// hostNetwork. Priority and preemptionPolicy are not defaults: the Priority admission plugin
// (plugins/admission/priority) sets them.
void DefaultPodOnlyFields(Json& spec);

// "BestEffort", "Burstable" or "Guaranteed" (upstream qos.ComputePodQOS).
std::string ComputeQosClass(const Json& spec);

}  // namespace capstan::registry
