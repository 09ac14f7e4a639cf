// ObjectMeta bookkeeping and name validation (object_meta.h).
#include "core/apiserver/object_meta.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace capstan::apiserver {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsAlnumLower(c) || (c >= 'A' && c <= 'Z'); }

void RandomBytes(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // OpenSSL's CSPRNG failing is fatal for uid uniqueness; fall back to the steady clock mix.
    uint64_t x = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      out[i] = static_cast<unsigned char>(x);
    }
  }
}

bool LabelChunkValid(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

nlohmann::json StripVolatile(const nlohmann::json& obj) {
  nlohmann::json copy = obj;
  if (copy.is_object()) {
    auto meta = copy.find("metadata");
    if (meta != copy.end() && meta->is_object()) {
      meta->erase("resourceVersion");
      meta->erase("managedFields");
    }
  }
  return copy;
}

}  // namespace

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ParseRfc3339(std::string_view text, int64_t* unix_ms) {
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  size_t i = static_cast<size_t>(consumed);
  if (i < s.size() && s[i] == '.') {
    int64_t frac = 0;
    int digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) frac = frac * 10 + (s[i] - '0');
    }
    for (int d = digits; d < 3; ++d) frac *= 10;
    ms += frac;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int hh = 0;
    int mm = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &hh, &mm) != 2) return false;
    int64_t offset = (hh * 60 + mm) * 60000LL;
    ms += s[i] == '+' ? -offset : offset;
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;
  *unix_ms = ms;
  return true;
}

std::string NewUid() {
  unsigned char b[16];
  RandomBytes(b, sizeof(b));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string RandomSuffix(size_t n) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(n, 'x');
  std::vector<unsigned char> b(n);
  RandomBytes(b.data(), n);
  for (size_t i = 0; i < n; ++i) out[i] = kAlphabet[b[i] % kAlphabet.size()];
  return out;
}

std::vector<std::string> ValidateDnsLabel(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 63) errs.push_back("must be no more than 63 characters");
  bool ok = !name.empty() && IsAlnumLower(name.front()) && IsAlnumLower(name.back());
  for (char c : name) ok = ok && (IsAlnumLower(c) || c == '-');
  if (!ok) {
    errs.push_back(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

std::vector<std::string> ValidateDnsSubdomain(std::string_view name) {
  std::vector<std::string> errs;
  if (name.size() > 253) errs.push_back("must be no more than 253 characters");
  bool ok = !name.empty();
  size_t start = 0;
  while (ok && start <= name.size()) {
    size_t dot = name.find('.', start);
    std::string_view part =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ok = !part.empty() && IsAlnumLower(part.front()) && IsAlnumLower(part.back());
    for (char c : part) ok = ok && (IsAlnumLower(c) || c == '-');
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) {
    errs.push_back(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

std::vector<std::string> ValidateLabelKey(std::string_view key) {
  std::vector<std::string> errs;
  std::string_view name = key;
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (std::string& e : ValidateDnsSubdomain(prefix)) errs.push_back("prefix part " + e);
    }
  }
  if (!LabelChunkValid(name)) {
    errs.push_back(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
  return errs;
}

std::vector<std::string> ValidateLabelValue(std::string_view value) {
  if (value.empty() || LabelChunkValid(value)) return {};
  return {
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
      "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
      "'my_value',  or '12345', regex used for validation is "
      "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"};
}

void ValidateObjectMeta(const nlohmann::json& meta, bool namespaced, NameRule rule,
                        std::vector<StatusCause>* causes) {
  auto add = [&](std::string reason, std::string field, std::string msg) {
    causes->push_back({std::move(reason), std::move(msg), std::move(field)});
  };
  std::string name = meta.value("name", "");
  if (name.empty()) {
    add("FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
  } else {
    std::vector<std::string> errs;
    if (rule == NameRule::kDnsLabel) errs = ValidateDnsLabel(name);
    if (rule == NameRule::kDnsSubdomain) errs = ValidateDnsSubdomain(name);
    if (rule == NameRule::kPathSegment &&
        (name == "." || name == ".." || name.find('/') != std::string::npos ||
         name.find('%') != std::string::npos)) {
      errs.push_back("may not contain '/' or '%' and may not be '.' or '..'");
    }
    for (std::string& e : errs) {
      add("FieldValueInvalid", "metadata.name", "Invalid value: \"" + name + "\": " + e);
    }
  }
  if (namespaced && meta.value("namespace", "").empty()) {
    add("FieldValueRequired", "metadata.namespace", "Required value");
  }
  if (auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    for (auto& [k, v] : labels->items()) {
      for (std::string& e : ValidateLabelKey(k)) {
        add("FieldValueInvalid", "metadata.labels", "Invalid value: \"" + k + "\": " + e);
      }
      if (!v.is_string()) {
        add("FieldValueInvalid", "metadata.labels", "Invalid value: label values must be strings");
        continue;
      }
      for (std::string& e : ValidateLabelValue(v.get<std::string>())) {
        add("FieldValueInvalid", "metadata.labels",
            "Invalid value: \"" + v.get<std::string>() + "\": " + e);
      }
    }
  }
  if (auto ann = meta.find("annotations"); ann != meta.end() && ann->is_object()) {
    size_t total = 0;
    for (auto& [k, v] : ann->items()) {
      for (std::string& e : ValidateLabelKey(k)) {
        add("FieldValueInvalid", "metadata.annotations", "Invalid value: \"" + k + "\": " + e);
      }
      total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
    }
    if (total > 256 * 1024) {
      add("FieldValueTooLong", "metadata.annotations", "Too long: must have at most 262144 bytes");
    }
  }
}

bool SpecChanged(const nlohmann::json& before, const nlohmann::json& after) {
  auto spec_of = [](const nlohmann::json& o) {
    nlohmann::json copy = o;
    if (copy.is_object()) {
      copy.erase("metadata");
      copy.erase("status");
    }
    return copy;
  };
  return spec_of(before) != spec_of(after);
}

bool SameContent(const nlohmann::json& before, const nlohmann::json& after) {
  return StripVolatile(before) == StripVolatile(after);
}

}  // namespace capstan::apiserver
