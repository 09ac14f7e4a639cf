// Example admission plugin `example-labels`: a mutator that adds default labels with an RFC 6902
// JSON Patch, and a validator that denies objects missing required labels. Exported by
// plugin.cc; tested in tests/sdk/examples/example_labels_test.cc.
#ifndef CAPSTAN_EXAMPLES_LABELS_ADMISSION_H_
#define CAPSTAN_EXAMPLES_LABELS_ADMISSION_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/admission.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kLabelsAdmissionName[] = "example-labels";
inline constexpr char kLabelsAdmissionVersion[] = "0.1.0";
inline constexpr char kLabelsAdmissionDescription[] =
    "Adds default labels and requires others on created and updated objects";
inline constexpr char kLabelsAdmissionSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "defaultLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    "requiredLabels": {"type": "array", "items": {"type": "string", "minLength": 1}},
    "kinds": {"type": "array", "items": {"type": "string", "minLength": 1}}
  }
})";

// Applies to CREATE and UPDATE of the main resource (not subresources) of the listed `kinds`
// (all kinds when empty); everything else gets SKIP. Thread-safe: configuration is immutable
// after Init.
class LabelsAdmission final : public sdk::AdmissionPlugin {
 public:
  // INVALID when the config is not a JSON object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // Adds each missing `defaultLabels` entry; no patch when none is missing.
  sdk::Status Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                     std::string* patch_json) override;
  // DENIED when a `requiredLabels` entry is missing; warns about labels that still carry their
  // default value.
  sdk::Status Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                       std::string* warnings_json) override;

 private:
  bool Applies(const sdk::AdmissionRequest& request) const;

  std::map<std::string, std::string> defaults_;
  std::vector<std::string> required_;
  std::vector<std::string> kinds_;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_LABELS_ADMISSION_H_
