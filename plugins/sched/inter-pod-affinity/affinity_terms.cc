// Inter-pod affinity terms; see affinity_terms.h.
#include "plugins/sched/inter-pod-affinity/affinity_terms.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>

namespace capstan::sched {
namespace {

using sdk::json::Json;

bool ParseTerm(const Json& j, const sdk::PodView& owner, int64_t weight, AffinityTerm* t) {
  if (!j.is_object()) return false;
  t->weight = weight;
  t->topology_key = sdk::json::GetString(j, "topologyKey").value_or("");
  if (t->topology_key.empty()) return false;
  const Json* sel = sdk::json::Find(j, "labelSelector");
  if (!LabelSelector::Parse(sel != nullptr ? *sel : Json(), &t->selector).ok()) return false;
  sdk::Labels labels = owner.labels();
  for (const char* field : {"matchLabelKeys", "mismatchLabelKeys"}) {
    const Json* keys = sdk::json::GetArray(j, field);
    if (keys == nullptr) continue;
    for (const Json& k : *keys) {
      std::optional<std::string> key = sdk::json::AsString(k);
      std::optional<std::string_view> value = key ? labels.Get(*key) : std::nullopt;
      if (!value) continue;
      Requirement r;
      r.key = *key;
      r.op = std::strcmp(field, "matchLabelKeys") == 0 ? SelectorOp::kIn : SelectorOp::kNotIn;
      r.values.emplace_back(*value);
      t->selector.Add(std::move(r));
    }
  }
  if (const Json* ns = sdk::json::GetArray(j, "namespaces")) {
    for (const Json& n : *ns) {
      if (auto s = sdk::json::AsString(n)) t->namespaces.push_back(*s);
    }
  }
  const Json* ns_sel = sdk::json::GetObject(j, "namespaceSelector");
  // An empty namespaceSelector selects every namespace; label-based ones need namespace labels,
  // which the scheduler does not expose to plugins (README).
  if (ns_sel != nullptr && ns_sel->empty()) t->all_namespaces = true;
  if (t->namespaces.empty() && ns_sel == nullptr) {
    t->namespaces.emplace_back(owner.namespace_name());
  }
  return true;
}

void ParseList(const Json* list, const sdk::PodView& owner, bool weighted,
               std::vector<AffinityTerm>* out) {
  if (list == nullptr || !list->is_array()) return;
  for (const Json& item : *list) {
    AffinityTerm t;
    bool ok = weighted ? ParseTerm(sdk::json::Find(item, "podAffinityTerm") != nullptr
                                       ? *sdk::json::Find(item, "podAffinityTerm")
                                       : Json(),
                                   owner, sdk::json::GetInt(item, "weight").value_or(0), &t)
                       : ParseTerm(item, owner, 0, &t);
    if (ok && (!weighted || t.weight != 0)) out->push_back(std::move(t));
  }
}

}  // namespace

bool AffinityTerm::Matches(const sdk::PodView& pod) const {
  if (!all_namespaces) {
    std::string_view ns = pod.namespace_name();
    bool listed = false;
    for (const std::string& n : namespaces) listed = listed || sdk::SameBytes(n, ns);
    if (!listed) return false;
  }
  return selector.Matches(pod.labels());
}

PodAffinity PodAffinity::Parse(const Json& pod_json, const sdk::PodView& owner) {
  PodAffinity a;
  const Json* aff = sdk::json::FindPath(pod_json, {"spec", "affinity", "podAffinity"});
  const Json* anti = sdk::json::FindPath(pod_json, {"spec", "affinity", "podAntiAffinity"});
  constexpr char kRequired[] = "requiredDuringSchedulingIgnoredDuringExecution";
  constexpr char kPreferred[] = "preferredDuringSchedulingIgnoredDuringExecution";
  if (aff != nullptr) {
    ParseList(sdk::json::Find(*aff, kRequired), owner, false, &a.required_affinity);
    ParseList(sdk::json::Find(*aff, kPreferred), owner, true, &a.preferred_affinity);
  }
  if (anti != nullptr) {
    ParseList(sdk::json::Find(*anti, kRequired), owner, false, &a.required_anti);
    ParseList(sdk::json::Find(*anti, kPreferred), owner, true, &a.preferred_anti);
  }
  return a;
}

void TopologyCounts::Add(std::string_view key, std::string_view value, int64_t n) {
  if (n == 0) return;
  auto k = keys_.begin();
  while (k != keys_.end() && !sdk::SameBytes(k->first, key)) ++k;
  if (k == keys_.end()) {
    keys_.emplace_back(std::string(key), DomainCounts());
    k = std::prev(keys_.end());
  }
  DomainCounts& counts = k->second;
  auto it = counts.find(value);
  if (it == counts.end()) it = counts.emplace(value, 0).first;
  it->second += n;
  if (it->second != 0) return;
  counts.erase(it);
  if (counts.empty()) keys_.erase(k);
}

int64_t TopologyCounts::Get(std::string_view key, std::string_view value) const {
  for (const auto& [k, counts] : keys_) {
    if (k != key) continue;
    auto it = counts.find(value);
    return it == counts.end() ? 0 : it->second;
  }
  return 0;
}

const DomainCounts* TopologyCounts::Find(std::string_view key) const {
  for (const auto& [k, counts] : keys_) {
    if (sdk::SameBytes(k, key)) return &counts;
  }
  return nullptr;
}

bool TopologyCounts::AnyPositive(const sdk::Labels& labels) const {
  for (const auto& [key, counts] : keys_) {
    std::optional<std::string_view> value = labels.Get(key);
    if (!value) continue;
    auto it = counts.find(*value);
    if (it != counts.end() && it->second > 0) return true;
  }
  return false;
}

std::string TermKey(const AffinityTerm& term) {
  // Length-prefixed fields, so no choice of names can make two different terms collide.
  std::string key;
  auto put = [&key](std::string_view s) {
    key += std::to_string(s.size());
    key += ':';
    key += s;
  };
  put(term.topology_key);
  if (term.all_namespaces) {
    key += '*';
  } else {
    std::vector<std::string_view> namespaces(term.namespaces.begin(), term.namespaces.end());
    std::sort(namespaces.begin(), namespaces.end());
    namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
    key += 'n' + std::to_string(namespaces.size());
    for (std::string_view ns : namespaces) put(ns);
  }
  if (term.selector.matches_nothing()) return key + '0';
  key += 's' + std::to_string(term.selector.requirements().size());
  for (const Requirement& r : term.selector.requirements()) {
    put(r.key);
    key += std::to_string(static_cast<int>(r.op)) + ',' + std::to_string(r.number) + ',' +
           std::to_string(r.values.size());
    for (const std::string& v : r.values) put(v);
  }
  return key;
}

}  // namespace capstan::sched
