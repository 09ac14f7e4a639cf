// autoscaling HorizontalPodAutoscaler between v1 and v2 (the storage version), with upstream's
// rules: v1's spec.targetCPUUtilizationPercentage is v2's CPU Utilization metric (80% when v1
// leaves it unset); what v1 cannot express (other metrics, behavior, status conditions and
// other current metrics) travels in the autoscaling.alpha.kubernetes.io/* annotations.
// Partner: conversion.h (dispatch).
#pragma once

#include <nlohmann/json.hpp>

#include "core/common/status.h"

namespace capstan::api {

// v1 -> v2, in place. Errors: kInvalid when a conversion annotation is not the JSON it must be.
Status HpaV1ToV2(nlohmann::json* obj);

// v2 -> v1, in place.
void HpaV2ToV1(nlohmann::json* obj);

}  // namespace capstan::api
