// metav1.Status bodies for every non-2xx reply (and delete's Success), as kubectl expects them:
// kind, apiVersion, status, message, reason, details{name,group,kind,uid,causes}, code.
// Partners: `capstan::Status` (core/common/status.h) supplies code and message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::apiserver {

// One field-level problem, as in `details.causes[]`: reason is e.g. "FieldValueRequired",
// "FieldValueInvalid", "FieldValueDuplicate", "FieldManagerConflict".
struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;  // the resource plural, as upstream puts it ("pods")
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

// Failure Status for a non-OK `status`.
nlohmann::json FailureStatus(const Status& status, const StatusDetails& details = {});
// Success Status (delete of an object removed at once).
nlohmann::json SuccessStatus(const StatusDetails& details);

// Builds the 422 Invalid error upstream sends: message
// `<Kind> "<name>" is invalid: [<field>: <message>, ...]`.
Status InvalidObjectError(std::string_view kind, std::string_view name,
                          const std::vector<StatusCause>& causes);

}  // namespace capstan::apiserver
