// Shared controller helpers for API writes (see api.h).
#include "plugins/controllers/kit/api.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>

namespace capstan::controllers {

std::string ApiPath(std::string_view group_version, std::string_view plural, std::string_view ns,
                    std::string_view name, std::string_view subresource) {
  std::string p = group_version.find('/') == std::string_view::npos ? "/api/" : "/apis/";
  p.append(group_version);
  if (!ns.empty()) p.append("/namespaces/").append(ns);
  p.append("/").append(plural);
  if (!name.empty()) p.append("/").append(name);
  if (!subresource.empty()) p.append("/").append(subresource);
  return p;
}

sdk::Status Send(sdk::Call& call, std::string_view method, const std::string& path,
                 std::string_view content_type, const std::string& body, Json* out) {
  sdk::ApiResponse response;
  std::string what = std::string(method) + " " + path;
  sdk::Status s = call.ApiRequest(method, path, content_type, body, &response);
  if (!s.ok()) return sdk::Status::RetryLater(what + ": " + s.message(), 1000);
  int32_t code = response.http_status;
  std::optional<Json> parsed = sdk::json::Parse(response.body);
  if (code >= 200 && code < 300) {
    if (out != nullptr && parsed) *out = std::move(*parsed);
    return sdk::Status::Ok();
  }
  std::string message = parsed ? GetStr(*parsed, {"message"}) : response.body.substr(0, 200);
  std::string text = what + ": HTTP " + std::to_string(code) + ": " + message;
  if (code == 404) return sdk::Status::NotFound(text);
  if (code == 409 && parsed && GetStr(*parsed, {"reason"}) == "AlreadyExists") {
    return sdk::Status::AlreadyExists(text);
  }
  if (code == 409 || code == 429 || code >= 500) return sdk::Status::RetryLater(text, 500);
  return sdk::Status::Error(text);
}

sdk::Status WriteStatusIfChanged(sdk::Call& call, const std::string& status_path, const Json& owner,
                                 const Json& desired) {
  const Json* current = sdk::json::Find(owner, "status");
  Json before = current != nullptr && current->is_object() ? *current : Json::object();
  if (before == desired) return sdk::Status::Ok();
  Json patch_status = desired;
  for (const auto& [k, v] : before.items()) {
    (void)v;
    if (!desired.contains(k)) patch_status[k] = nullptr;
  }
  Json patch = {{"status", patch_status}};
  return Send(call, "PATCH", status_path, kMergePatch, sdk::json::Dump(patch));
}

void RecordEvent(sdk::Call& call, const Json& object, std::string_view api_version,
                 std::string_view kind, std::string_view component, std::string_view type,
                 std::string_view reason, const std::string& message, int64_t now) {
  std::string ns = Namespace(object).empty() ? "default" : Namespace(object);
  std::string t = FormatTime(now);
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"generateName", Name(object) + "."}, {"namespace", ns}}},
                {"involvedObject",
                 {{"apiVersion", api_version},
                  {"kind", kind},
                  {"name", Name(object)},
                  {"namespace", Namespace(object)},
                  {"uid", Uid(object)}}},
                {"reason", reason},
                {"message", message},
                {"type", type},
                {"source", {{"component", component}}},
                {"reportingComponent", component},
                {"firstTimestamp", t},
                {"lastTimestamp", t},
                {"count", 1}};
  (void)Send(call, "POST", ApiPath("v1", "events", ns), kJson, sdk::json::Dump(event));
}

namespace {
// resourceVersions are opaque, but Capstan's (and etcd's) are decimal revisions.
std::optional<uint64_t> Revision(const Json& o) {
  std::string rv = GetStr(o, {"metadata", "resourceVersion"});
  if (rv.empty()) return std::nullopt;
  char* end = nullptr;
  uint64_t v = std::strtoull(rv.c_str(), &end, 10);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return v;
}
}  // namespace

void WriteOverlay::Remember(const Json& written) {
  std::lock_guard<std::mutex> lock(mu_);
  written_[KeyOf(written)] = Entry{written, clock_()};
}

void WriteOverlay::Expire() {
  int64_t now = clock_();
  for (auto it = written_.begin(); it != written_.end();) {
    it = now - it->second.written_at > ttl_seconds_ ? written_.erase(it) : std::next(it);
  }
}

void WriteOverlay::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  written_.erase(key);
}

std::optional<Json> WriteOverlay::Fresh(const std::string& key, const Json* cached) {
  std::lock_guard<std::mutex> lock(mu_);
  Expire();
  auto it = written_.find(key);
  if (it == written_.end()) {
    if (cached == nullptr) return std::nullopt;
    return *cached;
  }
  if (cached == nullptr) return it->second.object;
  std::optional<uint64_t> mine = Revision(it->second.object);
  std::optional<uint64_t> theirs = Revision(*cached);
  if (mine && theirs && *mine > *theirs) return it->second.object;
  written_.erase(it);
  return *cached;
}

std::vector<Json> WriteOverlay::Missing(std::string_view ns,
                                        const std::vector<std::string>& cached_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  Expire();
  std::vector<Json> out;
  for (const auto& [key, entry] : written_) {
    const Json& obj = entry.object;
    if (Namespace(obj) != ns) continue;
    if (std::find(cached_keys.begin(), cached_keys.end(), key) != cached_keys.end()) continue;
    out.push_back(obj);
  }
  return out;
}

}  // namespace capstan::controllers
