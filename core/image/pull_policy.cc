// Pull policy parsing and defaulting (pull_policy.h).
#include "core/image/pull_policy.h"

#include <string>

#include "core/image/reference.h"

namespace capstan::image {

Result<PullPolicy> ParsePullPolicy(std::string_view text) {
  if (text == "Always") return PullPolicy::kAlways;
  if (text == "IfNotPresent") return PullPolicy::kIfNotPresent;
  if (text == "Never") return PullPolicy::kNever;
  return InvalidError("unsupported imagePullPolicy \"" + std::string(text) +
                      "\": supported values: \"Always\", \"IfNotPresent\", \"Never\"");
}

std::string_view PullPolicyName(PullPolicy policy) {
  switch (policy) {
    case PullPolicy::kAlways:
      return "Always";
    case PullPolicy::kIfNotPresent:
      return "IfNotPresent";
    case PullPolicy::kNever:
      return "Never";
  }
  return "IfNotPresent";
}

PullPolicy DefaultPullPolicy(std::string_view image) {
  auto ref = ParseReference(image);
  if (!ref.ok()) return PullPolicy::kIfNotPresent;
  // ParseReference fills in "latest" only when neither tag nor digest was given, which is
  // exactly upstream's ParseImageName.
  return ref->tag == kDefaultTag ? PullPolicy::kAlways : PullPolicy::kIfNotPresent;
}

bool ShouldPull(PullPolicy policy, bool present) {
  switch (policy) {
    case PullPolicy::kAlways:
      return true;
    case PullPolicy::kIfNotPresent:
      return !present;
    case PullPolicy::kNever:
      return false;
  }
  return !present;
}

}  // namespace capstan::image
