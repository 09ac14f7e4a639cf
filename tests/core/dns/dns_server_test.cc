// Tests for core/dns/dns_server.h with the real `dig` over UDP and TCP on 127.0.0.1: answers
// from the cluster records, NXDOMAIN with the SOA, forwarding to an upstream (a second server
// for another domain), SERVFAIL without upstreams, malformed packets, and extra addresses
// bound before they exist.
#include "core/dns/dns_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "tests/core/dns/fake_cluster_view.h"

namespace capstan::dns {
namespace {

using testing::SampleView;

std::string Run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  pclose(p);
  return out;
}

std::string Dig(uint16_t port, const std::string& args, const std::string& at = "127.0.0.1") {
  return Run("dig @" + at + " -p " + std::to_string(port) + " +time=3 +tries=1 " + args + " 2>&1");
}

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    view_ = SampleView();
    DnsServerOptions options;
    options.port = 0;
    auto server = DnsServer::Start(options, view_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  std::unique_ptr<testing::FakeClusterView> view_;
  std::unique_ptr<DnsServer> server_;
};

TEST_F(DnsServerTest, AnswersClusterNamesOverUdpAndTcp) {
  uint16_t port = server_->port();
  EXPECT_EQ(Dig(port, "+short web.default.svc.cluster.local A"), "10.96.0.50\n");
  EXPECT_EQ(Dig(port, "+tcp +short web.default.svc.cluster.local A"), "10.96.0.50\n");
  EXPECT_EQ(Dig(port, "+short db.default.svc.cluster.local A"), "10.244.0.11\n10.244.0.12\n");
  EXPECT_EQ(Dig(port, "+short ext.default.svc.cluster.local A"), "example.org.\n");
  EXPECT_EQ(Dig(port, "+short _http._tcp.web.default.svc.cluster.local SRV"),
            "0 100 80 web.default.svc.cluster.local.\n");
  EXPECT_EQ(Dig(port, "+short -x 10.96.0.50"), "web.default.svc.cluster.local.\n");
  EXPECT_EQ(Dig(port, "+short WEB.Default.svc.cluster.local."), "10.96.0.50\n");
}

TEST_F(DnsServerTest, UnknownClusterNamesAreNxDomainWithTheSoaAndOthersFailWithoutUpstreams) {
  uint16_t port = server_->port();
  std::string nx = Dig(port, "nope.default.svc.cluster.local A");
  EXPECT_NE(nx.find("status: NXDOMAIN"), std::string::npos) << nx;
  EXPECT_NE(nx.find("flags: qr aa"), std::string::npos) << nx;
  EXPECT_NE(nx.find("SOA\tns.dns.cluster.local."), std::string::npos) << nx;
  std::string nodata = Dig(port, "web.default.svc.cluster.local AAAA");
  EXPECT_NE(nodata.find("status: NOERROR"), std::string::npos) << nodata;
  EXPECT_NE(nodata.find("ANSWER: 0"), std::string::npos) << nodata;
  std::string outside = Dig(port, "example.org A");
  EXPECT_NE(outside.find("status: SERVFAIL"), std::string::npos) << outside;
}

TEST_F(DnsServerTest, NamesOutsideTheClusterDomainAreForwardedToUpstreams) {
  // The upstream: another server whose domain is "upstream.test".
  testing::FakeClusterView upstream_view;
  upstream_view.AddService(testing::Svc("api", "prod", "10.0.0.7"));
  DnsServerOptions up;
  up.port = 0;
  up.cluster_domain = "upstream.test";
  auto upstream = DnsServer::Start(up, &upstream_view);
  ASSERT_TRUE(upstream.ok());
  DnsServerOptions options;
  options.port = 0;
  // The first upstream does not answer (nothing listens there): the second one is asked.
  options.upstreams = {"127.0.0.1:9", "127.0.0.1:" + std::to_string((*upstream)->port())};
  options.upstream_timeout = std::chrono::milliseconds(300);
  auto server = DnsServer::Start(options, view_.get());
  ASSERT_TRUE(server.ok());
  uint16_t port = (*server)->port();
  EXPECT_EQ(Dig(port, "+short api.prod.svc.upstream.test A"), "10.0.0.7\n");
  EXPECT_EQ(Dig(port, "+tcp +short api.prod.svc.upstream.test A"), "10.0.0.7\n");
  std::string nx = Dig(port, "gone.prod.svc.upstream.test A");
  EXPECT_NE(nx.find("status: NXDOMAIN"), std::string::npos) << nx;
  // Cluster names are still answered locally.
  EXPECT_EQ(Dig(port, "+short web.default.svc.cluster.local A"), "10.96.0.50\n");
}

TEST_F(DnsServerTest, ExtraAddressesServeTheSamePortAndNeedNotExistYet) {
  DnsServerOptions options;
  options.port = 0;
  // 127.0.0.2 is on lo; 203.0.113.53 (TEST-NET-3) is on no interface: only IP_FREEBIND binds it,
  // as the pod bridge's gateway before the first pod creates the bridge.
  options.extra_addresses = {"127.0.0.2", "203.0.113.53"};
  auto server = DnsServer::Start(options, view_.get());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();
  EXPECT_EQ(Dig(port, "+short web.default.svc.cluster.local A"), "10.96.0.50\n");
  EXPECT_EQ(Dig(port, "+short web.default.svc.cluster.local A", "127.0.0.2"), "10.96.0.50\n");
  EXPECT_EQ(Dig(port, "+tcp +short web.default.svc.cluster.local A", "127.0.0.2"), "10.96.0.50\n");
  options.extra_addresses = {"not-an-ip"};
  EXPECT_EQ(DnsServer::Start(options, view_.get()).status().code(), StatusCode::kInvalid);
}

TEST_F(DnsServerTest, MalformedPacketsGetFormErrAndTheServerKeepsServing) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server_->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char junk[] = "\x12\x34\x01\x00\x00\x05\x00\x00\x00\x00\x00\x00";  // 5 questions
  ASSERT_EQ(sendto(fd, junk, 12, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 12);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  unsigned char reply[512];
  ssize_t n = recv(fd, reply, sizeof(reply), 0);
  close(fd);
  ASSERT_EQ(n, 12);
  EXPECT_EQ(reply[0], 0x12);
  EXPECT_EQ(reply[3] & 0x0f, 1);  // FORMERR
  EXPECT_EQ(Dig(server_->port(), "+short web.default.svc.cluster.local A"), "10.96.0.50\n");
}

}  // namespace
}  // namespace capstan::dns
