// `imagePullPolicy` values and the upstream defaulting rule (Always for `:latest` or no tag,
// else IfNotPresent). Implementation in pull_policy.cc; image_service.h's `Ensure` applies it.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "core/common/status.h"

namespace capstan::image {

enum class PullPolicy { kAlways, kIfNotPresent, kNever };

// "Always" | "IfNotPresent" | "Never" (exact, as the API spells them); kInvalid otherwise.
Result<PullPolicy> ParsePullPolicy(std::string_view text);
std::string_view PullPolicyName(PullPolicy policy);

// The policy the API server defaults an empty `imagePullPolicy` to for `image`: Always when the
// tag is "latest" or the image has neither tag nor digest; IfNotPresent otherwise (including
// digest-only references and unparsable images, as upstream).
PullPolicy DefaultPullPolicy(std::string_view image);

// Whether the agent must contact the registry: Always -> yes; IfNotPresent -> when absent;
// Never -> no (absence is then the `ErrImageNeverPull` error).
bool ShouldPull(PullPolicy policy, bool present);

}  // namespace capstan::image
