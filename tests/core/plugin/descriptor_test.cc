// Tests for core/plugin/descriptor.h: safe copying of smaller structs, version negotiation and
// every malformed-descriptor error, on in-memory descriptors.
#include "core/plugin/descriptor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <functional>

#include "capstan/abi/abi.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

capstan_rc Init(const capstan_host*, capstan_host_buf, capstan_call*, capstan_plugin_state**) {
  return CAPSTAN_RC_OK;
}
void Destroy(capstan_plugin_state*) {}
capstan_rc Health(capstan_plugin_state*, capstan_call*) { return CAPSTAN_RC_OK; }
capstan_rc Authn(capstan_plugin_state*, capstan_call*, const capstan_authn_request*,
                 capstan_plugin_buf*) {
  return CAPSTAN_RC_OK;
}
capstan_rc Authz(capstan_plugin_state*, capstan_call*, const capstan_authz_attributes*,
                 capstan_plugin_buf*) {
  return CAPSTAN_RC_OK;
}

// A valid two-kind descriptor that each test case mutates.
struct Fixture {
  capstan_authn_v1 authn{sizeof(capstan_authn_v1), 0, &Authn};
  capstan_authz_v1 authz{sizeof(capstan_authz_v1), 0, &Authz};
  capstan_admission_v1 admission{sizeof(capstan_admission_v1), 0, nullptr, nullptr};
  capstan_kind_descriptor kinds[2] = {
      {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, 1, 0, 0, &authn},
      {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHZ, 1, 0, 0, &authz},
  };
  capstan_plugin_descriptor d{sizeof(capstan_plugin_descriptor),
                              CAPSTAN_ABI_MAJOR,
                              CAPSTAN_ABI_MINOR,
                              "fixture",
                              "1.0.0",
                              "A fixture.",
                              R"({"type":"object"})",
                              CAPSTAN_CAP_THREAD_SAFE,
                              2,
                              0,
                              kinds,
                              &Init,
                              &Destroy,
                              &Health};
  Fixture() = default;
  Fixture(const Fixture&) = delete;
};

Result<PluginInfo> Read(const Fixture& f, const LoaderOptions& options = {}) {
  return ReadDescriptor(&f.d, "mem.so", options);
}

TEST(DescriptorTest, ValidDescriptorIsCopiedWithItsKindsAndVtables) {
  Fixture f;
  auto info = Read(f);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "fixture");
  EXPECT_EQ(info->version, "1.0.0");
  EXPECT_EQ(info->description, "A fixture.");
  EXPECT_TRUE(info->has_config_schema);
  EXPECT_EQ(info->config_schema, R"({"type":"object"})");
  EXPECT_TRUE(info->thread_safe());
  EXPECT_FALSE(info->multi_instance());
  ASSERT_EQ(info->kinds.size(), 2u);
  EXPECT_EQ(info->kinds[1].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHZ));
  auto* authn = static_cast<const capstan_authn_v1*>(info->vtable(CAPSTAN_KIND_AUTHN));
  ASSERT_NE(authn, nullptr);
  EXPECT_NE(authn, &f.authn) << "the host must keep its own copy";
  EXPECT_EQ(authn->on_authenticate, &Authn);
  EXPECT_EQ(info->vtable(CAPSTAN_KIND_SCHED), nullptr);
  EXPECT_EQ(info->descriptor.on_health, &Health);
}

TEST(DescriptorTest, FieldsBeyondTheDescriptorStructSizeReadAsNull) {
  Fixture f;
  // Pretend the plugin was built before on_health existed; the real field holds garbage.
  f.d.struct_size = offsetof(capstan_plugin_descriptor, on_health);
  f.d.on_health = reinterpret_cast<decltype(f.d.on_health)>(uintptr_t{0xA5A5A5A5A5A5A5A5u});
  auto info = Read(f);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->descriptor.on_health, nullptr);
  EXPECT_EQ(info->descriptor_size, offsetof(capstan_plugin_descriptor, on_health));
}

TEST(DescriptorTest, VtableEntriesBeyondItsStructSizeReadAsNull) {
  capstan_sched_v1 sched{};
  sched.struct_size = offsetof(capstan_sched_v1, on_post_filter);
  sched.on_filter = [](capstan_plugin_state*, capstan_call*, capstan_sched_cycle*,
                       const capstan_sched_pod_view*,
                       const capstan_sched_node_view*) -> capstan_rc { return 0; };
  sched.on_score = reinterpret_cast<decltype(sched.on_score)>(uintptr_t{0xA5A5A5A5A5A5A5A5u});
  sched.on_bind = reinterpret_cast<decltype(sched.on_bind)>(uintptr_t{0xA5A5A5A5A5A5A5A5u});
  Fixture f;
  f.kinds[0] = {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_SCHED, 1, 0, 0, &sched};
  f.d.kind_count = 1;
  auto info = Read(f);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto* copy = static_cast<const capstan_sched_v1*>(info->vtable(CAPSTAN_KIND_SCHED));
  EXPECT_EQ(copy->on_filter, sched.on_filter);
  EXPECT_EQ(copy->on_score, nullptr);
  EXPECT_EQ(copy->on_bind, nullptr);
  EXPECT_EQ(info->kinds[0].plugin_vtable_size, offsetof(capstan_sched_v1, on_post_filter));
}

TEST(DescriptorTest, KindDescriptorsAreSteppedByTheirStructSize) {
  // A newer plugin whose kind descriptor grew by one field.
  struct Grown {
    capstan_kind_descriptor base;
    uint64_t added_later;
  };
  Fixture f;
  Grown grown[2] = {
      {{sizeof(Grown), CAPSTAN_KIND_AUTHN, 1, 0, 0, &f.authn}, 7},
      {{sizeof(Grown), CAPSTAN_KIND_AUTHZ, 1, 0, 0, &f.authz}, 7},
  };
  f.d.kinds = &grown[0].base;
  auto info = Read(f);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->kinds.size(), 2u);
  EXPECT_EQ(info->kinds[1].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHZ));
}

TEST(DescriptorTest, OlderMinorLoadsOnANewerHost) {
  Fixture f;
  f.d.abi_minor = 2;
  f.kinds[0].iface_minor = 2;
  LoaderOptions newer;
  newer.versions.WithAllMinors(3);
  EXPECT_TRUE(Read(f, newer).ok());
  EXPECT_FALSE(Read(f).ok()) << "a 1.0 host must refuse a plugin built for 1.2";
}

struct MalformedCase {
  const char* name;
  std::function<void(Fixture&)> mutate;
  const char* want;
};

class MalformedDescriptorTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedDescriptorTest, IsRefusedWithItsCause) {
  Fixture f;
  GetParam().mutate(f);
  auto info = Read(f);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(info.status().message(), HasSubstr(GetParam().want));
}

const MalformedCase kMalformed[] = {
    {"TinyStructSize", [](Fixture& f) { f.d.struct_size = 4; }, "struct_size 4 is too small"},
    {"TruncatedBeforeOnInit",
     [](Fixture& f) { f.d.struct_size = offsetof(capstan_plugin_descriptor, on_init); },
     "is smaller than the minimum"},
    {"NullName", [](Fixture& f) { f.d.name = nullptr; },
     "loading plugin from mem.so: name is NULL"},
    {"EmptyName", [](Fixture& f) { f.d.name = ""; }, "name \"\" is invalid"},
    {"UpperCaseName", [](Fixture& f) { f.d.name = "Fixture"; }, "name \"Fixture\" is invalid"},
    {"NullVersion", [](Fixture& f) { f.d.version = nullptr; },
     "loading plugin 'fixture' from mem.so: version is NULL"},
    {"EmptyVersion", [](Fixture& f) { f.d.version = ""; }, "version is empty"},
    {"NullOnInit", [](Fixture& f) { f.d.on_init = nullptr; }, "required entry on_init is NULL"},
    {"NullOnDestroy", [](Fixture& f) { f.d.on_destroy = nullptr; },
     "required entry on_destroy is NULL"},
    {"NoKinds", [](Fixture& f) { f.d.kind_count = 0; }, "declares no kinds"},
    {"KindsNull", [](Fixture& f) { f.d.kinds = nullptr; }, "kind_count is 2 but kinds is NULL"},
    {"TooManyKinds", [](Fixture& f) { f.d.kind_count = 9; }, "exceeds the 8 kinds"},
    {"UnknownKind", [](Fixture& f) { f.kinds[1].kind = 99; }, "unknown kind 99"},
    {"DuplicateKind", [](Fixture& f) { f.kinds[1] = f.kinds[0]; }, "kind authn is declared twice"},
    {"NullVtable", [](Fixture& f) { f.kinds[0].vtable = nullptr; }, "kind authn: NULL vtable"},
    {"VtableBelowHeader", [](Fixture& f) { f.authn.struct_size = 4; },
     "vtable struct_size 4 is smaller than its 8-byte header"},
    {"RequiredEntryNull", [](Fixture& f) { f.authn.on_authenticate = nullptr; },
     "kind authn: required entry on_authenticate is NULL"},
    {"RequiredEntryBeyondStructSize", [](Fixture& f) { f.authn.struct_size = 8; },
     "required entry on_authenticate is NULL or beyond the vtable's struct_size"},
    {"AdmissionWithoutEntries",
     [](Fixture& f) {
       f.kinds[1] = {
           sizeof(capstan_kind_descriptor), CAPSTAN_KIND_ADMISSION, 1, 0, 0, &f.admission};
     },
     "kind admission: implements none of its entries"},
    {"KindDescriptorTooSmall", [](Fixture& f) { f.kinds[0].struct_size = 8; },
     "kind descriptor struct_size 8 is invalid"},
    {"AbiMajorNewer", [](Fixture& f) { f.d.abi_major = 2; },
     "loading plugin 'fixture' from mem.so: ABI major 2, host 1"},
    {"AbiMinorNewer", [](Fixture& f) { f.d.abi_minor = 3; },
     "loading plugin 'fixture' from mem.so: plugin needs ABI minor 3, host has 0"},
    {"KindMajorNewer", [](Fixture& f) { f.kinds[1].iface_major = 2; },
     "kind authz interface major 2, host 1"},
    {"KindMinorNewer", [](Fixture& f) { f.kinds[0].iface_minor = 4; },
     "plugin needs kind authn interface minor 4, host has 0"},
};

INSTANTIATE_TEST_SUITE_P(All, MalformedDescriptorTest, ::testing::ValuesIn(kMalformed),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(DescriptorTest, EntryReturningNullIsNamed) {
  auto info = ReadDescriptor(nullptr, "x.so", {});
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(
      info.status().message(),
      HasSubstr("loading plugin from x.so: entry symbol capstan_plugin_entry returned NULL"));
}

TEST(DescriptorTest, CapabilityNamesListKnownAndUnknownBits) {
  EXPECT_EQ(CapabilityNames(CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE | (1ull << 5)),
            (std::vector<std::string>{"thread-safe", "multi-instance", "0x20"}));
  EXPECT_TRUE(CapabilityNames(0).empty());
}

TEST(DescriptorTest, PluginNamesFollowTheDescriptorGrammar) {
  EXPECT_TRUE(IsValidPluginName("csi-hostpath"));
  EXPECT_TRUE(IsValidPluginName("a.b_c-1"));
  EXPECT_FALSE(IsValidPluginName("-a"));
  EXPECT_FALSE(IsValidPluginName("a b"));
  EXPECT_FALSE(IsValidPluginName(std::string(254, 'a')));
}

}  // namespace
}  // namespace capstan::plugin
