// Tests for core/dns/cluster_records.h: the records of ClusterIP, headless and ExternalName
// Services, SRV, endpoint host names, pod names, PTR and NXDOMAIN versus forwarding.
#include "core/dns/cluster_records.h"

#include <gtest/gtest.h>

#include "tests/core/dns/fake_cluster_view.h"

namespace capstan::dns {
namespace {

using testing::SampleView;

struct Case {
  const char* name;
  RecordType type;
  Answer::Kind kind;
  size_t answers;
  RecordType answer_type;
};

TEST(ClusterRecordsTest, ResolvesNamesAsTheKubernetesDnsSpecificationDefines) {
  auto view = SampleView();
  ClusterRecords records(view.get(), "cluster.local");
  const Case cases[] = {
      {"web.default.svc.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 1, RecordType::kA},
      {"web.default.svc.cluster.local", RecordType::kAaaa, Answer::Kind::kAnswer, 0,
       RecordType::kA},
      {"db.default.svc.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 2, RecordType::kA},
      {"db-0.db.default.svc.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 1,
       RecordType::kA},
      {"10-244-0-12.db.default.svc.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 1,
       RecordType::kA},
      {"ext.default.svc.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 1,
       RecordType::kCname},
      {"_http._tcp.web.default.svc.cluster.local", RecordType::kSrv, Answer::Kind::kAnswer, 1,
       RecordType::kSrv},
      {"_http._tcp.db.default.svc.cluster.local", RecordType::kSrv, Answer::Kind::kAnswer, 2,
       RecordType::kSrv},
      {"_dns._udp.web.default.svc.cluster.local", RecordType::kSrv, Answer::Kind::kNxDomain, 0,
       RecordType::kSrv},
      {"10-1-2-3.default.pod.cluster.local", RecordType::kA, Answer::Kind::kAnswer, 1,
       RecordType::kA},
      {"50.0.96.10.in-addr.arpa", RecordType::kPtr, Answer::Kind::kAnswer, 1, RecordType::kPtr},
      {"11.0.244.10.in-addr.arpa", RecordType::kPtr, Answer::Kind::kAnswer, 1, RecordType::kPtr},
      {"9.9.9.9.in-addr.arpa", RecordType::kPtr, Answer::Kind::kNotOurs, 0, RecordType::kPtr},
      {"nope.default.svc.cluster.local", RecordType::kA, Answer::Kind::kNxDomain, 0,
       RecordType::kA},
      {"web.other.svc.cluster.local", RecordType::kA, Answer::Kind::kNxDomain, 0, RecordType::kA},
      {"anything.cluster.local", RecordType::kA, Answer::Kind::kNxDomain, 0, RecordType::kA},
      {"example.org", RecordType::kA, Answer::Kind::kNotOurs, 0, RecordType::kA},
      {"cluster.local.example.org", RecordType::kA, Answer::Kind::kNotOurs, 0, RecordType::kA},
  };
  for (const Case& c : cases) {
    Answer a = records.Resolve({c.name, static_cast<uint16_t>(c.type), 1});
    EXPECT_EQ(a.kind, c.kind) << c.name;
    ASSERT_EQ(a.answers.size(), c.answers) << c.name;
    for (const Record& r : a.answers) EXPECT_EQ(r.type, c.answer_type) << c.name;
  }
}

TEST(ClusterRecordsTest, RecordDataCarriesTheAddressesAndTargets) {
  auto view = SampleView();
  ClusterRecords records(view.get(), "cluster.local");
  Answer web = records.Resolve({"web.default.svc.cluster.local", 1, 1});
  EXPECT_EQ(web.answers[0].data, AData("10.96.0.50"));
  Answer db = records.Resolve({"db.default.svc.cluster.local", 1, 1});
  EXPECT_EQ(db.answers[0].data, AData("10.244.0.11"));
  EXPECT_EQ(db.answers[1].data, AData("10.244.0.12"));  // not-ready 10.244.0.13 left out
  Answer ext = records.Resolve({"ext.default.svc.cluster.local", 1, 1});
  EXPECT_EQ(ext.answers[0].data, NameData("example.org"));
  Answer srv = records.Resolve({"_http._tcp.web.default.svc.cluster.local", 33, 1});
  EXPECT_EQ(srv.answers[0].data, SrvData(0, 100, 80, "web.default.svc.cluster.local"));
  ASSERT_EQ(srv.additional.size(), 1u);
  Answer ptr = records.Resolve({"11.0.244.10.in-addr.arpa", 12, 1});
  EXPECT_EQ(ptr.answers[0].data, NameData("db-0.db.default.svc.cluster.local"));
}

}  // namespace
}  // namespace capstan::dns
