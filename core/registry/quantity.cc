// Resource quantity parsing and canonical formatting (quantity.h), following upstream's
// `resource.ParseQuantity` and `CanonicalizeBytes`.
#include "core/registry/quantity.h"

#include <limits>

namespace capstan::registry {
namespace {

constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr Int128 kNano = 1000000000;
// Keeps every intermediate product inside 128 bits (|value| < 1e29 units).
constexpr int kMaxIntegerDigits = 28;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Int128 Pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

std::string ToString(Int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  std::string s;
  while (v != 0) {
    int digit = static_cast<int>(v % 10);
    s.insert(s.begin(), static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  return neg ? "-" + s : s;
}

// Ceiling division for a positive divisor.
Int128 CeilDiv(Int128 a, Int128 b) {
  Int128 q = a / b;
  if (a % b != 0 && a > 0) ++q;
  return q;
}

// Decimal exponent and format of a suffix; false when unknown.
bool InterpretSuffix(std::string_view s, int* exp10, int* exp1024, Quantity::Format* f) {
  *exp10 = 0;
  *exp1024 = 0;
  static constexpr std::pair<std::string_view, int> kDecimal[] = {
      {"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
      {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  for (const auto& [suffix, e] : kDecimal) {
    if (s == suffix) {
      *exp10 = e;
      *f = Quantity::Format::kDecimalSI;
      return true;
    }
  }
  static constexpr std::string_view kBinary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (int i = 0; i < 6; ++i) {
    if (s == kBinary[i]) {
      *exp1024 = i + 1;
      *f = Quantity::Format::kBinarySI;
      return true;
    }
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    size_t i = 1;
    bool neg = false;
    if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
    if (i >= s.size() || s.size() - i > 3) return false;
    int e = 0;
    for (; i < s.size(); ++i) {
      if (!IsDigit(s[i])) return false;
      e = e * 10 + (s[i] - '0');
    }
    *exp10 = neg ? -e : e;
    *f = Quantity::Format::kDecimalExponent;
    return true;
  }
  return false;
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view str) {
  if (str.empty()) return InvalidError(std::string(kFormatWrong));
  size_t pos = 0;
  bool negative = false;
  if (str[0] == '-' || str[0] == '+') negative = str[pos++] == '-';
  size_t num_start = pos;
  while (pos < str.size() && IsDigit(str[pos])) ++pos;
  std::string_view num = str.substr(num_start, pos - num_start);
  std::string_view denom;
  if (pos < str.size() && str[pos] == '.') {
    size_t d = ++pos;
    while (pos < str.size() && IsDigit(str[pos])) ++pos;
    denom = str.substr(d, pos - d);
  }
  if (num.empty() && denom.empty()) return InvalidError(std::string(kFormatWrong));
  // The suffix: letters from the set, an optional sign, then digits only.
  size_t suffix_start = pos;
  while (pos < str.size() &&
         std::string_view("eEinumkKMGTP").find(str[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < str.size() && (str[pos] == '+' || str[pos] == '-')) ++pos;
  while (pos < str.size() && IsDigit(str[pos])) ++pos;
  if (pos != str.size()) return InvalidError(std::string(kFormatWrong));
  std::string_view suffix = str.substr(suffix_start);

  Quantity q;
  int exp10 = 0;
  int exp1024 = 0;
  if (!InterpretSuffix(suffix, &exp10, &exp1024, &q.format_)) {
    return InvalidError("unable to parse quantity's suffix");
  }
  while (num.size() > 1 && num.front() == '0') num.remove_prefix(1);
  while (!denom.empty() && denom.back() == '0') denom.remove_suffix(1);
  bool zero_int = num.empty() || num == "0";
  if (!zero_int && static_cast<int>(num.size()) + exp10 + 4 * exp1024 > kMaxIntegerDigits) {
    return InvalidError("quantity " + std::string(str) + " is too large");
  }
  // digits = num.denom as an integer scaled by 10^-kept; value = digits * 10^exp10 *
  // 1024^exp1024; nanos = value * 1e9 rounded up. Keeping at most 36 significant digits (fewer
  // for binary suffixes) keeps every product inside 128 bits.
  int budget = 36 - static_cast<int>(num.size()) - 4 * exp1024;
  size_t kept = std::min(denom.size(), static_cast<size_t>(budget > 0 ? budget : 0));
  Int128 digits = 0;
  for (char c : num) digits = digits * 10 + (c - '0');
  for (size_t i = 0; i < kept; ++i) digits = digits * 10 + (denom[i] - '0');
  if (kept < denom.size()) ++digits;  // dropped non-zero digits: round up
  int scale = -static_cast<int>(kept);
  for (int i = 0; i < exp1024; ++i) digits *= 1024;
  int shift = scale + exp10 + 9;  // power of ten to apply to reach nanos
  int significant = static_cast<int>(num.size() + kept) + 4 * exp1024;
  if (digits != 0 && shift >= 0 && significant + shift > 37) {
    return InvalidError("quantity " + std::string(str) + " is too large");
  }
  if (shift >= 0) {
    q.nanos_ = digits * Pow10(shift);
  } else if (-shift > 37) {
    q.nanos_ = digits == 0 ? 0 : 1;
  } else {
    q.nanos_ = CeilDiv(digits, Pow10(-shift));
  }
  if (negative) q.nanos_ = -q.nanos_;
  return q;
}

Result<Quantity> Quantity::FromJson(const nlohmann::json& value) {
  if (value.is_string()) return Parse(value.get_ref<const std::string&>());
  if (value.is_number()) return Parse(value.dump());
  return InvalidError(std::string(kFormatWrong));
}

int Quantity::Compare(const Quantity& other) const {
  if (nanos_ < other.nanos_) return -1;
  return nanos_ > other.nanos_ ? 1 : 0;
}

int64_t Quantity::MilliValue() const {
  Int128 milli = nanos_ >= 0 ? CeilDiv(nanos_, 1000000) : nanos_ / 1000000;
  if (milli > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (milli < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(milli);
}

bool Quantity::IsInteger() const { return nanos_ % kNano == 0; }

Quantity Quantity::RoundUpToMilli() const {
  Quantity q = *this;
  if (q.nanos_ % 1000000 != 0) {
    q.nanos_ = (q.nanos_ >= 0 ? CeilDiv(q.nanos_, 1000000) : q.nanos_ / 1000000) * 1000000;
  }
  return q;
}

Quantity Quantity::Plus(const Quantity& other) const {
  Quantity q = *this;
  q.nanos_ += other.nanos_;
  return q;
}

std::string Quantity::String() const {
  if (nanos_ == 0) return "0";
  Format f = format_;
  if (f == Format::kBinarySI) {
    if ((nanos_ > -1024 * kNano && nanos_ < 1024 * kNano) || nanos_ % kNano != 0) {
      f = Format::kDecimalSI;
    }
  }
  if (f == Format::kBinarySI) {
    Int128 v = nanos_ / kNano;
    int k = 0;
    while (k < 6 && v % 1024 == 0) {
      v /= 1024;
      ++k;
    }
    static constexpr std::string_view kSuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return ToString(v) + std::string(kSuffix[k]);
  }
  // mantissa * 10^exp with exp a multiple of 3, as large as keeps the mantissa whole.
  Int128 mantissa = nanos_;
  int exp = -9;
  int max_exp = f == Format::kDecimalSI ? 18 : 1 << 20;
  while (exp < max_exp && mantissa % 1000 == 0) {
    mantissa /= 1000;
    exp += 3;
  }
  std::string suffix;
  if (f == Format::kDecimalSI) {
    static constexpr std::pair<int, std::string_view> kNames[] = {
        {-9, "n"}, {-6, "u"}, {-3, "m"}, {0, ""},   {3, "k"},
        {6, "M"},  {9, "G"},  {12, "T"}, {15, "P"}, {18, "E"}};
    for (const auto& [e, name] : kNames) {
      if (e == exp) suffix = name;
    }
  } else if (exp != 0) {
    suffix = "e" + std::to_string(exp);
  }
  return ToString(mantissa) + suffix;
}

}  // namespace capstan::registry
