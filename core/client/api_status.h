// Mapping API responses to `capstan::Status`: a non-2xx response's metav1.Status `reason` picks
// the canonical code (NotFound -> kNotFound, AlreadyExists -> kAlreadyExists, Conflict ->
// kConflict, Invalid -> kInvalid, Expired/Gone -> kGone, ...), falling back to the HTTP status;
// the message is the Status `message`. Used by api_client.cc and informer.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::client {

// OK for 2xx. Otherwise the code from `reason` (when the body is a metav1.Status with a known
// reason) or from the HTTP status (404 kNotFound, 409 kConflict, 410 kGone, 422 kInvalid,
// 5xx kInternal/kUnavailable/kTimeout, other 4xx kBadRequest), and the body's `message` (or a
// generic "HTTP <status>" text when the body has none).
Status StatusFromResponse(const ApiResponse& response);

// The same for a metav1.Status object already parsed (a watch ERROR event): reason, then
// `code`, then kInternal.
Status StatusFromStatusObject(const nlohmann::json& status);

// The code a Kubernetes reason string stands for; nullopt when unknown.
std::optional<StatusCode> StatusCodeFromReason(std::string_view reason);

}  // namespace capstan::client
