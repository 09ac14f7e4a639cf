// Example controller plugin `example-configmap-counter`: keeps an annotation on every Namespace
// equal to the number of ConfigMaps in it. Reads from the host's informer cache, writes with a
// merge patch through the host's API client. Exported by plugin.cc; tested in
// tests/sdk/examples/example_configmap_counter_test.cc.
#ifndef CAPSTAN_EXAMPLES_CONFIGMAP_COUNTER_H_
#define CAPSTAN_EXAMPLES_CONFIGMAP_COUNTER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/sdk/controller.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kConfigMapCounterName[] = "example-configmap-counter";
inline constexpr char kConfigMapCounterVersion[] = "0.1.0";
inline constexpr char kConfigMapCounterDescription[] =
    "Annotates each namespace with the number of its ConfigMaps";
inline constexpr char kConfigMapCounterSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "annotation": {"type": "string", "minLength": 1},
    "labelSelector": {"type": "string"}
  }
})";

// Primary resource: namespaces. ConfigMap events map to their namespace's key (`MapEvent`), so
// the host enqueues the namespace whenever one of its ConfigMaps changes. Thread-safe: state is
// immutable after Init; the host never reconciles one key concurrently.
class ConfigMapCounter final : public sdk::ControllerPlugin {
 public:
  static constexpr char kDefaultAnnotation[] = "example.capstan.io/configmap-count";

  // INVALID when the config is not a JSON object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  sdk::Status Describe(sdk::Call& call, std::string* watch_json) override;
  // OK when the annotation is current (or the namespace is gone); RETRY_LATER when the cache is
  // not ready or the API server asks to retry (409, 429, 5xx); ERROR on other API failures.
  sdk::Status Reconcile(sdk::Call& call, std::string_view key, uint64_t* requeue_after_ms) override;
  // ["<namespace of the ConfigMap>"].
  sdk::Status MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                       std::string_view object_json, std::string* keys_json) override;

 private:
  const sdk::Host* host_ = nullptr;
  std::string annotation_ = kDefaultAnnotation;
  std::string label_selector_;
  sdk::Metric patches_;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_CONFIGMAP_COUNTER_H_
