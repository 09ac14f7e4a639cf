// The loaded plugin chains of one process: for every entry of the operator's configuration
// (chain_config.h) the library is loaded, checked to implement the chain's kind, its config is
// validated and the instance initialised. Partial failure keeps every entry's own status so
// `capstan plugin chains` can show them all. Subsystems (apiserver, scheduler...) run the chains.
// Tests in tests/core/plugin/registry_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/plugin/call.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/executor.h"
#include "core/plugin/instance.h"
#include "core/plugin/library.h"
#include "core/plugin/metrics.h"

namespace capstan::plugin {

struct RegistryOptions {
  LoaderOptions loader;
  // false: load, check the kind and validate the config, but do not call on_init (dry run).
  bool init = true;
  int executor_threads = 2;
  std::shared_ptr<MetricsRegistry> metrics;  // NULL: the registry makes its own
  // Registers extra host services on each new instance's context before on_init.
  std::function<void(uint32_t kind, HostContext&)> configure_host;
};

struct ChainEntry {
  uint32_t kind = 0;
  size_t order = 0;  // position in the chain
  ChainEntryConfig config;
  std::string resolved_path;                 // empty when the library could not be resolved
  std::shared_ptr<const Library> library;    // set once loaded
  std::shared_ptr<PluginInstance> instance;  // set once initialised (init mode)
  Status status;                             // OK, or why this entry failed

  // Options for one call: the entry's timeout, capped by the chain deadline (0: none).
  CallOptions CallOptionsWithin(int64_t chain_deadline_ns,
                                const CancelToken* cancel = nullptr) const;
};

struct Chain {
  uint32_t kind = 0;
  int64_t budget_ns = 0;
  std::vector<ChainEntry> entries;

  // The absolute deadline for one run of the chain started now (0 when there is no budget).
  int64_t DeadlineFromNow() const;
};

// Immutable after Load; share const access across threads. Destroying it destroys the
// instances (posted work drained, then on_destroy) in reverse order of creation.
class Registry {
 public:
  // Loads every entry; never fails as a whole: see status().
  static std::unique_ptr<Registry> Load(const PluginConfiguration& config,
                                        const RegistryOptions& options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // OK when every entry loaded; otherwise kInvalid naming each failing entry:
  // "3 of 5 plugin chain entries failed: authn[0] 'tokens': <why>; ...".
  const Status& status() const { return status_; }
  // In kind-id order; entries in chain order.
  const std::vector<Chain>& chains() const { return chains_; }
  // NULL when the kind has no chain.
  const Chain* chain(uint32_t kind) const;
  MetricsRegistry& metrics() const { return *metrics_; }

 private:
  Registry() = default;
  void LoadEntry(const PluginConfiguration& config, const RegistryOptions& options,
                 ChainEntry& entry);

  std::vector<Chain> chains_;
  Status status_;
  std::shared_ptr<HostExecutor> executor_;
  std::shared_ptr<MetricsRegistry> metrics_;
  // Creation order; shared by entries of several kinds with the same name and library.
  std::vector<std::shared_ptr<PluginInstance>> created_;
  // Dry-run bookkeeping of instance names per loaded object (multi-instance rule).
  std::vector<std::pair<const LoadedObject*, std::string>> dry_instances_;
};

}  // namespace capstan::plugin
