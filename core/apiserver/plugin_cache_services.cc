// The API server's cache services for in-process plugins (plugin_cache_services.h).
#include "core/apiserver/plugin_cache_services.h"

#include <string>
#include <string_view>

#include "capstan/abi/common.h"
#include "core/apiserver/api_server.h"
#include "core/selector/label_selector.h"

namespace capstan::apiserver {
namespace {

constexpr std::string_view kBindingKey = "apiserver.cache_binding";

// Output of the object-access services: valid until the next such call on this thread (the
// host_out rule of common.h).
std::string& ThreadOut() {
  thread_local std::string out;
  return out;
}

capstan_host_buf Emit(std::string text) {
  std::string& out = ThreadOut();
  out = std::move(text);
  return {reinterpret_cast<const uint8_t*>(out.data()), out.size()};
}

std::string_view View(capstan_host_str s) {
  return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len);
}

// "group/version/resource" -> the storage, or null.
RestStorage* Resolve(capstan_host_ctx* ctx, capstan_host_str resource) {
  auto* binding = static_cast<CacheServiceBinding*>(
      plugin::HostContext::FromHandle(ctx)->UserData(kBindingKey));
  ApiServer* server = binding == nullptr ? nullptr : binding->server();
  if (server == nullptr) return nullptr;
  std::string_view r = View(resource);
  size_t first = r.find('/');
  size_t last = r.rfind('/');
  if (first == std::string_view::npos || first == last) return nullptr;
  return server->StorageFor(r.substr(0, first), r.substr(last + 1));
}

capstan_rc CacheGet(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str key,
                    capstan_host_buf* out_json) {
  if (out_json != nullptr) *out_json = {};
  if (out_json == nullptr) return CAPSTAN_RC_INVALID;
  RestStorage* storage = Resolve(ctx, resource);
  if (storage == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  std::string_view k = View(key);
  size_t slash = k.find('/');
  std::string_view ns = slash == std::string_view::npos ? std::string_view() : k.substr(0, slash);
  std::string_view name = slash == std::string_view::npos ? k : k.substr(slash + 1);
  if (name.empty() || storage->info().namespaced == ns.empty()) return CAPSTAN_RC_NOT_FOUND;
  CachedObjectPtr obj = storage->cache()->Get(storage->Key(ns, name));
  if (obj == nullptr) return CAPSTAN_RC_NOT_FOUND;
  *out_json = Emit(obj->json);
  return CAPSTAN_RC_OK;
}

capstan_rc CacheList(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str ns,
                     capstan_host_str label_selector, capstan_host_buf* out_json) {
  if (out_json != nullptr) *out_json = {};
  if (out_json == nullptr) return CAPSTAN_RC_INVALID;
  RestStorage* storage = Resolve(ctx, resource);
  if (storage == nullptr) return CAPSTAN_RC_UNAVAILABLE;
  Result<selector::LabelSelector> sel = selector::LabelSelector::Parse(View(label_selector));
  if (!sel.ok()) return CAPSTAN_RC_INVALID;
  std::string_view namespace_name = storage->info().namespaced ? View(ns) : std::string_view();
  ObjectFilter filter = [&](const CachedObject& o) {
    return sel->Matches([&](std::string_view k) -> std::optional<std::string_view> {
      const std::string* v = o.Label(k);
      return v == nullptr ? std::nullopt : std::optional<std::string_view>(*v);
    });
  };
  CacheListResult list =
      storage->cache()->List(storage->CollectionPrefix(namespace_name), "", 0, filter);
  std::string text = "[";
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) text += ',';
    text += list.items[i]->json;
  }
  text += ']';
  *out_json = Emit(std::move(text));
  return CAPSTAN_RC_OK;
}

}  // namespace

void RegisterCacheServices(plugin::HostContext& ctx,
                           const std::shared_ptr<CacheServiceBinding>& binding) {
  ctx.SetUserData(std::string(kBindingKey), binding.get());
  ctx.RegisterProc("capstan_host_cache_get_v1", reinterpret_cast<capstan_host_proc>(&CacheGet));
  ctx.RegisterProc("capstan_host_cache_list_v1", reinterpret_cast<capstan_host_proc>(&CacheList));
}

}  // namespace capstan::apiserver
