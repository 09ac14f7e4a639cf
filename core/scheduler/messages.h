// Why a pod did not fit, and the upstream-style text of it: "0/3 nodes are available: 1 node(s)
// had untolerated taint {k: v}, 2 Insufficient cpu." (counts per reason, the "N reason" strings
// sorted as upstream sorts them), plus the PostFilter text. Used by algorithm.h and
// scheduler.cc. Tests in tests/core/scheduler/messages_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/abi/common.h"

namespace capstan::scheduler {

// One node a Filter plugin rejected.
struct NodeFailure {
  uint32_t node = 0;  // snapshot index
  capstan_rc code = CAPSTAN_RC_UNSCHEDULABLE;
  std::string plugin;
  std::string reason;  // the plugin's text; several reasons are separated by ", " or '\n'
};

struct Diagnosis {
  size_t num_all_nodes = 0;
  std::vector<NodeFailure> failures;
  // Set when a PreFilter plugin rejected the pod on every node.
  std::string pre_filter_msg;
  // Nodes a PreFilter node restriction excluded, and the plugins that restricted.
  size_t absent_nodes = 0;
  std::vector<std::string> restricting_plugins;
  // The PostFilter outcome text, e.g. "preemption: 0/3 nodes are available: ...".
  std::string post_filter_msg;
};

// The reasons of one failure: split at ", " (how the default plugins join several reasons, as
// upstream's Status.Message()) and '\n', empty parts dropped; a failure without text becomes
// "node(s) didn't satisfy plugin <plugin>".
std::vector<std::string> FailureReasons(const NodeFailure& failure);

// "0/N nodes are available: <reasons>." with " <post filter text>." appended when present.
std::string FitErrorMessage(const Diagnosis& diagnosis);

}  // namespace capstan::scheduler
