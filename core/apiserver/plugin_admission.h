// Admission by the operator's `admission` plugin chain (capstan/abi/admission.h): every mutator
// in chain order, each seeing the previous one's output (its RFC 6902 patch applied here), then
// every validator on the final object; DENIED rejects with 403, INVALID with 422, SKIP is no
// opinion. A failing plugin (error, timeout, malformed output) rejects the request when its
// entry's failurePolicy is Fail and is passed over when it is Ignore.
// Partners: rest_storage.cc (caller), plugin_cache_services.h (what plugins may read).
#pragma once

#include "core/apiserver/rest_storage.h"
#include "core/plugin/registry.h"

namespace capstan::apiserver {

// Thread-safe; the chain (owned by the plugin Registry) must outlive it. A null or empty chain
// admits everything unchanged.
class PluginAdmission final : public Admission {
 public:
  explicit PluginAdmission(const plugin::Chain* chain) : chain_(chain) {}
  Status Mutate(const Attributes& attrs, nlohmann::json& obj, const nlohmann::json* old) override;
  Status Validate(const Attributes& attrs, const nlohmann::json& obj,
                  const nlohmann::json* old) override;

 private:
  const plugin::Chain* chain_;
};

}  // namespace capstan::apiserver
