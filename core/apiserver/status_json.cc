// metav1.Status construction (status_json.h).
#include "core/apiserver/status_json.h"

namespace capstan::apiserver {
namespace {

nlohmann::json DetailsJson(const StatusDetails& d) {
  nlohmann::json j = nlohmann::json::object();
  if (!d.name.empty()) j["name"] = d.name;
  if (!d.group.empty()) j["group"] = d.group;
  if (!d.kind.empty()) j["kind"] = d.kind;
  if (!d.uid.empty()) j["uid"] = d.uid;
  if (!d.causes.empty()) {
    nlohmann::json causes = nlohmann::json::array();
    for (const StatusCause& c : d.causes) {
      nlohmann::json cj = {{"reason", c.reason}, {"message", c.message}};
      if (!c.field.empty()) cj["field"] = c.field;
      causes.push_back(std::move(cj));
    }
    j["causes"] = std::move(causes);
  }
  if (d.retry_after_seconds > 0) j["retryAfterSeconds"] = d.retry_after_seconds;
  return j;
}

}  // namespace

nlohmann::json FailureStatus(const Status& status, const StatusDetails& details) {
  nlohmann::json j = {{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", nlohmann::json::object()},
                      {"status", "Failure"},
                      {"message", status.message()},
                      {"reason", std::string(StatusCodeReason(status.code()))},
                      {"code", HttpStatus(status.code())}};
  nlohmann::json d = DetailsJson(details);
  if (!d.empty()) j["details"] = std::move(d);
  return j;
}

nlohmann::json SuccessStatus(const StatusDetails& details) {
  nlohmann::json j = {{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", nlohmann::json::object()},
                      {"status", "Success"}};
  nlohmann::json d = DetailsJson(details);
  if (!d.empty()) j["details"] = std::move(d);
  return j;
}

Status InvalidObjectError(std::string_view kind, std::string_view name,
                          const std::vector<StatusCause>& causes) {
  std::string m(kind);
  m += " \"";
  m += name;
  m += "\" is invalid: ";
  if (causes.size() > 1) m += "[";
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) m += ", ";
    if (!causes[i].field.empty()) {
      m += causes[i].field;
      m += ": ";
    }
    m += causes[i].message;
  }
  if (causes.size() > 1) m += "]";
  return Status(StatusCode::kInvalid, std::move(m));
}

}  // namespace capstan::apiserver
