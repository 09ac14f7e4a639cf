// `Quantity`: Kubernetes resource quantities ("500m", "1Gi", "1e3"): parsing with upstream's
// error text, comparison, rounding and the canonical form the API server writes back ("1000m"
// is stored as "1", "1024Mi" as "1Gi"). Values are kept exactly to nano units; finer fractions
// round up. Used by pod resources, QoS and PVC requests. Tests: quantity_test.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::registry {

__extension__ typedef __int128 Int128;

class Quantity {
 public:
  enum class Format : uint8_t { kDecimalSI, kBinarySI, kDecimalExponent };

  Quantity() = default;
  // Errors (kInvalid): upstream's "quantities must match the regular expression
  // '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" or "unable to parse quantity's suffix".
  static Result<Quantity> Parse(std::string_view text);
  // A JSON string, or a number (kubectl sends `cpu: 1` as a number).
  static Result<Quantity> FromJson(const nlohmann::json& value);

  // -1, 0 or 1.
  int Compare(const Quantity& other) const;
  bool IsZero() const { return nanos_ == 0; }
  bool IsNegative() const { return nanos_ < 0; }
  // Value in thousandths, rounded up (upstream MilliValue); saturates at the int64 range.
  int64_t MilliValue() const;
  // Whether the value is a whole number of units.
  bool IsInteger() const;
  // Rounded up to a multiple of 1m, as upstream defaults every ResourceList.
  Quantity RoundUpToMilli() const;
  Quantity Plus(const Quantity& other) const;
  Format format() const { return format_; }

  // Canonical text, as upstream serializes a Quantity.
  std::string String() const;

 private:
  Int128 nanos_ = 0;
  Format format_ = Format::kDecimalSI;
};

}  // namespace capstan::registry
