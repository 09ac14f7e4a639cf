// Loading the configured chains (registry.h).
#include "core/plugin/registry.h"

#include "core/plugin/kinds.h"

namespace capstan::plugin {
namespace {

std::string ImplementedKinds(const PluginInfo& info) {
  std::string out;
  for (const KindInfo& k : info.kinds) {
    if (!out.empty()) out += ", ";
    out += KindName(k.kind);
  }
  return out;
}

}  // namespace

CallOptions ChainEntry::CallOptionsWithin(int64_t chain_deadline_ns,
                                          const CancelToken* cancel) const {
  CallOptions o = CallOptions::WithTimeout(config.timeout_ns, chain_deadline_ns);
  o.cancel = cancel;
  return o;
}

int64_t Chain::DeadlineFromNow() const { return budget_ns > 0 ? MonotonicNowNs() + budget_ns : 0; }

const Chain* Registry::chain(uint32_t kind) const {
  for (const Chain& c : chains_) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

std::unique_ptr<Registry> Registry::Load(const PluginConfiguration& config,
                                         const RegistryOptions& options) {
  std::unique_ptr<Registry> r(new Registry());
  r->metrics_ = options.metrics ? options.metrics : std::make_shared<MetricsRegistry>();
  if (options.init) r->executor_ = std::make_shared<HostExecutor>(options.executor_threads);
  size_t total = 0;
  std::vector<std::string> failures;
  for (const ChainConfig& cc : config.chains) {
    Chain chain;
    chain.kind = cc.kind;
    chain.budget_ns = cc.budget_ns;
    for (size_t i = 0; i < cc.plugins.size(); ++i) {
      ChainEntry entry;
      entry.kind = cc.kind;
      entry.order = i;
      entry.config = cc.plugins[i];
      r->LoadEntry(config, options, entry);
      ++total;
      if (!entry.status.ok()) {
        failures.push_back(KindName(cc.kind) + "[" + std::to_string(i) + "] '" + entry.config.name +
                           "': " + entry.status.message());
      }
      chain.entries.push_back(std::move(entry));
    }
    r->chains_.push_back(std::move(chain));
  }
  if (!failures.empty()) {
    std::string m = std::to_string(failures.size()) + " of " + std::to_string(total) +
                    " plugin chain entries failed: ";
    for (size_t i = 0; i < failures.size(); ++i) m += (i > 0 ? "; " : "") + failures[i];
    r->status_ = InvalidError(std::move(m));
  }
  return r;
}

void Registry::LoadEntry(const PluginConfiguration& config, const RegistryOptions& options,
                         ChainEntry& entry) {
  auto path = ResolveLibrary(config, entry.config.library);
  if (!path.ok()) {
    entry.status = path.status();
    return;
  }
  entry.resolved_path = *path;
  auto library = LoadLibrary(*path, options.loader);
  if (!library.ok()) {
    entry.status = library.status();
    return;
  }
  entry.library = *library;
  const PluginInfo& info = entry.library->info();
  if (info.FindKind(entry.kind) == nullptr) {
    entry.status = InvalidError("plugin '" + info.name + "' from " + entry.library->path() +
                                " does not implement kind " + KindName(entry.kind) +
                                " (it implements " + ImplementedKinds(info) + ")");
    return;
  }
  // An instance of the same name and library in an earlier chain (of another kind) is shared:
  // one plugin state serving, e.g., both authn and authz.
  for (const Chain& earlier : chains_) {
    for (const ChainEntry& other : earlier.entries) {
      if (other.library == nullptr || &other.library->object() != &entry.library->object() ||
          other.config.name != entry.config.name) {
        continue;
      }
      if (other.config.config != entry.config.config) {
        entry.status = InvalidError("instance '" + entry.config.name + "' of plugin '" + info.name +
                                    "' also appears in chain " + KindName(other.kind) +
                                    " with a different config");
        return;
      }
      if (!other.status.ok()) {
        entry.status = other.status;
        return;
      }
      entry.instance = other.instance;
      return;
    }
  }
  if (!options.init) {
    entry.status =
        PluginInstance::ValidateConfig(*entry.library, entry.config.name, entry.config.config);
    if (!entry.status.ok()) return;
    for (const auto& [object, name] : dry_instances_) {
      if (object == &entry.library->object() && !info.multi_instance()) {
        entry.status =
            AlreadyExistsError("plugin '" + info.name +
                               "' does not declare CAPSTAN_CAP_MULTI_INSTANCE and already "
                               "has instance '" +
                               name + "'; cannot create '" + entry.config.name + "'");
        return;
      }
    }
    dry_instances_.emplace_back(&entry.library->object(), entry.config.name);
    return;
  }
  InstanceOptions io;
  io.name = entry.config.name;
  io.config = entry.config.config;
  io.executor = executor_;
  io.metrics = metrics_;
  io.init_timeout_ns = entry.config.timeout_ns;
  if (options.configure_host) {
    uint32_t kind = entry.kind;
    auto configure = options.configure_host;
    io.configure_host = [kind, configure](HostContext& ctx) { configure(kind, ctx); };
  }
  auto instance = PluginInstance::Create(entry.library, std::move(io));
  if (!instance.ok()) {
    entry.status = instance.status();
    return;
  }
  entry.instance = std::shared_ptr<PluginInstance>(std::move(*instance));
  created_.push_back(entry.instance);
}

Registry::~Registry() {
  for (Chain& c : chains_) {
    for (ChainEntry& e : c.entries) e.instance.reset();
  }
  while (!created_.empty()) created_.pop_back();  // reverse creation order
  executor_.reset();
}

}  // namespace capstan::plugin
