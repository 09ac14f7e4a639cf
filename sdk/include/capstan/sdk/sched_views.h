// Typed, borrowed views of the scheduler's hot-path structs (capstan/abi/sched.h): `PodView`,
// `NodeView`, `Labels`, `NodeList`, `NodeStatuses`, `NodeScores`. They never copy and never
// allocate; fields the host did not send (convention 4) read as zero/empty. Valid for the call.
// Partner: sched.h (the plugin base class). Header-only, C++17.
#ifndef CAPSTAN_SDK_SCHED_VIEWS_H_
#define CAPSTAN_SDK_SCHED_VIEWS_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "capstan/abi/sched.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

// Byte equality of two strings, inline. The per-node Filter/Score paths compare short strings
// (label keys and values, image names, taint keys) several times per call; a library memcmp
// call costs more than such a comparison (most of the default plugins' time under load). The
// last 8 bytes are compared first: these strings often share a long prefix
// ("kubernetes.io/...", "registry/app:1" vs ":2").
inline bool SameBytes(std::string_view a, std::string_view b) {
  size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    uint64_t x = 0, y = 0;
    std::memcpy(&x, p + n - 8, 8);
    std::memcpy(&y, q + n - 8, 8);
    if (x != y) return false;
    for (size_t i = 0; i + 8 <= n - 8; i += 8) {
      std::memcpy(&x, p + i, 8);
      std::memcpy(&y, q + i, 8);
      if (x != y) return false;
    }
    // The bytes between the last full word and the tail word were covered by the tail word.
    for (size_t i = (n - 8) / 8 * 8; i < n - 8; ++i) {
      if (p[i] != q[i]) return false;
    }
    return true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

// Label (or node selector) pairs; keys are unique.
class Labels {
 public:
  Labels() = default;
  Labels(const capstan_sched_label* data, size_t size) : items_(data, size) {}
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::string_view key(size_t i) const { return ToView(items_[i].key); }
  std::string_view value(size_t i) const { return ToView(items_[i].value); }
  // The value of `key`, or nullopt when absent (an empty value is present).
  std::optional<std::string_view> Get(std::string_view k) const {
    for (const capstan_sched_label& l : items_) {
      if (SameBytes(ToView(l.key), k)) return ToView(l.value);
    }
    return std::nullopt;
  }
  bool Contains(std::string_view k) const { return Get(k).has_value(); }

 private:
  Span<capstan_sched_label> items_;
};

#define CAPSTAN_SDK_VIEW_HAS(field) CAPSTAN_SDK_HAS_FIELD(raw_, RawType, field)

// The typed view of a pod; `requests()` are its effective requests.
class PodView {
 public:
  using RawType = capstan_sched_pod_view;
  explicit PodView(const capstan_sched_pod_view* raw) : raw_(raw) {}

  int32_t priority() const { return CAPSTAN_SDK_VIEW_HAS(priority) ? raw_->priority : 0; }
  std::string_view uid() const { return Str(CAPSTAN_SDK_VIEW_HAS(uid), &RawType::uid); }
  std::string_view namespace_name() const {
    return Str(CAPSTAN_SDK_VIEW_HAS(namespace_name), &RawType::namespace_name);
  }
  std::string_view name() const { return Str(CAPSTAN_SDK_VIEW_HAS(name), &RawType::name); }
  std::string_view node_name() const {
    return Str(CAPSTAN_SDK_VIEW_HAS(node_name), &RawType::node_name);
  }
  std::string_view nominated_node_name() const {
    return Str(CAPSTAN_SDK_VIEW_HAS(nominated_node_name), &RawType::nominated_node_name);
  }
  std::string_view scheduler_name() const {
    return Str(CAPSTAN_SDK_VIEW_HAS(scheduler_name), &RawType::scheduler_name);
  }
  int64_t creation_unix_ms() const {
    return CAPSTAN_SDK_VIEW_HAS(creation_unix_ms) ? raw_->creation_unix_ms : 0;
  }
  capstan_sched_resources requests() const {
    return CAPSTAN_SDK_VIEW_HAS(requests) ? raw_->requests : capstan_sched_resources{};
  }
  Labels labels() const {
    return CAPSTAN_SDK_VIEW_HAS(label_count) ? Labels(raw_->labels, raw_->label_count) : Labels();
  }
  // CAPSTAN_SCHED_POD_* bits; 0 from hosts older than sched 1.1.
  uint32_t flags() const { return CAPSTAN_SDK_VIEW_HAS(flags) ? raw_->flags : 0; }
  Labels node_selector() const {
    return CAPSTAN_SDK_VIEW_HAS(node_selector)
               ? Labels(raw_->node_selector, raw_->node_selector_count)
               : Labels();
  }
  Span<capstan_sched_toleration> tolerations() const {
    return CAPSTAN_SDK_VIEW_HAS(toleration_count)
               ? Span<capstan_sched_toleration>(raw_->tolerations, raw_->toleration_count)
               : Span<capstan_sched_toleration>();
  }
  Span<capstan_sched_host_port> host_ports() const {
    return CAPSTAN_SDK_VIEW_HAS(host_ports)
               ? Span<capstan_sched_host_port>(raw_->host_ports, raw_->host_port_count)
               : Span<capstan_sched_host_port>();
  }
  StrList images() const {
    return CAPSTAN_SDK_VIEW_HAS(image_count) ? StrList(raw_->images, raw_->image_count) : StrList();
  }
  // The opaque handle for `Cycle::ObjectJson`; NULL when absent.
  capstan_sched_object* object() const {
    return CAPSTAN_SDK_VIEW_HAS(object) ? raw_->object : nullptr;
  }
  const capstan_sched_pod_view* raw() const { return raw_; }

 private:
  std::string_view Str(bool present, capstan_host_str RawType::*field) const {
    return present ? ToView(raw_->*field) : std::string_view();
  }
  const capstan_sched_pod_view* raw_;
};

// The typed view of a node in this cycle's snapshot (including pods assumed on it).
class NodeView {
 public:
  using RawType = capstan_sched_node_view;
  explicit NodeView(const capstan_sched_node_view* raw) : raw_(raw) {}

  std::string_view name() const {
    return CAPSTAN_SDK_VIEW_HAS(name) ? ToView(raw_->name) : std::string_view();
  }
  bool unschedulable() const {
    return CAPSTAN_SDK_VIEW_HAS(unschedulable) && raw_->unschedulable != 0;
  }
  Labels labels() const {
    return CAPSTAN_SDK_VIEW_HAS(label_count) ? Labels(raw_->labels, raw_->label_count) : Labels();
  }
  Span<capstan_sched_taint> taints() const {
    return CAPSTAN_SDK_VIEW_HAS(taints) ? Span<capstan_sched_taint>(raw_->taints, raw_->taint_count)
                                        : Span<capstan_sched_taint>();
  }
  capstan_sched_resources allocatable() const {
    return CAPSTAN_SDK_VIEW_HAS(allocatable) ? raw_->allocatable : capstan_sched_resources{};
  }
  capstan_sched_resources requested() const {
    return CAPSTAN_SDK_VIEW_HAS(requested) ? raw_->requested : capstan_sched_resources{};
  }
  Span<capstan_sched_host_port> used_host_ports() const {
    return CAPSTAN_SDK_VIEW_HAS(used_host_port_count)
               ? Span<capstan_sched_host_port>(raw_->used_host_ports, raw_->used_host_port_count)
               : Span<capstan_sched_host_port>();
  }
  Span<capstan_sched_image> images() const {
    return CAPSTAN_SDK_VIEW_HAS(images) ? Span<capstan_sched_image>(raw_->images, raw_->image_count)
                                        : Span<capstan_sched_image>();
  }
  // Argument to `Cycle::NodePods`.
  uint32_t index() const { return CAPSTAN_SDK_VIEW_HAS(index) ? raw_->index : 0; }
  uint32_t pod_count() const { return CAPSTAN_SDK_VIEW_HAS(pod_count) ? raw_->pod_count : 0; }
  capstan_sched_object* object() const {
    return CAPSTAN_SDK_VIEW_HAS(object) ? raw_->object : nullptr;
  }
  const capstan_sched_node_view* raw() const { return raw_; }

 private:
  const capstan_sched_node_view* raw_;
};

#undef CAPSTAN_SDK_VIEW_HAS

// The feasible nodes handed to PreScore.
class NodeList {
 public:
  NodeList(const capstan_sched_node_view* const* nodes, size_t size) : nodes_(nodes, size) {}
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  NodeView operator[](size_t i) const { return NodeView(nodes_[i]); }

 private:
  Span<const capstan_sched_node_view*> nodes_;
};

// Filter outcomes per node, handed to PostFilter.
class NodeStatuses {
 public:
  NodeStatuses(const capstan_sched_node_status* data, size_t size) : items_(data, size) {}
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::string_view node_name(size_t i) const { return ToView(items_[i].node_name); }
  capstan_rc code(size_t i) const { return items_[i].code; }
  std::string_view reason(size_t i) const { return ToView(items_[i].reason); }

 private:
  Span<capstan_sched_node_status> items_;
};

// Host-owned scores, writable for the NormalizeScore call.
class NodeScores {
 public:
  NodeScores(capstan_sched_node_score* data, size_t size)
      : data_(size > 0 ? data : nullptr), size_(data != nullptr ? size : 0) {}
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view node_name(size_t i) const { return ToView(data_[i].node_name); }
  int64_t score(size_t i) const { return data_[i].score; }
  void set_score(size_t i, int64_t score) { data_[i].score = score; }

 private:
  capstan_sched_node_score* data_;
  size_t size_;
};

}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_SCHED_VIEWS_H_
