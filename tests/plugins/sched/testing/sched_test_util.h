// Test helpers for the default scheduler plugins (plugins/sched/*): `Pod` and `Node` builders
// covering every field of the typed views (the SDK's PodBuilder/NodeBuilder cover a few), and
// `SchedDriver`, which calls any scheduler entry of a `PluginInstance` through its C vtable the
// way the host does. `get()` pointers are valid until the builder is changed, moved or destroyed.
// Partners: capstan/sdk/testing/{harness.h,fake_host.h}. Header-only.
#ifndef CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_SCHED_TEST_UTIL_H_
#define CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_SCHED_TEST_UTIL_H_

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "capstan/abi/sched.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/text.h"

namespace capstan::sched::testing {

using sdk::ToHostStr;

// Resources owned as strings, exposed as `capstan_sched_resources`.
struct Res {
  int64_t milli_cpu = 0, memory = 0, ephemeral = 0, pods = 0;
  std::vector<std::pair<std::string, int64_t>> scalars;
  std::vector<capstan_sched_scalar> raw_scalars;

  capstan_sched_resources Build() {
    raw_scalars.clear();
    for (const auto& [n, v] : scalars) raw_scalars.push_back({ToHostStr(n), v});
    capstan_sched_resources r{};
    r.milli_cpu = milli_cpu;
    r.memory = memory;
    r.ephemeral_storage = ephemeral;
    r.pods = pods;
    r.scalars = raw_scalars.empty() ? nullptr : raw_scalars.data();
    r.scalar_count = static_cast<uint32_t>(raw_scalars.size());
    return r;
  }
};

struct Pairs {
  std::deque<std::pair<std::string, std::string>> items;
  std::vector<capstan_sched_label> raw;
  const capstan_sched_label* Build(uint32_t* count) {
    raw.clear();
    for (const auto& [k, v] : items) raw.push_back({ToHostStr(k), ToHostStr(v)});
    *count = static_cast<uint32_t>(raw.size());
    return raw.empty() ? nullptr : raw.data();
  }
};

struct Port {
  std::string ip;
  int32_t port;
  uint32_t protocol;
};

inline std::vector<capstan_sched_host_port> BuildPorts(const std::deque<Port>& ports) {
  std::vector<capstan_sched_host_port> raw;
  raw.reserve(ports.size());
  for (const Port& p : ports) raw.push_back({ToHostStr(p.ip), p.port, p.protocol});
  return raw;
}

class Pod {
 public:
  Pod& Name(std::string ns, std::string name) {
    ns_ = std::move(ns), name_ = std::move(name);
    return *this;
  }
  Pod& Uid(std::string u) { return Set(uid_, std::move(u)); }
  Pod& NodeName(std::string n) { return Set(node_name_, std::move(n)); }
  Pod& Priority(int32_t p) {
    priority_ = p;
    return *this;
  }
  Pod& Created(int64_t unix_ms) {
    created_ = unix_ms;
    return *this;
  }
  Pod& Requests(int64_t milli_cpu, int64_t memory) {
    req_.milli_cpu = milli_cpu, req_.memory = memory;
    return *this;
  }
  Pod& Ephemeral(int64_t bytes) {
    req_.ephemeral = bytes;
    return *this;
  }
  Pod& Scalar(std::string name, int64_t v) {
    req_.scalars.emplace_back(std::move(name), v);
    return *this;
  }
  Pod& Label(std::string k, std::string v) {
    labels_.items.emplace_back(std::move(k), std::move(v));
    return *this;
  }
  Pod& NodeSelector(std::string k, std::string v) {
    selector_.items.emplace_back(std::move(k), std::move(v));
    return *this;
  }
  // `op` CAPSTAN_TOLERATION_*, `effect` CAPSTAN_TAINT_* or 0.
  Pod& Toleration(std::string key, uint32_t op, std::string value, uint32_t effect) {
    tolerations_.push_back({std::move(key), std::move(value), op, effect});
    return *this;
  }
  Pod& HostPort(std::string ip, int32_t port, uint32_t protocol = CAPSTAN_PROTOCOL_TCP) {
    ports_.push_back({std::move(ip), port, protocol});
    return *this;
  }
  Pod& Image(std::string i) {
    images_.push_back(std::move(i));
    return *this;
  }
  Pod& Object(capstan_sched_object* o) {
    object_ = o;
    return *this;
  }
  // CAPSTAN_SCHED_POD_* bits, as a sched 1.1 host sets them from spec.affinity.
  Pod& Flags(uint32_t f) {
    flags_ = f;
    return *this;
  }
  uint32_t flags() const { return flags_; }

  const capstan_sched_pod_view* get() {
    raw_ = capstan_sched_pod_view{};
    raw_.struct_size = sizeof(raw_);
    raw_.priority = priority_;
    raw_.uid = ToHostStr(uid_);
    raw_.namespace_name = ToHostStr(ns_);
    raw_.name = ToHostStr(name_);
    raw_.node_name = ToHostStr(node_name_);
    raw_.scheduler_name = ToHostStr(scheduler_);
    raw_.creation_unix_ms = created_;
    req_.pods = 1;
    raw_.requests = req_.Build();
    raw_.labels = labels_.Build(&raw_.label_count);
    raw_.node_selector = selector_.Build(&raw_.node_selector_count);
    raw_tolerations_.clear();
    for (const Tol& t : tolerations_) {
      capstan_sched_toleration r{};
      r.key = ToHostStr(t.key);
      r.value = ToHostStr(t.value);
      r.op = t.op;
      r.effect = t.effect;
      raw_tolerations_.push_back(r);
    }
    raw_.tolerations = raw_tolerations_.empty() ? nullptr : raw_tolerations_.data();
    raw_.toleration_count = static_cast<uint32_t>(raw_tolerations_.size());
    raw_ports_ = BuildPorts(ports_);
    raw_.host_ports = raw_ports_.empty() ? nullptr : raw_ports_.data();
    raw_.host_port_count = static_cast<uint32_t>(raw_ports_.size());
    raw_images_.clear();
    for (const std::string& i : images_) raw_images_.push_back(ToHostStr(i));
    raw_.images = raw_images_.empty() ? nullptr : raw_images_.data();
    raw_.image_count = static_cast<uint32_t>(raw_images_.size());
    raw_.object = object_;
    raw_.flags = flags_;
    return &raw_;
  }

 private:
  struct Tol {
    std::string key, value;
    uint32_t op, effect;
  };
  Pod& Set(std::string& field, std::string v) {
    field = std::move(v);
    return *this;
  }
  std::string ns_ = "default", name_ = "web", uid_ = "uid-web", node_name_,
              scheduler_ = "default-scheduler";
  int32_t priority_ = 0;
  int64_t created_ = 0;
  Res req_;
  Pairs labels_, selector_;
  std::deque<Tol> tolerations_;
  std::deque<Port> ports_;
  std::deque<std::string> images_;
  uint32_t flags_ = 0;
  capstan_sched_object* object_ = nullptr;
  std::vector<capstan_sched_toleration> raw_tolerations_;
  std::vector<capstan_sched_host_port> raw_ports_;
  std::vector<capstan_host_str> raw_images_;
  capstan_sched_pod_view raw_{};
};

class Node {
 public:
  explicit Node(std::string name = "node-1") : name_(std::move(name)) {}
  Node& Label(std::string k, std::string v) {
    labels_.items.emplace_back(std::move(k), std::move(v));
    return *this;
  }
  Node& Unschedulable(bool u) {
    unschedulable_ = u;
    return *this;
  }
  Node& Taint(std::string key, std::string value, uint32_t effect) {
    taints_.push_back({std::move(key), std::move(value), effect});
    return *this;
  }
  Node& Allocatable(int64_t milli_cpu, int64_t memory, int64_t pods = 110) {
    alloc_.milli_cpu = milli_cpu, alloc_.memory = memory, alloc_.pods = pods;
    return *this;
  }
  Node& AllocatableScalar(std::string name, int64_t v) {
    alloc_.scalars.emplace_back(std::move(name), v);
    return *this;
  }
  Node& AllocatableEphemeral(int64_t v) {
    alloc_.ephemeral = v;
    return *this;
  }
  Node& Requested(int64_t milli_cpu, int64_t memory) {
    req_.milli_cpu = milli_cpu, req_.memory = memory;
    return *this;
  }
  Node& RequestedScalar(std::string name, int64_t v) {
    req_.scalars.emplace_back(std::move(name), v);
    return *this;
  }
  Node& RequestedEphemeral(int64_t v) {
    req_.ephemeral = v;
    return *this;
  }
  Node& PodCount(uint32_t n) {
    pod_count_ = n;
    return *this;
  }
  Node& UsedPort(std::string ip, int32_t port, uint32_t protocol = CAPSTAN_PROTOCOL_TCP) {
    ports_.push_back({std::move(ip), port, protocol});
    return *this;
  }
  Node& Image(std::string name, int64_t size, int32_t node_count) {
    images_.push_back({std::move(name), size, node_count});
    return *this;
  }
  Node& Index(uint32_t i) {
    index_ = i;
    return *this;
  }
  Node& Object(capstan_sched_object* o) {
    object_ = o;
    return *this;
  }
  const std::string& name() const { return name_; }

  const capstan_sched_node_view* get() {
    raw_ = capstan_sched_node_view{};
    raw_.struct_size = sizeof(raw_);
    raw_.unschedulable = unschedulable_ ? 1 : 0;
    raw_.name = ToHostStr(name_);
    raw_.labels = labels_.Build(&raw_.label_count);
    raw_taints_.clear();
    for (const TaintSpec& t : taints_) {
      raw_taints_.push_back({ToHostStr(t.key), ToHostStr(t.value), t.effect, 0});
    }
    raw_.taints = raw_taints_.empty() ? nullptr : raw_taints_.data();
    raw_.taint_count = static_cast<uint32_t>(raw_taints_.size());
    raw_.allocatable = alloc_.Build();
    raw_.requested = req_.Build();
    raw_ports_ = BuildPorts(ports_);
    raw_.used_host_ports = raw_ports_.empty() ? nullptr : raw_ports_.data();
    raw_.used_host_port_count = static_cast<uint32_t>(raw_ports_.size());
    raw_images_.clear();
    for (const ImageSpec& i : images_)
      raw_images_.push_back({ToHostStr(i.name), i.size, i.nodes, 0});
    raw_.images = raw_images_.empty() ? nullptr : raw_images_.data();
    raw_.image_count = static_cast<uint32_t>(raw_images_.size());
    raw_.index = index_;
    raw_.pod_count = pod_count_;
    raw_.object = object_;
    return &raw_;
  }

 private:
  struct TaintSpec {
    std::string key, value;
    uint32_t effect;
  };
  struct ImageSpec {
    std::string name;
    int64_t size;
    int32_t nodes;
  };
  std::string name_;
  bool unschedulable_ = false;
  Pairs labels_;
  std::deque<TaintSpec> taints_;
  Res alloc_{4000, int64_t{8} << 30, 0, 110, {}, {}};
  Res req_;
  std::deque<Port> ports_;
  std::deque<ImageSpec> images_;
  uint32_t index_ = 0, pod_count_ = 0;
  capstan_sched_object* object_ = nullptr;
  std::vector<capstan_sched_taint> raw_taints_;
  std::vector<capstan_sched_host_port> raw_ports_;
  std::vector<capstan_sched_image> raw_images_;
  capstan_sched_node_view raw_{};
};

// Calls the entries the SDK harness does not wrap, through the plugin's C vtable.
class SchedDriver {
 public:
  explicit SchedDriver(sdk::testing::PluginInstance& p)
      : p_(&p), v_(p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED)) {}
  const capstan_sched_v1* vtable() const { return v_; }

  bool QueueLess(const capstan_sched_pod_view* a, const capstan_sched_pod_view* b) {
    return v_->on_queue_less(p_->state(), a, b) != 0;
  }
  sdk::testing::Outcome PreFilter(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod) {
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return v_->on_pre_filter(p_->state(), c, cy, pod, o);
    });
  }
  sdk::testing::Outcome Filter(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                               const capstan_sched_node_view* node) {
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v_->on_filter(p_->state(), c, cy, pod, node);
    });
  }
  sdk::testing::Outcome PreScore(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                                 const std::vector<const capstan_sched_node_view*>& nodes) {
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v_->on_pre_score(p_->state(), c, cy, pod, nodes.data(),
                              static_cast<uint32_t>(nodes.size()));
    });
  }
  sdk::testing::Outcome Score(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                              const capstan_sched_node_view* node, int64_t* score) {
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v_->on_score(p_->state(), c, cy, pod, node, score);
    });
  }
  // Rewrites `scores` (node name, score) in place.
  sdk::testing::Outcome NormalizeScore(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                                       std::vector<std::pair<std::string, int64_t>>* scores) {
    std::vector<capstan_sched_node_score> raw;
    for (const auto& [n, s] : *scores) raw.push_back({ToHostStr(n), s});
    sdk::testing::Outcome o = Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v_->on_normalize_score(p_->state(), c, cy, pod, raw.data(),
                                    static_cast<uint32_t>(raw.size()));
    });
    for (size_t i = 0; i < raw.size(); ++i) (*scores)[i].second = raw[i].score;
    return o;
  }
  sdk::testing::Outcome PostFilter(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                                   const std::vector<capstan_sched_node_status>& statuses) {
    return Run([&](capstan_call* c, capstan_plugin_buf* o) {
      return v_->on_post_filter(p_->state(), c, cy, pod, statuses.data(),
                                static_cast<uint32_t>(statuses.size()), o);
    });
  }
  sdk::testing::Outcome Bind(capstan_sched_cycle* cy, const capstan_sched_pod_view* pod,
                             const std::string& node) {
    return Run([&](capstan_call* c, capstan_plugin_buf*) {
      return v_->on_bind(p_->state(), c, cy, pod, ToHostStr(node));
    });
  }

 private:
  template <typename Fn>
  sdk::testing::Outcome Run(Fn&& fn) {
    sdk::testing::FakeCall call;
    capstan_plugin_buf out{nullptr, 0};
    sdk::testing::Outcome o;
    o.rc = fn(call.get(), &out);
    o.output = std::string(sdk::ToView(out));
    if (o.rc != CAPSTAN_RC_OK) o.error = call.error();
    return o;
  }
  sdk::testing::PluginInstance* p_;
  const capstan_sched_v1* v_;
};

}  // namespace capstan::sched::testing

#endif  // CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_SCHED_TEST_UTIL_H_
