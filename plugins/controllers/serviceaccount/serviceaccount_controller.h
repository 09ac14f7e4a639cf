// The ServiceAccount controller (plugin `serviceaccount`): makes sure every active namespace has
// the service accounts named in its config (`default`), creating them again when deleted, and
// leaves Terminating namespaces alone. Behaviour follows kube-controller-manager v1.32
// (pkg/controller/serviceaccount). Exported by plugin.cc; tests in
// tests/plugins/controllers/serviceaccount/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_CONTROLLER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kServiceAccountPluginName[] = "serviceaccount";
inline constexpr char kServiceAccountPluginVersion[] = "1.0.0";
inline constexpr char kServiceAccountPluginDescription[] =
    "ServiceAccount controller: a `default` service account in every active namespace";
inline constexpr char kServiceAccountSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "serviceAccounts": {"type": "array", "items": {"type": "string", "minLength": 1}}
  }
})";

// Thread-safe: configuration is immutable after Init; the host never reconciles one key on two
// workers at once.
class ServiceAccountController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary /v1/namespaces; service accounts mapped to their namespace.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;
  // Creates the missing accounts of an Active namespace. OK when all exist (or the namespace
  // is gone or terminating); RETRY_LATER when the cache is not ready or the API asks to retry;
  // ERROR when a create fails otherwise.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

 private:
  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 2;
  std::vector<std::string> names_ = {"default"};
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_SERVICEACCOUNT_SERVICEACCOUNT_CONTROLLER_H_
