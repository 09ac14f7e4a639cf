// `priority`: the Priority admission plugin of kube-apiserver. On pod creation it resolves
// spec.priorityClassName (or the globalDefault PriorityClass) into spec.priority and
// spec.preemptionPolicy, rejecting unknown classes and hand-set priorities that disagree; it
// keeps at most one globalDefault PriorityClass. Classes are read from the host's object cache.
// Export in plugin.cc; tests in priority_test.cc.
#ifndef CAPSTAN_PLUGINS_ADMISSION_PRIORITY_PRIORITY_H_
#define CAPSTAN_PLUGINS_ADMISSION_PRIORITY_PRIORITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "capstan/sdk/admission.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kPriorityName[] = "priority";
inline constexpr char kPriorityVersion[] = "0.1.0";
inline constexpr char kPriorityDescription[] =
    "Resolves PriorityClass names into pod priorities (kube-apiserver's Priority plugin)";
inline constexpr char kPrioritySchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {}
})";

// The built-in classes kube-apiserver creates at start-up.
inline constexpr int32_t kSystemClusterCritical = 2000000000;
inline constexpr int32_t kSystemNodeCritical = 2000001000;

class PriorityAdmission final : public sdk::AdmissionPlugin {
 public:
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  sdk::Status Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                     std::string* patch_json) override;
  sdk::Status Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                       std::string* warnings_json) override;

 private:
  struct Class {
    std::string name;
    int32_t value = 0;
    std::string preemption_policy;  // empty: not set
  };
  // The class named `name`, or nullopt; errors when the cache cannot be read.
  sdk::Status Lookup(std::string_view name, std::optional<Class>* out) const;
  // The globalDefault class with the lowest value, as upstream picks, or nullopt.
  sdk::Status DefaultClass(std::optional<Class>* out, std::string_view except = {}) const;

  const sdk::Host* host_ = nullptr;
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_ADMISSION_PRIORITY_PRIORITY_H_
