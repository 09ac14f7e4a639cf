// Tests for sdk/include/capstan/sdk/internal/bridge.h and plugin.h's class checks. They are
// compile-time: a plugin method whose signature differs from the SDK's, e.g.
//   Status Filter(Call&, Cycle&, const PodView&, NodeView);   // NodeView by value
// fails the build with "capstan::sdk: `Filter` in your plugin class has the wrong signature;
// declare it exactly as `Status Filter(Call&, Cycle&, const PodView&, const NodeView&)`". The
// traits behind those static_asserts are asserted here, on classes that make each mistake.
// Built with -Wno-overloaded-virtual: hiding a virtual is the very mistake under test.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "capstan/sdk/plugin.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::sdk {
namespace {

class WrongFilter : public SchedPlugin {
 public:
  Status Filter(Call&, Cycle&, const PodView&, NodeView) { return Status::Ok(); }  // by value
};
class ConstFilter : public SchedPlugin {
 public:
  Status Filter(Call&, Cycle&, const PodView&, const NodeView&) const { return Status::Ok(); }
};
class RightFilter : public SchedPlugin {
 public:
  Status Filter(Call&, Cycle&, const PodView&, const NodeView&) noexcept override {
    return Status::Ok();
  }
};
class InheritsFilter : public RightFilter {};
class WrongInit : public AuthnPlugin {
 public:
  Status Authenticate(Call&, const AuthnRequest&, std::string*) override { return Status::Ok(); }
  Status Init(std::string_view) { return Status::Ok(); }
};

static_assert(!internal::SameSignature<WrongFilter, decltype(&WrongFilter::Filter),
                                       decltype(&SchedPlugin::Filter)>());
static_assert(!internal::SameSignature<ConstFilter, decltype(&ConstFilter::Filter),
                                       decltype(&SchedPlugin::Filter)>());
static_assert(internal::SameSignature<RightFilter, decltype(&RightFilter::Filter),
                                      decltype(&SchedPlugin::Filter)>());
static_assert(internal::SameSignature<InheritsFilter, decltype(&InheritsFilter::Filter),
                                      decltype(&SchedPlugin::Filter)>());
static_assert(
    internal::Overrides<decltype(&InheritsFilter::Filter), decltype(&SchedPlugin::Filter)>());
static_assert(
    !internal::Overrides<decltype(&InheritsFilter::Score), decltype(&SchedPlugin::Score)>());
static_assert(!internal::InitSignatureOk<WrongInit>());

static_assert(internal::KindCount<RightFilter>() == 1);

TEST(BridgeTest, AnOverrideInAnIntermediateBaseIsExported) {
  auto* vt = static_cast<const capstan_sched_v1*>(
      testing::TestDescriptor<InheritsFilter>()->kinds[0].vtable);
  EXPECT_NE(vt->on_filter, nullptr);
  EXPECT_EQ(vt->on_score, nullptr);
}

}  // namespace
}  // namespace capstan::sdk
