// Tests for core/registry/batch_strategy.h and cron_schedule.h: Job defaults and the generated
// selector, restartPolicy rules, immutable fields; CronJob defaults and schedule validation.
#include "core/registry/batch_strategy.h"

#include <gtest/gtest.h>

#include "core/registry/cron_schedule.h"
#include "tests/core/registry/strategy_test_util.h"

namespace capstan::registry {
namespace {

using testing::CauseFor;
using testing::Describe;
using testing::RunCreate;
using testing::RunUpdate;

Json PodTemplate(const char* restart_policy) {
  Json spec = {{"containers", {{{"name", "pi"}, {"image", "perl:5.34"}}}}};
  if (restart_policy != nullptr) spec["restartPolicy"] = restart_policy;
  return {{"spec", spec}};
}

Json Job(Json spec) {
  return {{"kind", "Job"}, {"metadata", {{"name", "pi"}}}, {"spec", std::move(spec)}};
}

TEST(JobStrategyTest, DefaultsAndGeneratedSelectorUseTheJobsUid) {
  JobStrategy s;
  testing::Outcome o = RunCreate(s, Job({{"template", PodTemplate("Never")}}), "1234-uid");
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  const Json& spec = o.object["spec"];
  EXPECT_EQ(spec["parallelism"], 1);
  EXPECT_EQ(spec["completions"], 1);
  EXPECT_EQ(spec["backoffLimit"], 6);
  EXPECT_EQ(spec["completionMode"], "NonIndexed");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["manualSelector"], false);
  EXPECT_EQ(spec["podReplacementPolicy"], "TerminatingOrFailed");
  EXPECT_EQ(spec["selector"],
            Json({{"matchLabels", {{"batch.kubernetes.io/controller-uid", "1234-uid"}}}}));
  Json labels = {{"batch.kubernetes.io/controller-uid", "1234-uid"},
                 {"batch.kubernetes.io/job-name", "pi"},
                 {"controller-uid", "1234-uid"},
                 {"job-name", "pi"}};
  EXPECT_EQ(spec["template"]["metadata"]["labels"], labels);
  EXPECT_EQ(o.object["metadata"]["labels"], labels) << "an unlabelled Job shows its pods' labels";
  EXPECT_EQ(spec["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
}

TEST(JobStrategyTest, ParallelismAloneLeavesCompletionsUnset) {
  JobStrategy s;
  testing::Outcome o =
      RunCreate(s, Job({{"parallelism", 3}, {"template", PodTemplate("OnFailure")}}));
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["spec"]["parallelism"], 3);
  EXPECT_FALSE(o.object["spec"].contains("completions"));
}

TEST(JobStrategyTest, ValidationErrorsMatchUpstream) {
  JobStrategy s;
  struct Case {
    const char* name;
    Json spec;
    const char* field;
    const char* message;
  } cases[] = {
      {"default restart policy",
       {{"template", PodTemplate(nullptr)}},
       "spec.template.spec.restartPolicy",
       "Required value: valid values: \"OnFailure\", \"Never\""},
      {"negative backoff",
       {{"backoffLimit", -1}, {"template", PodTemplate("Never")}},
       "spec.backoffLimit",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"completion mode",
       {{"completionMode", "Sometimes"}, {"template", PodTemplate("Never")}},
       "spec.completionMode",
       "Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\""},
  };
  for (const Case& c : cases) {
    testing::Outcome o = RunCreate(s, Job(c.spec));
    const apiserver::StatusCause* cause = CauseFor(o, c.field);
    ASSERT_NE(cause, nullptr) << c.name << Describe(o);
    EXPECT_EQ(cause->message, c.message) << c.name;
  }
}

TEST(JobStrategyTest, TemplateAndSelectorAreImmutable) {
  JobStrategy s;
  testing::Outcome o = RunCreate(s, Job({{"template", PodTemplate("Never")}}));
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  Json changed = o.object;
  changed["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:5.36";
  testing::Outcome u = RunUpdate(s, changed, o.object);
  const apiserver::StatusCause* c = CauseFor(u, "spec.template");
  ASSERT_NE(c, nullptr) << Describe(u);
  EXPECT_NE(c->message.find("field is immutable"), std::string::npos);
  Json labelled = o.object;
  labelled["metadata"]["labels"]["team"] = "a";
  testing::Outcome ok = RunUpdate(s, labelled, o.object);
  EXPECT_TRUE(ok.causes.empty()) << Describe(ok);
}

TEST(CronJobStrategyTest, DefaultsAndJobTemplate) {
  CronJobStrategy s;
  Json cj = {{"kind", "CronJob"},
             {"metadata", {{"name", "hello"}}},
             {"spec",
              {{"schedule", "*/1 * * * *"},
               {"jobTemplate", {{"spec", {{"template", PodTemplate("OnFailure")}}}}}}}};
  testing::Outcome o = RunCreate(s, cj);
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  const Json& spec = o.object["spec"];
  EXPECT_EQ(spec["concurrencyPolicy"], "Allow");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(spec["failedJobsHistoryLimit"], 1);
  EXPECT_TRUE(spec["jobTemplate"]["metadata"].contains("creationTimestamp"));
  EXPECT_EQ(spec["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"], "ClusterFirst");
  EXPECT_FALSE(spec["jobTemplate"]["spec"].contains("backoffLimit"))
      << "job defaults apply to Jobs, not to templates";

  Json bad = cj;
  bad["spec"]["schedule"] = "every hour";
  testing::Outcome b = RunCreate(s, bad);
  const apiserver::StatusCause* c = CauseFor(b, "spec.schedule");
  ASSERT_NE(c, nullptr) << Describe(b);
  EXPECT_EQ(c->message,
            "Invalid value: \"every hour\": expected exactly 5 fields, found 2: [every hour]");
  Json policy = cj;
  policy["spec"]["concurrencyPolicy"] = "Sometimes";
  testing::Outcome p = RunCreate(s, policy);
  ASSERT_NE(CauseFor(p, "spec.concurrencyPolicy"), nullptr) << Describe(p);
}

TEST(CronScheduleTest, AcceptsStandardSchedulesAndRejectsOthersLikeRobfigCron) {
  for (const char* ok :
       {"* * * * *", "*/5 * * * *", "0 0 * * 0", "15 10 1,15 * *", "0 9-17 * * mon-fri",
        "0 0 1 jan,jul *", "@hourly", "@daily", "@yearly", "@every 1h30m", "0 0 ? * *"}) {
    EXPECT_EQ(CheckCronSchedule(ok), "") << ok;
  }
  struct Case {
    const char* schedule;
    const char* error;
  } cases[] = {
      {"60 * * * *", "end of range (60) above maximum (59): 60"},
      {"* 24 * * *", "end of range (24) above maximum (23): 24"},
      {"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
      {"* * * * 7", "end of range (7) above maximum (6): 7"},
      {"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
      {"*/0 * * * *", "step of range should be a positive number: */0"},
      {"x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"},
      {"@fortnightly", "unrecognized descriptor: @fortnightly"},
      {"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
  };
  for (const Case& c : cases) EXPECT_EQ(CheckCronSchedule(c.schedule), c.error) << c.schedule;
}

}  // namespace
}  // namespace capstan::registry
