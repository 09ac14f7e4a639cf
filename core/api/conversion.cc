// Dispatch of version conversions (conversion.h).
#include "core/api/conversion.h"

#include "core/api/hpa_conversion.h"

namespace capstan::api {
namespace {

bool IsHpa(std::string_view group, std::string_view plural) {
  return group == "autoscaling" && plural == "horizontalpodautoscalers";
}

}  // namespace

bool NeedsConversion(std::string_view group, std::string_view plural, std::string_view version) {
  return IsHpa(group, plural) && version == "v1";
}

Status ToStorageVersion(std::string_view group, std::string_view plural, std::string_view version,
                        nlohmann::json* obj) {
  if (!NeedsConversion(group, plural, version)) return Status::Ok();
  return HpaV1ToV2(obj);
}

void FromStorageVersion(std::string_view group, std::string_view plural, std::string_view version,
                        nlohmann::json* obj) {
  if (NeedsConversion(group, plural, version)) HpaV2ToV1(obj);
}

}  // namespace capstan::api
