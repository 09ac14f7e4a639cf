// `default-toleration-seconds`: kube-apiserver's DefaultTolerationSeconds admission plugin. New
// pods that do not already tolerate them get NoExecute tolerations for the
// node.kubernetes.io/not-ready and node.kubernetes.io/unreachable taints with a limited
// tolerationSeconds (300 by default), so their pods are evicted from a lost node after that time.
// Export in plugin.cc; tests in default_toleration_seconds_test.cc.
#ifndef CAPSTAN_PLUGINS_ADMISSION_DEFAULT_TOLERATION_SECONDS_H_
#define CAPSTAN_PLUGINS_ADMISSION_DEFAULT_TOLERATION_SECONDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/sdk/admission.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kDefaultTolerationSecondsName[] = "default-toleration-seconds";
inline constexpr char kDefaultTolerationSecondsVersion[] = "0.1.0";
inline constexpr char kDefaultTolerationSecondsDescription[] =
    "Adds not-ready/unreachable NoExecute tolerations with a time limit to new pods";
inline constexpr char kDefaultTolerationSecondsSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "notReadyTolerationSeconds": {"type": "integer", "minimum": 0},
    "unreachableTolerationSeconds": {"type": "integer", "minimum": 0}
  }
})";

class DefaultTolerationSeconds final : public sdk::AdmissionPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  sdk::Status Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                     std::string* patch_json) override;

 private:
  int64_t not_ready_seconds_ = 300;
  int64_t unreachable_seconds_ = 300;
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_ADMISSION_DEFAULT_TOLERATION_SECONDS_H_
