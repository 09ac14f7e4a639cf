// The namespace controller (plugin `namespace`): empties a namespace being deleted — every
// namespaced resource the API serves, custom resources included — reports progress in the
// namespace's status conditions as upstream does (NamespaceDeletionDiscoveryFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining,
// NamespaceDeletionGroupVersionParsingFailure), then removes the `kubernetes` finalizer through
// the namespace's `finalize` subresource so the API server can remove it. Behaviour follows
// kube-controller-manager v1.32 (pkg/controller/namespace). Exported by plugin.cc; tests in
// tests/plugins/controllers/namespace/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/discovery.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kNamespacePluginName[] = "namespace";
inline constexpr char kNamespacePluginVersion[] = "1.0.0";
inline constexpr char kNamespacePluginDescription[] =
    "Namespace controller: deletes a terminating namespace's content, then finalizes it";
inline constexpr char kNamespaceSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "workers": {"type": "integer", "minimum": 1, "maximum": 64},
    "recheckMilliseconds": {"type": "integer", "minimum": 100}
  }
})";

// The finalizer the namespace controller owns in spec.finalizers.
inline constexpr char kKubernetesFinalizer[] = "kubernetes";

// What one pass over a namespace's content found.
struct ContentReport {
  std::vector<std::string> failed_groups;     // discovery failures
  std::vector<std::string> delete_failures;   // "<method> <path>: <message>"
  std::map<std::string, int64_t> remaining;   // "pods." / "widgets.example.com" -> count
  std::map<std::string, int64_t> finalizers;  // finalizer -> objects holding it
};

// The namespace's status.conditions for `report`, as upstream words them; `now` stamps
// conditions whose status changed from `current` (the namespace's present conditions).
Json NamespaceConditions(const ContentReport& report, const Json& current, int64_t now);

// Thread-safe: configuration is immutable after Init; the host never reconciles one key on two
// workers at once.
class NamespaceController final : public sdk::ControllerPlugin {
 public:
  // INVALID when the config is not an object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // Primary: /v1/namespaces.
  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // Nothing unless the namespace is being deleted and still lists the `kubernetes` finalizer.
  // OK with a requeue while content remains; RETRY_LATER when discovery or the API fails.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;

  void SetClockForTesting(Clock clock) { clock_ = std::move(clock); }

 private:
  // Deletes what is left of `ns` in `resource`, recording what remains in `report`.
  void DeleteContent(sdk::Call& call, const std::string& ns, const ApiResource& resource,
                     ContentReport* report);
  sdk::Status Finalize(sdk::Call& call, const Json& ns);

  const sdk::Host* host_ = nullptr;
  int64_t workers_ = 2;
  uint64_t recheck_ms_ = 1000;
  Clock clock_ = SystemNow;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_
