// Tests for core/scheduler/queue.h with an injected clock.
#include "core/scheduler/queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using std::chrono::seconds;
using testing::PodJson;
using testing::Shared;

std::shared_ptr<const PodInfo> Pod(const std::string& name, int priority = 0) {
  return *PodInfo::FromJson(Shared(PodJson(name, "100m", "1Mi", priority)));
}

class QueueTest : public ::testing::Test {
 protected:
  QueueTest() {
    SchedulingQueue::Options o;
    o.less = [](const PodInfo& a, const PodInfo& b) {
      if (a.data().priority != b.data().priority) return a.data().priority > b.data().priority;
      return a.data().name < b.data().name;
    };
    o.now = [this] { return now_; };
    queue_ = std::make_unique<SchedulingQueue>(std::move(o));
  }
  std::string PopName() {
    std::optional<QueuedPod> qp = queue_->TryPop();
    return qp ? qp->pod->data().name : "";
  }

  SchedulingQueue::Clock::time_point now_{seconds(1000)};
  std::unique_ptr<SchedulingQueue> queue_;
};

TEST_F(QueueTest, ActivePodsPopInQueueSortOrder) {
  queue_->AddOrUpdate(Pod("b", 1));
  queue_->AddOrUpdate(Pod("c", 5));
  queue_->AddOrUpdate(Pod("a", 1));
  EXPECT_EQ(PopName(), "c");
  EXPECT_EQ(PopName(), "a");
  EXPECT_EQ(PopName(), "b");
  EXPECT_EQ(PopName(), "");
}

TEST_F(QueueTest, AnUpdateReordersAnActivePod) {
  queue_->AddOrUpdate(Pod("a", 1));
  queue_->AddOrUpdate(Pod("b", 2));
  queue_->AddOrUpdate(Pod("a", 9));
  EXPECT_EQ(PopName(), "a");
  EXPECT_EQ(PopName(), "b");
  EXPECT_EQ(PopName(), "");
  EXPECT_EQ(queue_->Sizes().active, 0u);
}

TEST_F(QueueTest, BackoffDoublesFromOneSecondUpToTen) {
  EXPECT_EQ(queue_->BackoffFor(1), seconds(1));
  EXPECT_EQ(queue_->BackoffFor(2), seconds(2));
  EXPECT_EQ(queue_->BackoffFor(4), seconds(8));
  EXPECT_EQ(queue_->BackoffFor(5), seconds(10));
  EXPECT_EQ(queue_->BackoffFor(30), seconds(10));
}

TEST_F(QueueTest, AnErroredPodWaitsOutItsBackoff) {
  queue_->AddOrUpdate(Pod("a"));
  std::optional<QueuedPod> qp = queue_->TryPop();
  ASSERT_TRUE(qp);
  EXPECT_EQ(qp->attempts, 1);
  queue_->Requeue(std::move(*qp), /*backoff=*/true);
  EXPECT_EQ(queue_->Sizes().backoff, 1u);
  now_ += std::chrono::milliseconds(999);
  queue_->Flush();
  EXPECT_EQ(PopName(), "");
  now_ += std::chrono::milliseconds(1);
  queue_->Flush();
  std::optional<QueuedPod> again = queue_->TryPop();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempts, 2);
}

TEST_F(QueueTest, UnschedulablePodsMoveOnClusterEventsOrAfterTheTimeout) {
  queue_->AddOrUpdate(Pod("a"));
  queue_->AddOrUpdate(Pod("b"));
  auto qa = queue_->TryPop();
  auto qb = queue_->TryPop();
  queue_->Requeue(std::move(*qa), false);
  queue_->Requeue(std::move(*qb), false);
  EXPECT_EQ(queue_->Sizes().unschedulable, 2u);
  now_ += seconds(5);  // past the 1 s backoff
  queue_->MoveAllToActiveOrBackoff();
  EXPECT_EQ(queue_->Sizes().active, 2u);
  auto again = queue_->TryPop();
  queue_->Requeue(std::move(*again), false);
  EXPECT_EQ(queue_->Sizes().unschedulable, 1u);
  now_ += seconds(59);
  queue_->Flush();
  EXPECT_EQ(queue_->Sizes().unschedulable, 1u);
  now_ += seconds(1);
  queue_->Flush();
  EXPECT_EQ(queue_->Sizes().unschedulable, 0u);
  EXPECT_EQ(queue_->Sizes().active, 2u);
}

TEST_F(QueueTest, AMoveRequestDuringTheCycleSendsThePodToBackoffNotUnschedulable) {
  queue_->AddOrUpdate(Pod("a"));
  auto qp = queue_->TryPop();
  queue_->MoveAllToActiveOrBackoff();  // e.g. a node was added while "a" was being scheduled
  queue_->Requeue(std::move(*qp), false);
  EXPECT_EQ(queue_->Sizes().unschedulable, 0u);
  EXPECT_EQ(queue_->Sizes().backoff, 1u);
}

TEST_F(QueueTest, InFlightDeletesDropThePodAndUpdatesAreKept) {
  queue_->AddOrUpdate(Pod("a"));
  queue_->AddOrUpdate(Pod("b"));
  auto qa = queue_->TryPop();
  auto qb = queue_->TryPop();
  queue_->Delete("default/a");
  queue_->AddOrUpdate(Pod("b", 42));
  queue_->Requeue(std::move(*qa), true);
  queue_->Requeue(std::move(*qb), true);
  EXPECT_FALSE(queue_->Contains("default/a"));
  now_ += seconds(1);
  queue_->Flush();
  auto b = queue_->TryPop();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->pod->data().priority, 42);
}

TEST_F(QueueTest, AnUpdateMovesAnUnschedulablePod) {
  queue_->AddOrUpdate(Pod("a"));
  auto qa = queue_->TryPop();
  queue_->Requeue(std::move(*qa), false);
  now_ += seconds(2);
  queue_->AddOrUpdate(Pod("a", 3));
  EXPECT_EQ(queue_->Sizes().unschedulable, 0u);
  EXPECT_EQ(PopName(), "a");
}

TEST_F(QueueTest, PopBlocksUntilAPodArrivesOrTheQueueCloses) {
  std::thread t([&] { queue_->AddOrUpdate(Pod("late")); });
  std::optional<QueuedPod> qp = queue_->Pop();
  t.join();
  ASSERT_TRUE(qp);
  EXPECT_EQ(qp->pod->data().name, "late");
  std::thread closer([&] { queue_->Close(); });
  EXPECT_FALSE(queue_->Pop());
  closer.join();
}

}  // namespace
}  // namespace capstan::scheduler
