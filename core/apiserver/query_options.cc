// Query-parameter and DeleteOptions parsing (query_options.h).
#include "core/apiserver/query_options.h"

#include <openssl/evp.h>
#include <strings.h>

#include <charconv>
#include <vector>

namespace capstan::apiserver {
namespace {

bool ParseInt(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string Base64Url(std::string_view in) {
  std::vector<unsigned char> out(4 * ((in.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  std::string s(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n));
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

bool UnBase64Url(std::string_view in, std::string* out) {
  std::string s(in);
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s += '=';
  std::vector<unsigned char> buf(s.size());
  int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return false;
  size_t pad = 0;
  for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it) ++pad;
  out->assign(reinterpret_cast<char*>(buf.data()), static_cast<size_t>(n) - pad);
  return true;
}

// The lookup's answer as an optional view (valid while the lookup's storage is).
std::optional<std::string_view> Present(const std::string* v) {
  if (v == nullptr) return std::nullopt;
  return *v;
}

}  // namespace

bool QueryBool(std::optional<std::string_view> value) {
  if (!value || *value == "0") return false;
  return !(value->size() == 5 && strncasecmp(value->data(), "false", 5) == 0);
}

Result<ListOptions> ParseListOptions(const QueryLookup& query) {
  ListOptions o;
  if (const std::string* v = query("labelSelector")) o.label_selector = *v;
  if (const std::string* v = query("fieldSelector")) o.field_selector = *v;
  if (const std::string* v = query("continue")) o.continue_token = *v;
  if (const std::string* v = query("resourceVersion")) o.resource_version = *v;
  o.watch = QueryBool(Present(query("watch")));
  o.allow_bookmarks = QueryBool(Present(query("allowWatchBookmarks")));
  if (const std::string* v = query("limit"); v != nullptr && !v->empty()) {
    if (!ParseInt(*v, &o.limit) || o.limit < 0) {
      return BadRequestError("invalid limit \"" + *v + "\": must be a non-negative integer");
    }
  }
  if (const std::string* v = query("timeoutSeconds"); v != nullptr && !v->empty()) {
    if (!ParseInt(*v, &o.timeout_seconds) || o.timeout_seconds < 0) {
      return BadRequestError("invalid timeoutSeconds \"" + *v + "\"");
    }
  }
  if (!o.resource_version.empty() && o.resource_version != "0") {
    int64_t rv = 0;
    if (!ParseInt(o.resource_version, &rv) || rv < 0) {
      return BadRequestError("invalid resource version \"" + o.resource_version + "\"");
    }
  }
  return o;
}

Result<WriteOptions> ParseWriteOptions(const QueryLookup& query) {
  WriteOptions o;
  if (const std::string* v = query("dryRun")) {
    if (*v != "All" && !v->empty()) {
      return BadRequestError("dryRun: Unsupported value: \"" + *v +
                             "\": supported values: \"All\"");
    }
    o.dry_run = *v == "All";
  }
  if (const std::string* v = query("fieldManager")) {
    if (v->size() > 128)
      return InvalidError("fieldManager: Too long: may not be more than 128 bytes");
    o.field_manager = *v;
  }
  if (const std::string* v = query("fieldValidation")) {
    if (!v->empty() && *v != "Strict" && *v != "Warn" && *v != "Ignore") {
      return BadRequestError("fieldValidation: Unsupported value: \"" + *v +
                             "\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    }
    o.field_validation = *v;
  }
  o.force = QueryBool(Present(query("force")));
  return o;
}

Result<DeleteOptions> ParseDeleteOptions(std::string_view body, const QueryLookup& query,
                                         bool* dry_run) {
  DeleteOptions o;
  if (const std::string* v = query("gracePeriodSeconds"); v != nullptr && !v->empty()) {
    if (!ParseInt(*v, &o.grace_period_seconds)) {
      return BadRequestError("invalid gracePeriodSeconds \"" + *v + "\"");
    }
  }
  if (const std::string* v = query("propagationPolicy")) o.propagation_policy = *v;
  if (const std::string* v = query("dryRun")) *dry_run = *v == "All";
  if (!body.empty()) {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) return BadRequestError("the body of DeleteOptions is not a JSON object");
    if (auto g = j.find("gracePeriodSeconds"); g != j.end() && g->is_number_integer()) {
      o.grace_period_seconds = g->get<int64_t>();
    }
    if (auto p = j.find("propagationPolicy"); p != j.end() && p->is_string()) {
      o.propagation_policy = p->get<std::string>();
    }
    if (auto orphan = j.find("orphanDependents"); orphan != j.end() && orphan->is_boolean()) {
      if (o.propagation_policy.empty()) {
        o.propagation_policy = orphan->get<bool>() ? "Orphan" : "Background";
      }
    }
    if (auto pre = j.find("preconditions"); pre != j.end() && pre->is_object()) {
      o.precondition_uid = pre->value("uid", "");
      o.precondition_resource_version = pre->value("resourceVersion", "");
    }
    if (auto dr = j.find("dryRun"); dr != j.end() && dr->is_array()) {
      for (const auto& v : *dr) *dry_run = *dry_run || v == "All";
    }
  }
  if (!o.propagation_policy.empty() && o.propagation_policy != "Background" &&
      o.propagation_policy != "Foreground" && o.propagation_policy != "Orphan") {
    return InvalidError("propagationPolicy: Unsupported value: \"" + o.propagation_policy +
                        "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  }
  if (o.grace_period_seconds < -1) o.grace_period_seconds = 0;
  return o;
}

std::string EncodeContinue(std::string_view after_key, int64_t revision) {
  nlohmann::json j = {{"v", 1}, {"rv", revision}, {"start", std::string(after_key)}};
  return Base64Url(j.dump());
}

Result<std::string> DecodeContinue(std::string_view token) {
  std::string raw;
  if (!UnBase64Url(token, &raw)) return BadRequestError("continue key is not valid");
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_object() || !j.contains("start") || !j["start"].is_string()) {
    return BadRequestError("continue key is not valid");
  }
  return j["start"].get<std::string>();
}

}  // namespace capstan::apiserver
