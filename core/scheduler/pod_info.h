// Typed pod and node records, converted from Kubernetes JSON once per informer event and owning
// their strings, plus the ABI views (capstan_sched_pod_view / capstan_sched_node_view pieces)
// pointing into them, so a scheduling cycle does no JSON work. Partners: cache.h (per-node sums),
// snapshot.h (node views per cycle). Tests in tests/core/scheduler/pod_info_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capstan/abi/sched.h"
#include "core/common/status.h"
#include "core/scheduler/resources.h"

namespace capstan::scheduler {

inline constexpr std::string_view kDefaultSchedulerName = "default-scheduler";

// The object behind a `capstan_sched_object*` handle: the parsed JSON and, on first request, its
// serialization (cached). Thread-safe.
class SchedObject {
 public:
  explicit SchedObject(std::shared_ptr<const nlohmann::json> json) : json_(std::move(json)) {}
  const nlohmann::json& json() const { return *json_; }
  // The JSON text; serialized once, then shared by every caller.
  const std::string& Text() const;
  capstan_sched_object* handle() const {
    return reinterpret_cast<capstan_sched_object*>(const_cast<SchedObject*>(this));
  }
  static const SchedObject* FromHandle(const capstan_sched_object* h) {
    return reinterpret_cast<const SchedObject*>(h);
  }

 private:
  std::shared_ptr<const nlohmann::json> json_;
  mutable std::once_flag once_;
  mutable std::string text_;
};

using LabelList = std::vector<std::pair<std::string, std::string>>;

struct Toleration {
  std::string key;
  std::string value;
  uint32_t op = CAPSTAN_TOLERATION_EQUAL;
  uint32_t effect = 0;
  int64_t seconds = 0;
  bool has_seconds = false;
};

struct HostPort {
  std::string ip;
  int32_t port = 0;
  uint32_t protocol = CAPSTAN_PROTOCOL_TCP;
};

// What the scheduler knows of a pod. Copyable data; `PodInfo` adds the views.
struct PodData {
  std::string uid;
  std::string namespace_name;
  std::string name;
  std::string key;  // "namespace/name"
  std::string node_name;
  std::string nominated_node_name;
  std::string scheduler_name;
  std::string phase;
  int32_t priority = 0;
  int64_t creation_unix_ms = 0;
  bool deleting = false;  // metadata.deletionTimestamp set
  Resources requests;     // effective requests, pods = 1
  LabelList labels;
  LabelList node_selector;
  std::vector<Toleration> tolerations;
  std::vector<HostPort> host_ports;
  std::vector<std::string> images;
  uint32_t flags = 0;  // CAPSTAN_SCHED_POD_* (affinity terms present)
  std::shared_ptr<const SchedObject> object;
};

// Immutable once built; share across threads as `shared_ptr<const PodInfo>`. `view()` points
// into this object and lives as long as it does.
class PodInfo {
 public:
  // Errors: kInvalid when metadata.name is missing or a quantity does not parse.
  static Result<std::shared_ptr<const PodInfo>> FromJson(std::shared_ptr<const nlohmann::json> pod);
  // The same pod placed on `node_name` (what the cache holds for an assumed pod).
  std::shared_ptr<const PodInfo> WithNodeName(std::string_view node_name) const;

  explicit PodInfo(PodData data);
  PodInfo(const PodInfo&) = delete;
  PodInfo& operator=(const PodInfo&) = delete;

  const PodData& data() const { return d_; }
  const std::string& key() const { return d_.key; }
  bool bound() const { return !d_.node_name.empty(); }
  // Succeeded or Failed: holds no resources.
  bool terminal() const { return d_.phase == "Succeeded" || d_.phase == "Failed"; }
  const capstan_sched_pod_view* view() const { return &view_; }

 private:
  PodData d_;
  std::vector<capstan_sched_scalar> scalars_;
  std::vector<capstan_sched_label> labels_;
  std::vector<capstan_sched_label> selector_;
  std::vector<capstan_sched_toleration> tolerations_;
  std::vector<capstan_sched_host_port> ports_;
  std::vector<capstan_host_str> images_;
  capstan_sched_pod_view view_{};
};

struct NodeImage {
  std::string name;
  int64_t size_bytes = 0;
};

struct Taint {
  std::string key;
  std::string value;
  uint32_t effect = 0;
};

// The static part of a node (from its object); per-node pod sums live in the cache.
struct NodeData {
  std::string name;
  bool unschedulable = false;
  LabelList labels;
  std::vector<Taint> taints;
  Resources allocatable;
  std::vector<NodeImage> images;  // one entry per image name
  std::shared_ptr<const SchedObject> object;
};

// Immutable once built; shared by the cache and snapshots. The label, taint and allocatable
// arrays below point into this object.
class NodeInfo {
 public:
  // Errors: kInvalid when metadata.name is missing or a quantity does not parse.
  static Result<std::shared_ptr<const NodeInfo>> FromJson(
      std::shared_ptr<const nlohmann::json> node);

  explicit NodeInfo(NodeData data);
  NodeInfo(const NodeInfo&) = delete;
  NodeInfo& operator=(const NodeInfo&) = delete;

  const NodeData& data() const { return d_; }
  const std::string& name() const { return d_.name; }
  const std::vector<capstan_sched_label>& abi_labels() const { return labels_; }
  const std::vector<capstan_sched_taint>& abi_taints() const { return taints_; }
  // The names of `data().images`, index for index, as pooled strings.
  const std::vector<capstan_host_str>& abi_image_names() const { return image_names_; }
  const capstan_sched_resources& abi_allocatable() const { return allocatable_; }

 private:
  NodeData d_;
  std::vector<capstan_sched_label> labels_;
  std::vector<capstan_sched_taint> taints_;
  std::vector<capstan_host_str> image_names_;
  std::vector<capstan_sched_scalar> scalars_;
  capstan_sched_resources allocatable_{};
};

// ABI helpers shared with the snapshot.
inline capstan_host_str HostStr(const std::string& s) { return {s.data(), s.size()}; }
// `s` as its pooled copy (string_pool.h), or `s` itself when the pool is full: the view is
// valid as long as `s` is.
capstan_host_str Pooled(const std::string& s);
// Fills `out` from `r`; `scalars` receives the scalar array `out` points to.
void FillAbiResources(const Resources& r, std::vector<capstan_sched_scalar>* scalars,
                      capstan_sched_resources* out);
// "2024-05-01T10:00:00Z" (optionally with fraction/offset) -> Unix ms; 0 when unparsable.
int64_t ParseTimestampMs(std::string_view text);

}  // namespace capstan::scheduler
