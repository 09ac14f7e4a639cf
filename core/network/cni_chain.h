// Pod networking over the operator's `cni` plugin chain (capstan/abi/cni.h chain rule, CNI spec
// 1.1.0 list semantics): ADD in chain order with `prevResult` threaded through, DEL in reverse
// continuing past errors, CHECK, STATUS and GC. The agent calls it around RunPodSandbox /
// RemovePodSandbox and keeps the returned result in its pod record; nothing is persisted here.
// Result parsing: cni_result.h. Tests in tests/core/network/.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/network/cni_result.h"
#include "core/plugin/registry.h"

namespace capstan::network {

// The CNI_* parameters of one pod attachment.
struct CniAttachment {
  std::string container_id;  // CNI_CONTAINERID: the pod sandbox ID
  std::string netns_path;    // CNI_NETNS: the sandbox's netnsPath
  std::string ifname = "eth0";
  // CNI_ARGS, best built with K8sCniArgs()
  std::string args;
  // `runtimeConfig` for capability-aware plugins (e.g. {"portMappings": [...]}); null: none.
  nlohmann::json runtime_config;
};

// One live attachment, for GC's "cni.dev/valid-attachments".
struct CniAttachmentRef {
  std::string container_id;
  std::string ifname = "eth0";
};

struct CniChainOptions {
  // The network `name` every plugin sees (the spec's list name).
  std::string network_name = "capstan";
  // The `cniVersion` every plugin sees and the results come back in.
  std::string cni_version = "1.1.0";
  // Run DEL over the whole chain when an ADD fails (the spec's failure handling); the ADD error
  // is still returned.
  bool del_on_add_failure = true;
};

// Stateless over a chain owned by the plugin Registry (which must outlive it). Thread-safe:
// calls for different containers may run concurrently; the caller must not run two calls for
// the same container ID at once (abi/cni.h). Each plugin call is bounded by its entry's timeout
// within the chain's budget and by `cancel` (may be NULL).
class CniChain {
 public:
  explicit CniChain(const plugin::Chain* chain, CniChainOptions options = {});

  // True when the chain has at least one initialised CNI plugin. Without one Add fails with
  // kUnavailable; the caller decides whether pods then run without networking.
  bool configured() const;

  // ADD in chain order. A plugin whose entry is `Ignore` and fails is passed over (the next one
  // sees the previous result). Errors: kUnavailable "no CNI plugins configured"; a `Fail`
  // plugin's failure as "CNI ADD for <container>: plugin 'p' instance 'i' on_add: <RC>: <text>"
  // with the code of CallOutcome::ToStatus (the text of cni-exec carries "<binary>: CNI error
  // <code> (<name>): <msg>: <details>"); kInternal for a malformed final result. After a
  // failure DEL has run over the whole chain (unless disabled).
  Result<CniResult> Add(const CniAttachment& attachment,
                        const plugin::CancelToken* cancel = nullptr) const;

  // DEL in reverse order with `prev_result_json` (the ADD result's raw_json; empty when
  // unknown) as `prevResult`. Continues past failures; returns the first `Fail` entry's failure
  // with the others appended. OK when nothing was attached (NOT_FOUND counts as OK).
  Status Del(const CniAttachment& attachment, std::string_view prev_result_json = {},
             const plugin::CancelToken* cancel = nullptr) const;

  // CHECK in order with `prev_result_json` as `prevResult`; plugins without CHECK are skipped.
  // Returns the first `Fail` entry's failure.
  Status Check(const CniAttachment& attachment, std::string_view prev_result_json,
               const plugin::CancelToken* cancel = nullptr) const;

  // STATUS (CNI 1.1.0): OK when every plugin is ready to ADD (plugins without STATUS count as
  // ready); otherwise kUnavailable naming the plugin. Not-configured is kUnavailable too.
  Status NetworkStatus(const plugin::CancelToken* cancel = nullptr) const;

  // GC (CNI 1.1.0): every plugin releases what is not in `valid`. Continues past failures;
  // returns the first `Fail` entry's failure.
  Status Gc(const std::vector<CniAttachmentRef>& valid,
            const plugin::CancelToken* cancel = nullptr) const;

 private:
  const plugin::Chain* chain_;
  CniChainOptions options_;
};

// CNI_ARGS as Kubernetes runtimes pass them: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;
// K8S_POD_NAME=name;K8S_POD_INFRA_CONTAINER_ID=sandbox;K8S_POD_UID=uid" (the standard plugins
// reject unknown keys without IgnoreUnknown).
std::string K8sCniArgs(std::string_view pod_namespace, std::string_view pod_name,
                       std::string_view sandbox_id, std::string_view pod_uid);

// The per-plugin network configuration the chain sends (exposed for tests): the entry's
// operator config with `cniVersion`, `name`, `type` (the plugin's name) set, plus `prevResult`
// and `runtimeConfig` when given (non-null).
nlohmann::json BuildCniNetConf(const plugin::ChainEntry& entry, const CniChainOptions& options,
                               const nlohmann::json& prev_result,
                               const nlohmann::json& runtime_config);

}  // namespace capstan::network
