// Resource quantities for quota accounting ("500m", "1Gi", "2", "1e3") as exact thousandths,
// with upstream's canonical text for writing `status.used` back ("1500m", "1Gi", "2k"). Plugins
// see only the SDK, so this is the plugin-side twin of core/registry/quantity.h, reduced to what
// quota arithmetic needs. Partners: quota_usage.h. Tests in
// tests/plugins/controllers/resourcequota/quota_quantity_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_QUANTITY_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_QUANTITY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "capstan/sdk/json.h"

namespace capstan::controllers {

// A quantity in thousandths of its unit (upstream MilliValue, rounded up), saturating at the
// int64 range. `binary` remembers a binary suffix (Ki, Mi, ...) so sums print as upstream's
// BinarySI format does.
struct MilliQuantity {
  int64_t milli = 0;
  bool binary = false;

  // Text such as "250m", "1.5Gi", "1e3"; nullopt when it does not parse.
  static std::optional<MilliQuantity> Parse(std::string_view text);
  // A JSON string or number (kubectl sends `cpu: 1` as a number); nullopt otherwise.
  static std::optional<MilliQuantity> FromJson(const sdk::json::Json& value);
  // Canonical text: "1500m", "2", "2k", "128Mi".
  std::string String() const;
  MilliQuantity Plus(const MilliQuantity& other) const;
};

// A ResourceList ("requests.cpu" -> quantity), ordered by name as upstream prints it.
using ResourceList = std::map<std::string, MilliQuantity>;

// Parses a ResourceList object; entries that do not parse are left out.
ResourceList ParseResourceList(const sdk::json::Json* list);
// {"name": "canonical text", ...}.
sdk::json::Json ResourceListJson(const ResourceList& list);
// `a` + `b`, entry by entry.
void AddInto(ResourceList* a, const ResourceList& b);
// "pods=1,requests.cpu=500m" (upstream's prettyPrint: sorted, comma-separated).
std::string PrettyPrint(const ResourceList& list);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_RESOURCEQUOTA_QUOTA_QUANTITY_H_
