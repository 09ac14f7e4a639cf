// Service defaulting and validation as upstream v1.32 (SetDefaults_Service, ValidateService,
// ValidateServiceUpdate, the registry's clusterIP/ipFamily normalization) for a single-stack
// IPv4 cluster. Allocation is in service_strategy.cc.
#pragma once

#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

bool NeedsClusterIp(const Json& spec);            // every type but ExternalName
bool NeedsNodePorts(const Json& spec);            // NodePort and LoadBalancer
bool NeedsHealthCheckNodePort(const Json& spec);  // LoadBalancer with externalTrafficPolicy Local

// SetDefaults_Service plus clusterIPs/ipFamilies/ipFamilyPolicy initialization.
void DefaultServiceSpec(Json& spec);
// On update: keeps allocated values the client omitted (clusterIP(s), nodePorts,
// healthCheckNodePort), wipes type-dependent fields the new type no longer uses, and re-syncs
// clusterIP with clusterIPs (upstream patchAllocatedValues, dropTypeDependentFields,
// normalizeClusterIPs).
void PrepareServiceUpdate(Json& spec, const Json& old_spec);

// ValidateService for `spec` of a Service named `name`.
void ValidateServiceSpec(const Json& spec, FieldErrors* errs);
// ValidateServiceUpdate's extra rules (clusterIPs may not change once set).
void ValidateServiceSpecUpdate(const Json& spec, const Json& old_spec, FieldErrors* errs);

}  // namespace capstan::registry
