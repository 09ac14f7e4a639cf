// Quota quantities (quota_quantity.h).
#include "plugins/controllers/resourcequota/quota_quantity.h"

#include <cctype>
#include <limits>

namespace capstan::controllers {
namespace {

__extension__ typedef __int128 Int128;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr Int128 kLimit = static_cast<Int128>(kMax);

int64_t Saturate(Int128 v) {
  if (v > kLimit) return kMax;
  if (v < -kLimit) return -kMax;
  return static_cast<int64_t>(v);
}

// Scales `v` by 10^exp (exp may be negative, rounding up away from zero as MilliValue does);
// saturates well before the 128-bit range.
Int128 ScaleDecimal(Int128 v, int exp) {
  for (; exp > 0; --exp) {
    if (v > kLimit * 1000 || v < -kLimit * 1000) return v;
    v *= 10;
  }
  for (; exp < 0; ++exp) {
    Int128 q = v / 10;
    if (q * 10 != v) q += v > 0 ? 1 : -1;
    v = q;
  }
  return v;
}

}  // namespace

std::optional<MilliQuantity> MilliQuantity::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  Int128 mantissa = 0;
  int scale = 0;  // decimal exponent of the mantissa
  bool digits = false;
  bool point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) break;
    digits = true;
    if (mantissa < kLimit * 1000) {
      mantissa = mantissa * 10 + (c - '0');
      if (point) --scale;
    } else if (!point) {
      ++scale;
    }
  }
  if (!digits) return std::nullopt;
  std::string_view suffix = text.substr(i);
  MilliQuantity q;
  int exp = 3;  // to thousandths
  Int128 binary = 1;
  static const std::map<std::string_view, int> kDecimal = {
      {"", 0},  {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
      {"M", 6}, {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static const std::map<std::string_view, int> kBinary = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                          {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  if (auto d = kDecimal.find(suffix); d != kDecimal.end()) {
    exp += d->second;
  } else if (auto b = kBinary.find(suffix); b != kBinary.end()) {
    binary = static_cast<Int128>(1) << b->second;
    q.binary = true;
  } else if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t j = 1;
    bool neg_exp = false;
    if (suffix[j] == '+' || suffix[j] == '-') neg_exp = suffix[j++] == '-';
    if (j >= suffix.size() || suffix.size() - j > 3) return std::nullopt;
    int e = 0;
    for (; j < suffix.size(); ++j) {
      if (std::isdigit(static_cast<unsigned char>(suffix[j])) == 0) return std::nullopt;
      e = e * 10 + (suffix[j] - '0');
    }
    exp += neg_exp ? -e : e;
  } else {
    return std::nullopt;
  }
  Int128 v = mantissa;
  if (binary != 1) {
    // Keep precision: multiply first when it fits, then apply the decimal scale.
    v = v < kLimit * 1000 / binary ? v * binary : kLimit * 1000;
  }
  v = ScaleDecimal(v, exp + scale);
  q.milli = Saturate(negative ? -v : v);
  return q;
}

std::optional<MilliQuantity> MilliQuantity::FromJson(const sdk::json::Json& value) {
  if (value.is_string()) return Parse(value.get<std::string>());
  if (value.is_number_integer()) return Parse(std::to_string(value.get<int64_t>()));
  if (value.is_number()) return Parse(sdk::json::Dump(value));
  return std::nullopt;
}

std::string MilliQuantity::String() const {
  if (milli % 1000 != 0) return std::to_string(milli) + "m";
  int64_t units = milli / 1000;
  if (units == 0) return "0";
  if (binary && (units >= 1024 || units <= -1024)) {
    static const char* const kSuffix[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
    for (int n = 6; n >= 1; --n) {
      int64_t unit = int64_t{1} << (10 * n);
      if (units % unit == 0) return std::to_string(units / unit) + kSuffix[6 - n];
    }
    return std::to_string(units);
  }
  static const char* const kSuffix[] = {"E", "P", "T", "G", "M", "k"};
  int64_t unit = 1000000000000000000;
  for (int n = 0; n < 6; ++n, unit /= 1000) {
    if (units % unit == 0) return std::to_string(units / unit) + kSuffix[n];
  }
  return std::to_string(units);
}

MilliQuantity MilliQuantity::Plus(const MilliQuantity& other) const {
  return {Saturate(static_cast<Int128>(milli) + other.milli), binary || other.binary};
}

ResourceList ParseResourceList(const sdk::json::Json* list) {
  ResourceList out;
  if (list == nullptr || !list->is_object()) return out;
  for (const auto& [name, value] : list->items()) {
    if (std::optional<MilliQuantity> q = MilliQuantity::FromJson(value)) out[name] = *q;
  }
  return out;
}

sdk::json::Json ResourceListJson(const ResourceList& list) {
  sdk::json::Json out = sdk::json::Json::object();
  for (const auto& [name, q] : list) out[name] = q.String();
  return out;
}

void AddInto(ResourceList* a, const ResourceList& b) {
  for (const auto& [name, q] : b) {
    auto it = a->find(name);
    if (it == a->end()) {
      (*a)[name] = q;
    } else {
      it->second = it->second.Plus(q);
    }
  }
}

std::string PrettyPrint(const ResourceList& list) {
  std::string out;
  for (const auto& [name, q] : list) {
    if (!out.empty()) out += ',';
    out += name + "=" + q.String();
  }
  return out;
}

}  // namespace capstan::controllers
