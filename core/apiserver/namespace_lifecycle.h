// Namespace deletion as upstream's namespace registry does it: DELETE marks a namespace whose
// spec.finalizers are not empty (normally ["kubernetes"]) with a deletionTimestamp and phase
// Terminating instead of removing it; the `finalize` subresource (PUT) replaces spec.finalizers;
// the namespace goes once both spec.finalizers and metadata.finalizers are empty. Used by
// rest_storage.cc (delete/update) and api_server.cc (routing). The namespace controller
// (plugins/controllers/namespace) empties the namespace and calls /finalize.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/apiserver/rest_storage.h"

namespace capstan::apiserver {

// The subresource through which spec.finalizers of a namespace change.
inline constexpr char kFinalizeSubresource[] = "finalize";

// True for the core/v1 Namespace resource.
bool IsNamespaceResource(const ResourceInfo& info);

// True when `obj` of `info` must wait before it can be removed for a reason other than
// metadata.finalizers: a namespace with a non-empty spec.finalizers.
bool AwaitsSpecFinalizers(const ResourceInfo& info, const nlohmann::json& obj);

// Called when a delete leaves `obj` in place (finalizers pending): a namespace moves to phase
// Terminating. Other resources are unchanged.
void MarkTerminating(const ResourceInfo& info, nlohmann::json& obj);

// The object a PUT to namespaces/<name>/finalize stores: `old` with spec.finalizers taken from
// `requested` (absent or null there: none). Everything else the request carries is ignored,
// as upstream's finalize strategy does.
nlohmann::json ApplyFinalize(const nlohmann::json& old, const nlohmann::json& requested);

}  // namespace capstan::apiserver
