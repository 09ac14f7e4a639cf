// Tests for plugins/controllers/daemonset/daemon_placement.h: node eligibility (nodeName,
// nodeSelector, required node affinity, NoSchedule/NoExecute taints with the default DaemonSet
// tolerations) as a table, the pod template's labels and tolerations, pinning and target nodes.
#include "plugins/controllers/daemonset/daemon_placement.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::controllers {
namespace {

Json DaemonSet(Json pod_spec) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "DaemonSet"},
              {"metadata", {{"name", "ds"}, {"namespace", "default"}, {"uid", "ds-uid"}}},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", "d"}}}}},
                {"template", {{"metadata", {{"labels", {{"app", "d"}}}}}, {"spec", pod_spec}}}}}};
}

Json Node(const std::string& name, Json labels = Json::object(), Json taints = Json::array()) {
  return Json{{"metadata", {{"name", name}, {"labels", labels}}}, {"spec", {{"taints", taints}}}};
}

Json Taint(const std::string& key, const std::string& effect, const std::string& value = "") {
  Json t = {{"key", key}, {"effect", effect}};
  if (!value.empty()) t["value"] = value;
  return t;
}

Json Required(Json terms) {
  return {{"nodeAffinity",
           {{"requiredDuringSchedulingIgnoredDuringExecution", {{"nodeSelectorTerms", terms}}}}}};
}

struct EligibilityCase {
  const char* name;
  Json pod_spec;
  Json node;
  bool should_run;
  bool should_continue_running;
};

TEST(DaemonPlacementTest, EligibilityFollowsUpstreamsPredicates) {
  Json zone_a = Json::array(
      {{{"matchExpressions",
         Json::array({{{"key", "zone"}, {"operator", "In"}, {"values", Json::array({"a"})}}})}}});
  const std::vector<EligibilityCase> cases = {
      {"plain node", Json::object(), Node("n1"), true, true},
      {"nodeName elsewhere", {{"nodeName", "n2"}}, Node("n1"), false, false},
      {"nodeName here", {{"nodeName", "n1"}}, Node("n1"), true, true},
      {"nodeSelector matches",
       {{"nodeSelector", {{"disk", "ssd"}}}},
       Node("n1", {{"disk", "ssd"}}),
       true,
       true},
      {"nodeSelector value differs",
       {{"nodeSelector", {{"disk", "ssd"}}}},
       Node("n1", {{"disk", "hdd"}}),
       false,
       false},
      {"nodeSelector label absent",
       {{"nodeSelector", {{"disk", "ssd"}}}},
       Node("n1"),
       false,
       false},
      {"required affinity matches",
       {{"affinity", Required(zone_a)}},
       Node("n1", {{"zone", "a"}}),
       true,
       true},
      {"required affinity misses",
       {{"affinity", Required(zone_a)}},
       Node("n1", {{"zone", "b"}}),
       false,
       false},
      {"required affinity without terms",
       {{"affinity", Required(Json::array())}},
       Node("n1"),
       false,
       false},
      {"matchFields on the node name",
       {{"affinity", Required(Json::array(
                         {{{"matchFields", Json::array({{{"key", "metadata.name"},
                                                         {"operator", "In"},
                                                         {"values", Json::array({"n1"})}}})}}}))}},
       Node("n1"),
       true,
       true},
      {"untolerated NoSchedule keeps running pods", Json::object(),
       Node("n1", {}, Json::array({Taint("dedicated", "NoSchedule", "x")})), false, true},
      {"untolerated NoExecute evicts", Json::object(),
       Node("n1", {}, Json::array({Taint("dedicated", "NoExecute")})), false, false},
      {"PreferNoSchedule is ignored", Json::object(),
       Node("n1", {}, Json::array({Taint("dedicated", "PreferNoSchedule")})), true, true},
      {"tolerated by an Equal toleration",
       {{"tolerations", Json::array({{{"key", "dedicated"},
                                      {"operator", "Equal"},
                                      {"value", "x"},
                                      {"effect", "NoSchedule"}}})}},
       Node("n1", {}, Json::array({Taint("dedicated", "NoSchedule", "x")})),
       true,
       true},
      {"Equal toleration with another value",
       {{"tolerations",
         Json::array({{{"key", "dedicated"}, {"operator", "Equal"}, {"value", "y"}}})}},
       Node("n1", {}, Json::array({Taint("dedicated", "NoSchedule", "x")})),
       false,
       true},
      {"an empty-key Exists toleration tolerates all",
       {{"tolerations", Json::array({{{"operator", "Exists"}}})}},
       Node("n1", {}, Json::array({Taint("a", "NoExecute"), Taint("b", "NoSchedule")})),
       true,
       true},
      {"unschedulable taint is tolerated by default", Json::object(),
       Node("n1", {}, Json::array({Taint("node.kubernetes.io/unschedulable", "NoSchedule")})), true,
       true},
      {"not-ready NoExecute is tolerated by default", Json::object(),
       Node("n1", {}, Json::array({Taint("node.kubernetes.io/not-ready", "NoExecute")})), true,
       true},
      {"network-unavailable needs hostNetwork", Json::object(),
       Node("n1", {}, Json::array({Taint("node.kubernetes.io/network-unavailable", "NoSchedule")})),
       false, true},
      {"network-unavailable with hostNetwork",
       {{"hostNetwork", true}},
       Node("n1", {}, Json::array({Taint("node.kubernetes.io/network-unavailable", "NoSchedule")})),
       true,
       true},
  };
  for (const EligibilityCase& c : cases) {
    Placement p = DaemonPlacement(DaemonSet(c.pod_spec)).Evaluate(c.node);
    EXPECT_EQ(p.should_run, c.should_run) << c.name;
    EXPECT_EQ(p.should_continue_running, c.should_continue_running) << c.name;
  }
}

TEST(DaemonPlacementTest, DefaultTolerationsAreAddedOnceAndUpdateEqualOnes) {
  Json spec = {{"tolerations", Json::array({{{"key", "node.kubernetes.io/not-ready"},
                                             {"operator", "Exists"},
                                             {"effect", "NoExecute"},
                                             {"tolerationSeconds", 300}}})}};
  AddDaemonTolerations(spec);
  AddDaemonTolerations(spec);
  ASSERT_EQ(spec["tolerations"].size(), 6u);
  EXPECT_FALSE(spec["tolerations"][0].contains("tolerationSeconds"));  // replaced
  std::vector<std::string> keys;
  for (const Json& t : spec["tolerations"]) keys.push_back(t["key"]);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                      "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure",
                      "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable"}));
}

TEST(DaemonPlacementTest, PodTemplateCarriesHashAndGenerationLabels) {
  Json tmpl = DaemonPodTemplate(DaemonSet(Json::object()), "h1", 3);
  EXPECT_EQ(
      tmpl["metadata"]["labels"],
      (Json{{"app", "d"}, {"controller-revision-hash", "h1"}, {"pod-template-generation", "3"}}));
  EXPECT_EQ(tmpl["spec"]["tolerations"].size(), 6u);
  Json bare = DaemonPodTemplate(DaemonSet(Json::object()), "", std::nullopt);
  EXPECT_EQ(bare["metadata"]["labels"], (Json{{"app", "d"}}));
}

TEST(DaemonPlacementTest, PinningReplacesRequiredTermsAndKeepsPreferredOnes) {
  Json spec = {{"affinity",
                {{"nodeAffinity",
                  {{"requiredDuringSchedulingIgnoredDuringExecution",
                    {{"nodeSelectorTerms", Json::array({{{"matchExpressions", Json::array()}}})}}},
                   {"preferredDuringSchedulingIgnoredDuringExecution", Json::array({1})}}}}}};
  PinToNode(spec, "n7");
  const Json& na = spec["affinity"]["nodeAffinity"];
  EXPECT_EQ(na["preferredDuringSchedulingIgnoredDuringExecution"], Json::array({1}));
  EXPECT_EQ(na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"],
            Json::parse(R"([{"matchFields":[{"key":"metadata.name","operator":"In",
                            "values":["n7"]}]}])"));
  Json pod = {{"spec", spec}};
  EXPECT_EQ(TargetNodeName(pod), "n7");
  pod["spec"]["nodeName"] = "bound";
  EXPECT_EQ(TargetNodeName(pod), "bound");
  EXPECT_EQ(TargetNodeName(Json{{"spec", Json::object()}}), std::nullopt);
}

}  // namespace
}  // namespace capstan::controllers
