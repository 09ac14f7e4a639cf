// JSON descriptions of libraries and chains (describe.h).
#include "core/plugin/describe.h"

#include "core/plugin/kinds.h"

namespace capstan::plugin {
namespace {

using json = nlohmann::json;

std::string Version(uint16_t major, uint16_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

json DescribeEntry(const ChainEntry& e) {
  json out = {
      {"order", e.order + 1},
      {"name", e.config.name},
      {"library", e.config.library},
      {"path", e.resolved_path.empty() ? json(nullptr) : json(e.resolved_path)},
      {"plugin", e.library ? json(e.library->info().name) : json(nullptr)},
      {"version", e.library ? json(e.library->info().version) : json(nullptr)},
      {"failurePolicy", FailurePolicyName(e.config.failure_policy)},
      {"timeout", FormatDuration(e.config.timeout_ns)},
      {"weight", e.kind == CAPSTAN_KIND_SCHED ? json(e.config.weight) : json(nullptr)},
      {"status", e.status.ok() ? std::string("ok") : e.status.message()},
  };
  return out;
}

}  // namespace

json DescribeLibrary(const Library& library) {
  const PluginInfo& info = library.info();
  json kinds = json::array();
  for (const KindInfo& k : info.kinds) {
    json entries = json::array();
    const void* vtable = info.vtable(k.kind);
    for (const EntryInfo& e : k.traits->entries) {
      entries.push_back({{"name", e.name},
                         {"required", e.required},
                         {"implemented", EntryImplemented(vtable, e)},
                         {"withinStructSize", e.offset < k.plugin_vtable_size}});
    }
    kinds.push_back({{"kind", k.traits->name},
                     {"interface", Version(k.iface_major, k.iface_minor)},
                     {"vtableSize", k.plugin_vtable_size},
                     {"entries", std::move(entries)}});
  }
  json schema = nullptr;
  if (info.has_config_schema) {
    schema = json::parse(info.config_schema, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) schema = info.config_schema;  // loaded libraries have valid JSON
  }
  return {
      {"name", info.name},
      {"version", info.version},
      {"description", info.description},
      {"path", library.path()},
      {"abi", Version(info.abi_major, info.abi_minor)},
      {"capabilities", CapabilityNames(info.capabilities)},
      {"kinds", std::move(kinds)},
      {"lifecycle", {{"on_health", info.descriptor.on_health != nullptr}}},
      {"configSchema", std::move(schema)},
  };
}

json DescribeChains(const Registry& registry, const std::string& source) {
  json chains = json::array();
  for (const Chain& c : registry.chains()) {
    json entries = json::array();
    for (const ChainEntry& e : c.entries) entries.push_back(DescribeEntry(e));
    chains.push_back(
        {{"kind", KindName(c.kind)},
         {"budget", c.budget_ns > 0 ? json(FormatDuration(c.budget_ns)) : json(nullptr)},
         {"entries", std::move(entries)}});
  }
  return {{"source", source}, {"ok", registry.status().ok()}, {"chains", std::move(chains)}};
}

}  // namespace capstan::plugin
