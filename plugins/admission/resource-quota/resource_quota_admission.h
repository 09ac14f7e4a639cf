// `resource-quota`: kube-apiserver's ResourceQuota admission plugin (validating). A create in a
// namespace with quotas is refused with 403 when it would take a tracked resource past
// `spec.hard` ("exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"), or when a
// quota limits cpu/memory that a container does not set ("failed quota: q: must specify
// limits.cpu for: c"). Usage is computed from the API server's object cache at admission time
// (quota_usage.h, shared with the ResourceQuota controller) plus objects this plugin admitted
// that the cache does not show yet, so back-to-back creates cannot overrun a quota. Export in
// plugin.cc; tests in resource_quota_admission_test.cc.
#ifndef CAPSTAN_PLUGINS_ADMISSION_RESOURCE_QUOTA_RESOURCE_QUOTA_ADMISSION_H_
#define CAPSTAN_PLUGINS_ADMISSION_RESOURCE_QUOTA_RESOURCE_QUOTA_ADMISSION_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/admission.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/resourcequota/quota_usage.h"

namespace capstan::plugins {

inline constexpr char kResourceQuotaName[] = "resource-quota";
inline constexpr char kResourceQuotaVersion[] = "0.1.0";
inline constexpr char kResourceQuotaDescription[] =
    "Refuses creates that exceed a ResourceQuota (kube-apiserver's ResourceQuota plugin)";
inline constexpr char kResourceQuotaSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "reservationSeconds": {"type": "integer", "minimum": 1}
  }
})";

// Thread-safe: checks and reservations are serialized by one mutex, so two concurrent creates
// see each other's charge.
class ResourceQuotaAdmission final : public sdk::AdmissionPlugin {
 public:
  // Config: `reservationSeconds` (10): how long an admitted object the cache does not show yet
  // keeps being charged (covers writes that later fail).
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // SKIP for anything but a namespaced create; DENIED (403) as described above; OK otherwise.
  // Objects are not charged on dry runs.
  sdk::Status Validate(sdk::Call& call, const sdk::AdmissionRequest& request,
                       std::string* warnings_json) override;

  // Unix milliseconds (tests).
  void SetClockForTesting(std::function<int64_t()> now_ms) { now_ms_ = std::move(now_ms); }

 private:
  struct Reservation {
    controllers::QuotaTarget target;
    std::string ns;
    std::string name;
    sdk::json::Json object;
    int64_t at_ms;
  };
  // The cached objects of `target` in `ns` plus reservations not yet in the cache; requires
  // mu_.
  sdk::Status List(const controllers::QuotaTarget& target, std::string_view ns,
                   sdk::json::Json* items);

  const sdk::Host* host_ = nullptr;
  int64_t reservation_ms_ = 10000;
  std::function<int64_t()> now_ms_;
  std::mutex mu_;
  std::vector<Reservation> reservations_;  // guarded by mu_
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_ADMISSION_RESOURCE_QUOTA_RESOURCE_QUOTA_ADMISSION_H_
