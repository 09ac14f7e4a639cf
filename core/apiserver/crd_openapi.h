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

// A kind's published schema: `schema` (its openAPIV3Schema, in the document's form) as an object
// with apiVersion, kind and `metadata` (a reference to ObjectMeta in the document's form) and
// x-kubernetes-group-version-kind naming `r`.
nlohmann::json CrdKindSchema(nlohmann::json schema, const api::ResourceInfo& r,
                             nlohmann::json metadata);

// The list kind's schema: `item` references the kind, `metadata` ListMeta (document's form).
nlohmann::json CrdListSchema(const api::ResourceInfo& r, nlohmann::json item,
                             nlohmann::json metadata);

// "com.example.stable.v1.CronTab": upstream's component name for a custom kind.
std::string CrdSchemaName(const std::string& group, const std::string& version,
                          const std::string& kind);

// The document for `gv` serving `kinds` (at least one), with `shared` (SharedCrdSchemas) added
// to components.schemas. Deterministic: equal inputs give equal bytes.
std::string BuildCrdOpenApiV3(const api::GroupVersion& gv, const std::vector<CrdOpenApiKind>& kinds,
                              const nlohmann::json& shared);

// The `/openapi/v2` definitions of `kinds` (one group-version): each kind and its list kind,
// named as `CrdSchemaName`, with `#/definitions/` references to the upstream document's ObjectMeta
// and ListMeta, and the schema narrowed to what swagger 2.0 and kubectl's client-side validation
// understand, as upstream publishes CRDs there: no `nullable` (a nullable field loses its type),
// no `anyOf`/`oneOf`/`allOf`/`not`, no type on int-or-string fields, and no properties under
// `x-kubernetes-preserve-unknown-fields` (so kubectl does not reject the fields it keeps).
// Implementation: crd_openapi_v2.cc.
nlohmann::json BuildCrdOpenApiV2Definitions(const std::vector<CrdOpenApiKind>& kinds);

}  // namespace capstan::apiserver
