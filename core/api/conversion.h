// Conversion between the served versions of a built-in resource that is stored in one version,
// as upstream's conversion functions do: autoscaling HorizontalPodAutoscalers are served as v1
// and v2 and stored as v2. Writes in another version are converted to the storage version
// before anything else sees them; reads are converted back to the requested version.
// Partners: hpa_conversion.h (the autoscaling rules), core/apiserver (calls these).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/common/status.h"

namespace capstan::api {

// True when objects of `group`/`plural` requested in `version` differ from their stored form.
bool NeedsConversion(std::string_view group, std::string_view plural, std::string_view version);

// Converts `obj`, written in served `version`, into the storage version (apiVersion included).
// A no-op for resources without conversion. Errors: kInvalid for an object the rules reject
// (e.g. a malformed conversion annotation), with the field named.
Status ToStorageVersion(std::string_view group, std::string_view plural, std::string_view version,
                        nlohmann::json* obj);

// Converts a stored object into served `version` (apiVersion included). Never fails: fields
// the requested version cannot hold travel in annotations, as upstream keeps them.
void FromStorageVersion(std::string_view group, std::string_view plural, std::string_view version,
                        nlohmann::json* obj);

}  // namespace capstan::api
