// `CrdDefinition`: an `apiextensions.k8s.io/v1` CustomResourceDefinition, parsed and validated
// (names, scope, group, versions, schemas, subresources) with upstream's field paths and wording,
// and turned into the `api::ResourceInfo`s it serves. Pure functions; no I/O. Partners:
// crd_controller.h (caller), crd_schema.h (version schemas).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/api/resource.h"
#include "core/apiserver/crd_schema.h"
#include "core/apiserver/status_json.h"
#include "core/common/status.h"

namespace capstan::apiserver {

// The finalizer upstream puts on CRDs so that deleting one first deletes its custom resources.
inline constexpr std::string_view kCustomResourceCleanupFinalizer =
    "customresourcecleanup.apiextensions.k8s.io";

struct CrdNames {
  std::string plural;
  std::string singular;  // defaulted to lower-case kind
  std::string kind;
  std::string list_kind;  // defaulted to <kind>List
  std::vector<std::string> short_names;
  std::vector<std::string> categories;

  // `status.acceptedNames` as upstream writes it (empty lists omitted).
  nlohmann::json ToJson() const;
};

struct CrdVersion {
  std::string name;
  bool served = false;
  bool storage = false;
  std::shared_ptr<const StructuralSchema> schema;  // null when the version has none
  bool status_subresource = false;
  bool scale_subresource = false;
};

struct CrdDefinition {
  std::string name;  // metadata.name: <plural>.<group>
  std::string uid;
  std::string group;
  bool namespaced = true;
  CrdNames names;
  std::vector<CrdVersion> versions;  // in declaration order

  // The version with `storage: true`. Valid definitions have exactly one.
  const CrdVersion& StorageVersion() const;
  // One ResourceInfo per served version, the storage version first when it is served (the
  // first registration decides the version objects are stored as). Verbs: get, list, watch,
  // create, update, patch, delete, deletecollection; subresources status and scale as declared.
  std::vector<api::ResourceInfo> ServedResources() const;
};

// Parses and validates a CRD object. Errors: kInvalid with every problem in `*causes` (may be
// null), e.g. `metadata.name: Invalid value: "x": must be spec.names.plural+"."+spec.group` or
// `spec.versions: Invalid value: ...: must have exactly one version marked as storage version`.
Result<CrdDefinition> ParseCrd(const nlohmann::json& crd, std::vector<StatusCause>* causes);

// Upstream's DNS-1035 label check: empty when valid, else the messages.
std::vector<std::string> ValidateDns1035Label(std::string_view value);

}  // namespace capstan::apiserver
