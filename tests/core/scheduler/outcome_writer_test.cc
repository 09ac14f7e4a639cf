// Tests for core/scheduler/outcome_writer.h: Event and condition patch bodies and async writes.
#include "core/scheduler/outcome_writer.h"

#include <gtest/gtest.h>

#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::FakeApi;
using testing::PodJson;
using testing::Shared;

TEST(OutcomeWriterTest, EventsDescribeThePodAndTheReportingComponent) {
  std::shared_ptr<const PodInfo> pod = *PodInfo::FromJson(Shared(PodJson("web")));
  json e = BuildPodEvent(pod->data(), "Warning", "FailedScheduling", "Scheduling", "0/1 nodes",
                         "default-scheduler", 1'700'000'000'123'456'789);
  EXPECT_EQ(e["apiVersion"], "v1");
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["metadata"]["namespace"], "default");
  // Upstream names events "<object>.<unix nanos in hex>".
  EXPECT_EQ(e["metadata"]["name"], "web.17979cfe3d85cd15");
  EXPECT_EQ(e["involvedObject"], (json{{"apiVersion", "v1"},
                                       {"kind", "Pod"},
                                       {"namespace", "default"},
                                       {"name", "web"},
                                       {"uid", "uid-web"}}));
  EXPECT_EQ(e["reportingComponent"], "default-scheduler");
  EXPECT_EQ(e["source"]["component"], "default-scheduler");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["firstTimestamp"], "2023-11-14T22:13:20Z");
}

TEST(OutcomeWriterTest, TheConditionPatchIsPodScheduledFalse) {
  json p = BuildUnschedulablePatch("Unschedulable", "why", "n1", 0);
  json c = p["status"]["conditions"][0];
  EXPECT_EQ(c["type"], "PodScheduled");
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "Unschedulable");
  EXPECT_EQ(c["message"], "why");
  EXPECT_EQ(p["status"]["nominatedNodeName"], "n1");
  EXPECT_FALSE(BuildUnschedulablePatch("Unschedulable", "why", "", 0)["status"].contains(
      "nominatedNodeName"));
}

TEST(OutcomeWriterTest, AnUnchangedConditionIsNotPatchedAgain) {
  json pod = PodJson("web");
  pod["status"]["conditions"] = {{{"type", "PodScheduled"},
                                  {"status", "False"},
                                  {"reason", "Unschedulable"},
                                  {"message", "same"}}};
  EXPECT_TRUE(ConditionUnchanged(pod, "Unschedulable", "same"));
  EXPECT_FALSE(ConditionUnchanged(pod, "Unschedulable", "different"));
  EXPECT_FALSE(ConditionUnchanged(PodJson("x"), "Unschedulable", "same"));

  auto api = std::make_shared<FakeApi>();
  OutcomeWriter writer(api, "default-scheduler");
  writer.Failed(*PodInfo::FromJson(Shared(pod)), "Unschedulable", "same", "");
  writer.Failed(*PodInfo::FromJson(Shared(pod)), "Unschedulable", "new text", "");
  writer.WaitIdle();
  EXPECT_EQ(api->Matching("/status").size(), 1u);
  EXPECT_EQ(api->Matching("/events").size(), 2u);
}

TEST(OutcomeWriterTest, FailedWritesAreCountedAndANullApiWritesNothing) {
  auto api = std::make_shared<FakeApi>();
  api->responder = [](const FakeApi::Recorded&) { return 500; };
  OutcomeWriter writer(api, "default-scheduler");
  writer.Scheduled(*PodInfo::FromJson(Shared(PodJson("a"))), "n1");
  writer.WaitIdle();
  EXPECT_EQ(writer.failed_writes(), 1);
  auto path = api->Requests().at(0).path;
  EXPECT_EQ(path, "/api/v1/namespaces/default/events");

  OutcomeWriter none(nullptr, "default-scheduler");
  none.Scheduled(*PodInfo::FromJson(Shared(PodJson("a"))), "n1");
  none.WaitIdle();
  EXPECT_EQ(none.failed_writes(), 0);
}

}  // namespace
}  // namespace capstan::scheduler
