// OpenAPI v3 documents for custom resources: one per served group-version, with each kind's
// schema (carrying `x-kubernetes-group-version-kind`), its list kind, and the paths with their
// operations — the PATCH operation declares the `fieldValidation` query parameter, which is what
// kubectl 1.32 checks before `create -f`/`apply` (kubectl-contract §6). Pure functions; the CRD
// controller (crd_controller.h) installs the result with `api::OpenApi::SetV3Document`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/api/resource.h"

namespace capstan::apiserver {

// One served kind of the group-version and the `openAPIV3Schema` of that version.
struct CrdOpenApiKind {
  api::ResourceInfo resource;
  nlohmann::json schema;
};

// The components every custom-resource document references (ObjectMeta, ListMeta, Status,
// DeleteOptions, Patch, autoscaling/v1 Scale and what they reference), taken from upstream
// documents: `meta_source` holds `io.k8s.apimachinery.pkg.apis.meta.v1.*` schemas (e.g. the
// apiextensions.k8s.io/v1 document) and `scale_source` `io.k8s.api.autoscaling.v1.Scale*` (the
// autoscaling/v1 document). Either may be null; missing schemas are left out.
nlohmann::json SharedCrdSchemas(const nlohmann::json& meta_source,
                                const nlohmann::json& scale_source);

// "com.example.stable.v1.CronTab": upstream's component name for a custom kind.
std::string CrdSchemaName(const std::string& group, const std::string& version,
                          const std::string& kind);

// The document for `gv` serving `kinds` (at least one), with `shared` (SharedCrdSchemas) added
// to components.schemas. Deterministic: equal inputs give equal bytes.
std::string BuildCrdOpenApiV3(const api::GroupVersion& gv, const std::vector<CrdOpenApiKind>& kinds,
                              const nlohmann::json& shared);

}  // namespace capstan::apiserver
