// A TablePatchSchema with the upstream v1.32 markers of the fields the patch tests touch: Pod,
// Deployment (pod template under spec.template), Node, Service and ObjectMeta. Shared by the
// tests in tests/core/patch/.
#pragma once

#include <string>
#include <vector>

#include "core/patch/patch_schema.h"

namespace capstan::patch::testing {

inline std::vector<FieldSpec> PodSpecRows(const std::string& p) {
  std::vector<FieldSpec> rows;
  auto keyed = [&](const std::string& path, const std::string& key,
                   std::string strategy = "merge") {
    rows.push_back({path, ValueKind::kList, std::move(strategy), key, "map", {key}, nullptr, ""});
  };
  auto atomic = [&](const std::string& path) {
    rows.push_back({path, ValueKind::kList, "", "", "atomic", {}, nullptr, ""});
  };
  rows.push_back({p, ValueKind::kStruct, "", "", "", {}, nullptr, ""});
  for (const char* c : {"containers", "initContainers", "ephemeralContainers"}) {
    std::string list = p + "." + c;
    keyed(list, "name");
    std::string item = list + "[]";
    keyed(item + ".env", "name");
    keyed(item + ".volumeMounts", "mountPath");
    rows.push_back({item + ".ports",
                    ValueKind::kList,
                    "merge",
                    "containerPort",
                    "map",
                    {"containerPort", "protocol"},
                    nlohmann::json{{"protocol", "TCP"}},
                    ""});
    atomic(item + ".args");
    atomic(item + ".command");
    rows.push_back({item + ".resources", ValueKind::kStruct, "", "", "", {}, nullptr, ""});
    rows.push_back({item + ".resources.limits", ValueKind::kMap, "", "", "", {}, nullptr, ""});
    rows.push_back({item + ".resources.requests", ValueKind::kMap, "", "", "", {}, nullptr, ""});
  }
  keyed(p + ".volumes", "name", "merge,retainKeys");
  keyed(p + ".imagePullSecrets", "name");
  atomic(p + ".tolerations");
  rows.push_back({p + ".nodeSelector", ValueKind::kMap, "", "", "", {}, nullptr, "atomic"});
  return rows;
}

inline std::vector<FieldSpec> MetaRows(const std::string& m) {
  return {
      {m, ValueKind::kStruct, "", "", "", {}, nullptr, ""},
      {m + ".labels", ValueKind::kMap, "", "", "", {}, nullptr, ""},
      {m + ".annotations", ValueKind::kMap, "", "", "", {}, nullptr, ""},
      {m + ".finalizers", ValueKind::kList, "merge", "", "set", {}, nullptr, ""},
      {m + ".ownerReferences", ValueKind::kList, "merge", "uid", "map", {"uid"}, nullptr, ""},
      {m + ".managedFields", ValueKind::kList, "", "", "atomic", {}, nullptr, ""},
  };
}

// Paths for Pods, Deployments, Nodes and Services at once (their spec fields do not clash).
inline const PatchSchema& KubeSchema() {
  static const TablePatchSchema* schema = [] {
    std::vector<FieldSpec> rows = MetaRows("metadata");
    for (auto& r : MetaRows("spec.template.metadata")) rows.push_back(r);
    for (auto& r : PodSpecRows("spec")) rows.push_back(r);
    for (auto& r : PodSpecRows("spec.template.spec")) rows.push_back(r);
    rows.push_back({"spec.template", ValueKind::kStruct, "", "", "", {}, nullptr, ""});
    rows.push_back({"spec.selector", ValueKind::kStruct, "", "", "", {}, nullptr, "atomic"});
    rows.push_back({"spec.strategy", ValueKind::kStruct, "retainKeys", "", "", {}, nullptr, ""});
    rows.push_back({"spec.taints", ValueKind::kList, "", "", "atomic", {}, nullptr, ""});
    rows.push_back({"spec.podCIDRs", ValueKind::kList, "merge", "", "set", {}, nullptr, ""});
    rows.push_back({"spec.ports",
                    ValueKind::kList,
                    "merge",
                    "port",
                    "map",
                    {"port", "protocol"},
                    nlohmann::json{{"protocol", "TCP"}},
                    ""});
    rows.push_back({"status", ValueKind::kStruct, "", "", "", {}, nullptr, ""});
    rows.push_back(
        {"status.conditions", ValueKind::kList, "merge", "type", "map", {"type"}, nullptr, ""});
    rows.push_back({"data", ValueKind::kMap, "", "", "", {}, nullptr, ""});
    return new TablePatchSchema(std::move(rows));
  }();
  return *schema;
}

}  // namespace capstan::patch::testing
