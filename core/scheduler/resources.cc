// Quantity parsing and resource arithmetic for the scheduler (resources.h).
#include "core/scheduler/resources.h"

#include <algorithm>
#include <limits>

namespace capstan::scheduler {
namespace {

__extension__ typedef __int128 Int128;

constexpr Int128 kMax = std::numeric_limits<int64_t>::max();

Status BadQuantity(std::string_view text) {
  return InvalidError(
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got \"" +
      std::string(text) + "\")");
}

// The suffix as a power of 10 and a power of 2. False when unknown.
bool SuffixPowers(std::string_view s, int* pow10, int* pow2) {
  *pow10 = 0;
  *pow2 = 0;
  static constexpr std::pair<std::string_view, int> kDecimal[] = {
      {"", 0},  {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
      {"M", 6}, {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static constexpr std::pair<std::string_view, int> kBinary[] = {
      {"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  for (const auto& [name, p] : kDecimal) {
    if (s == name) {
      *pow10 = p;
      return true;
    }
  }
  for (const auto& [name, p] : kBinary) {
    if (s == name) {
      *pow2 = p;
      return true;
    }
  }
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view digits = s.substr(1);
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 3) return false;
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    *pow10 = negative ? -value : value;
    return true;
  }
  return false;
}

Int128 Saturate(Int128 v) { return v > kMax ? kMax : (v < -kMax ? -kMax : v); }

}  // namespace

Result<int64_t> ParseQuantityMilli(std::string_view text) {
  if (text.empty()) return BadQuantity(text);
  size_t i = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    i = 1;
  }
  Int128 mantissa = 0;
  int frac_digits = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_dot) return BadQuantity(text);
      seen_dot = true;
    } else if (c >= '0' && c <= '9') {
      seen_digit = true;
      // Digits past ~30 significant places cannot change an int64 milli value but can overflow.
      if (mantissa < (Int128(1) << 100)) {
        mantissa = mantissa * 10 + (c - '0');
        if (seen_dot) ++frac_digits;
      } else if (!seen_dot) {
        return InvalidError("quantity \"" + std::string(text) + "\" is too large");
      }
    } else {
      break;
    }
  }
  if (!seen_digit) return BadQuantity(text);
  int pow10 = 0;
  int pow2 = 0;
  if (!SuffixPowers(text.substr(i), &pow10, &pow2)) {
    return InvalidError("unable to parse quantity's suffix (got \"" + std::string(text) + "\")");
  }
  // value_milli = mantissa * 10^(pow10 + 3 - frac_digits) * 2^pow2, rounded up (away from 0).
  int exp10 = pow10 + 3 - frac_digits;
  Int128 v = mantissa;
  for (int k = 0; k < pow2 && v <= kMax; ++k) v *= 2;
  if (exp10 >= 0) {
    for (int k = 0; k < exp10 && v <= kMax; ++k) v *= 10;
  } else {
    Int128 div = 1;
    for (int k = 0; k < -exp10 && div <= kMax; ++k) div *= 10;
    Int128 q = v / div;
    if (q * div != v) ++q;
    v = q;
  }
  v = Saturate(v);
  return static_cast<int64_t>(negative ? -v : v);
}

Result<int64_t> QuantityMilliFromJson(const nlohmann::json& value) {
  if (value.is_string()) return ParseQuantityMilli(value.get_ref<const std::string&>());
  if (value.is_number_integer()) {
    Int128 v = Int128(value.get<int64_t>()) * 1000;
    return static_cast<int64_t>(Saturate(v));
  }
  if (value.is_number()) return ParseQuantityMilli(value.dump());
  return InvalidError("quantity must be a string or a number");
}

void Resources::Add(const Resources& o) {
  milli_cpu += o.milli_cpu;
  memory += o.memory;
  ephemeral_storage += o.ephemeral_storage;
  pods += o.pods;
  for (const auto& [name, v] : o.scalars) SetScalar(name, Scalar(name) + v);
}

void Resources::Sub(const Resources& o) {
  auto sub = [](int64_t& a, int64_t b) { a = std::max<int64_t>(0, a - b); };
  sub(milli_cpu, o.milli_cpu);
  sub(memory, o.memory);
  sub(ephemeral_storage, o.ephemeral_storage);
  sub(pods, o.pods);
  for (const auto& [name, v] : o.scalars) SetScalar(name, std::max<int64_t>(0, Scalar(name) - v));
}

void Resources::Max(const Resources& o) {
  milli_cpu = std::max(milli_cpu, o.milli_cpu);
  memory = std::max(memory, o.memory);
  ephemeral_storage = std::max(ephemeral_storage, o.ephemeral_storage);
  pods = std::max(pods, o.pods);
  for (const auto& [name, v] : o.scalars) SetScalar(name, std::max(Scalar(name), v));
}

int64_t Resources::Scalar(std::string_view name) const {
  auto it = std::lower_bound(scalars.begin(), scalars.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  return it != scalars.end() && it->first == name ? it->second : 0;
}

void Resources::SetScalar(std::string_view name, int64_t value) {
  auto it = std::lower_bound(scalars.begin(), scalars.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != scalars.end() && it->first == name) {
    it->second = value;
  } else {
    scalars.emplace(it, std::string(name), value);
  }
}

Result<Resources> ResourcesFromList(const nlohmann::json* list, std::string_view field) {
  Resources r;
  if (list == nullptr || list->is_null()) return r;
  if (!list->is_object()) return InvalidError(std::string(field) + ": must be an object");
  for (auto it = list->begin(); it != list->end(); ++it) {
    Result<int64_t> milli = QuantityMilliFromJson(it.value());
    if (!milli.ok()) {
      return InvalidError(std::string(field) + "." + it.key() + ": " + milli.status().message());
    }
    // Whole units round up, as upstream's Value().
    int64_t units = *milli / 1000 + (*milli % 1000 > 0 ? 1 : 0);
    const std::string& name = it.key();
    if (name == "cpu") {
      r.milli_cpu = *milli;
    } else if (name == "memory") {
      r.memory = units;
    } else if (name == "ephemeral-storage") {
      r.ephemeral_storage = units;
    } else if (name == "pods") {
      r.pods = units;
    } else {
      r.SetScalar(name, units);
    }
  }
  return r;
}

}  // namespace capstan::scheduler
