// Tests for core/apiserver/plugin_admission.h: a chain of real admission .so plugins (the SDK's
// example-labels and the shipped default-toleration-seconds) loaded by the real registry.
#include "core/apiserver/plugin_admission.h"

#include <gtest/gtest.h>

#include "core/common/config.h"

namespace capstan::apiserver {
namespace {

std::unique_ptr<plugin::Registry> LoadChain(const std::string& plugins_yaml) {
  std::string yaml = "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\npluginDirs: [" +
                     std::string(CAPSTAN_PLUGIN_OUT_DIR) + "]\nchains:\n  admission:\n" +
                     "    plugins:\n" + plugins_yaml;
  auto doc = config::ParseYaml(yaml, "test.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto c = plugin::ParsePluginConfiguration(*doc, "test.yaml", "/");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  auto r = plugin::Registry::Load(*c);
  EXPECT_TRUE(r->status().ok()) << r->status().ToString();
  return r;
}

const ResourceInfo& Pods() {
  static const ResourceInfo pods = [] {
    ResourceInfo r;
    r.version = "v1";
    r.kind = "Pod";
    r.plural = "pods";
    return r;
  }();
  return pods;
}

Admission::Attributes PodCreate() {
  Admission::Attributes a;
  a.resource = &Pods();
  a.namespace_name = "default";
  a.name = "web";
  a.user = "alice";
  return a;
}

nlohmann::json Pod(nlohmann::json labels) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", std::move(labels)}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
}

constexpr char kLabelsThenTolerations[] = R"(      - name: labels
        library: admission/example-labels.so
        config: {defaultLabels: {owner: unknown}, requiredLabels: [app], kinds: [Pod]}
      - name: tolerations
        library: admission/default-toleration-seconds.so
        config: {notReadyTolerationSeconds: 30}
)";

TEST(PluginAdmissionTest, MutatorsRunInOrderAndEachPatchIsApplied) {
  auto reg = LoadChain(kLabelsThenTolerations);
  PluginAdmission admission(reg->chain(CAPSTAN_KIND_ADMISSION));
  nlohmann::json pod = Pod({{"app", "web"}});
  ASSERT_TRUE(admission.Mutate(PodCreate(), pod, nullptr).ok());
  EXPECT_EQ(pod["metadata"]["labels"], (nlohmann::json{{"app", "web"}, {"owner", "unknown"}}));
  ASSERT_EQ(pod["spec"]["tolerations"].size(), 2u);
  EXPECT_EQ(pod["spec"]["tolerations"][0]["tolerationSeconds"], 30);
  EXPECT_TRUE(admission.Validate(PodCreate(), pod, nullptr).ok());
}

TEST(PluginAdmissionTest, ValidatorDenialIsForbiddenWithTheObjectNamed) {
  auto reg = LoadChain(kLabelsThenTolerations);
  PluginAdmission admission(reg->chain(CAPSTAN_KIND_ADMISSION));
  nlohmann::json pod = Pod(nlohmann::json::object());
  Status s = admission.Validate(PodCreate(), pod, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kForbidden);
  EXPECT_EQ(s.message(), "pods \"web\" is forbidden: Pod web is missing required label(s): app");
}

TEST(PluginAdmissionTest, DeletesAreNotMutated) {
  auto reg = LoadChain(kLabelsThenTolerations);
  PluginAdmission admission(reg->chain(CAPSTAN_KIND_ADMISSION));
  Admission::Attributes del = PodCreate();
  del.operation = Admission::Operation::kDelete;
  nlohmann::json pod = Pod(nlohmann::json::object());
  nlohmann::json before = pod;
  ASSERT_TRUE(admission.Mutate(del, pod, &before).ok());
  EXPECT_EQ(pod, before);
}

TEST(PluginAdmissionTest, NoChainAdmitsEverythingUnchanged) {
  PluginAdmission admission(nullptr);
  nlohmann::json pod = Pod(nlohmann::json::object());
  nlohmann::json before = pod;
  ASSERT_TRUE(admission.Mutate(PodCreate(), pod, nullptr).ok());
  EXPECT_TRUE(admission.Validate(PodCreate(), pod, nullptr).ok());
  EXPECT_EQ(pod, before);
}

}  // namespace
}  // namespace capstan::apiserver
