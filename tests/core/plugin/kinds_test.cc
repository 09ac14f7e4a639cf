// Tests for core/plugin/kinds.h.
#include "core/plugin/kinds.h"

#include <gtest/gtest.h>

namespace capstan::plugin {
namespace {

TEST(KindsTest, EveryAbiKindIsKnownByIdAndName) {
  const char* names[] = {"authn",      "authz", "admission", "sched",
                         "controller", "cni",   "csi",       "runtime"};
  for (uint32_t id = CAPSTAN_KIND_AUTHN; id <= CAPSTAN_KIND_RUNTIME; ++id) {
    const KindTraits* k = FindKind(id);
    ASSERT_NE(k, nullptr) << id;
    EXPECT_EQ(k->name, names[id - 1]);
    EXPECT_EQ(FindKindByName(k->name), k);
  }
  EXPECT_EQ(FindKind(0), nullptr);
  EXPECT_EQ(FindKind(9), nullptr);
  EXPECT_EQ(FindKindByName("scheduler"), nullptr);
  EXPECT_EQ(KindName(42), "kind#42");
}

TEST(KindsTest, VolumeNetworkAndRuntimeKindsDefaultToLongTimeouts) {
  EXPECT_EQ(FindKindByName("authn")->default_timeout_ns, 1'000'000'000);
  EXPECT_EQ(FindKindByName("csi")->default_timeout_ns, 300'000'000'000);
  EXPECT_EQ(FindKindByName("cni")->default_timeout_ns, 300'000'000'000);
  EXPECT_EQ(FindKindByName("runtime")->default_timeout_ns, 300'000'000'000);
}

TEST(KindsTest, EntryTablesMatchTheVtableLayouts) {
  for (const KindTraits& k : AllKinds()) {
    size_t expected = kMinVtableSize;
    for (const EntryInfo& e : k.entries) {
      EXPECT_EQ(e.offset, expected) << k.name << "." << e.name;
      expected += sizeof(void (*)());
    }
    EXPECT_EQ(expected, k.host_vtable_size) << k.name << ": an entry is missing from the table";
  }
}

TEST(KindsTest, EntryImplementedReadsTheFunctionPointerAtItsOffset) {
  VtableCopies copies;
  const KindTraits* authn = FindKind(CAPSTAN_KIND_AUTHN);
  EXPECT_FALSE(EntryImplemented(VtableSlot(copies, CAPSTAN_KIND_AUTHN), authn->entries[0]));
  copies.authn.on_authenticate = [](capstan_plugin_state*, capstan_call*,
                                    const capstan_authn_request*,
                                    capstan_plugin_buf*) -> capstan_rc { return 0; };
  EXPECT_TRUE(EntryImplemented(VtableSlot(copies, CAPSTAN_KIND_AUTHN), authn->entries[0]));
}

}  // namespace
}  // namespace capstan::plugin
