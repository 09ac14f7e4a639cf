// Informer LIST (informer.h): pages with limit/continue into a fresh map, then one swap of the
// cache and the add/update/delete differences delivered in key order.
#include "core/client/api_status.h"
#include "core/client/informer.h"
#include "core/client/paths.h"

namespace capstan::client {
namespace {

const std::string* StringAt(const nlohmann::json& obj, const char* a, const char* b) {
  auto i = obj.find(a);
  if (i == obj.end() || !i->is_object()) return nullptr;
  auto j = i->find(b);
  return j != i->end() && j->is_string() ? &j->get_ref<const std::string&>() : nullptr;
}

}  // namespace

std::string Informer::SelectorQuery() const {
  std::string q;
  if (!options_.label_selector.empty()) {
    q += "&labelSelector=" + QueryEscape(options_.label_selector);
  }
  if (!options_.field_selector.empty()) {
    q += "&fieldSelector=" + QueryEscape(options_.field_selector);
  }
  return q;
}

Result<nlohmann::json> Informer::ListPage(const std::string& continue_token) {
  std::string path = options_.path + "?";
  if (options_.page_size > 0) path += "limit=" + std::to_string(options_.page_size);
  if (!continue_token.empty()) path += "&continue=" + QueryEscape(continue_token);
  path += SelectorQuery();
  return client_->Get(path, options_.list_timeout);
}

Status Informer::ListAndReplace() {
  std::map<std::string, ObjectPtr> fresh;
  std::string cont;
  std::string rv;
  bool restarted = false;
  while (true) {
    Result<nlohmann::json> page = ListPage(cont);
    if (!page.ok()) {
      // An expired continue token: list again from the start, once.
      if (page.status().code() == StatusCode::kGone && !cont.empty() && !restarted) {
        restarted = true;
        cont.clear();
        fresh.clear();
        continue;
      }
      return page.status().WithContext("list " + options_.path);
    }
    nlohmann::json& list = *page;
    // Items of a list carry no kind/apiVersion upstream; consumers of the cache expect them.
    std::string kind = list.value("kind", "");
    if (kind.size() > 4 && kind.ends_with("List")) kind.resize(kind.size() - 4);
    std::string api_version = list.value("apiVersion", "");
    auto items = list.find("items");
    if (items != list.end() && items->is_array()) {
      for (nlohmann::json& item : *items) {
        if (!item.is_object()) continue;
        if (!item.contains("kind") && !kind.empty()) item["kind"] = kind;
        if (!item.contains("apiVersion") && !api_version.empty()) item["apiVersion"] = api_version;
        std::string key = ObjectKey(item);
        if (key.empty()) continue;
        fresh[key] = std::make_shared<const nlohmann::json>(std::move(item));
      }
    }
    const std::string* page_rv = StringAt(list, "metadata", "resourceVersion");
    if (page_rv != nullptr) rv = *page_rv;
    const std::string* next = StringAt(list, "metadata", "continue");
    if (next == nullptr || next->empty()) break;
    cont = *next;
  }
  ReplaceCache(std::move(fresh), std::move(rv));
  std::lock_guard l(mu_);
  ++stats_.lists;
  synced_ = true;
  cv_.notify_all();
  return Status::Ok();
}

void Informer::ReplaceCache(std::map<std::string, ObjectPtr> fresh, std::string rv) {
  auto rv_of = [](const ObjectPtr& o) {
    const std::string* s = StringAt(*o, "metadata", "resourceVersion");
    return s == nullptr ? std::string() : *s;
  };
  std::vector<ObjectPtr> added;
  std::vector<std::pair<ObjectPtr, ObjectPtr>> updated;
  std::vector<ObjectPtr> deleted;
  {
    std::unique_lock l(cache_mu_);
    for (auto& [key, obj] : fresh) {
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        added.push_back(obj);
      } else if (rv_of(it->second) != rv_of(obj)) {
        updated.emplace_back(it->second, obj);
      } else {
        obj = it->second;  // unchanged: keep the pointer consumers may already hold
      }
    }
    for (const auto& [key, obj] : cache_) {
      if (fresh.count(key) == 0) deleted.push_back(obj);
    }
    cache_.swap(fresh);
    rv_ = std::move(rv);
  }
  for (const ObjectPtr& o : deleted) DeliverDelete(o);
  for (const auto& [o, n] : updated) DeliverUpdate(o, n);
  for (const ObjectPtr& o : added) DeliverAdd(o);
}

}  // namespace capstan::client
