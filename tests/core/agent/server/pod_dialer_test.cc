// Tests for finding a pod's network namespace through the runtime and dialling a port from
// inside a namespace (core/agent/server/pod_dialer.h). Namespaced dialling of a server bound
// to 127.0.0.1 in another namespace is covered by port_forward_test.cc (root only).
#include "core/agent/server/pod_dialer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace capstan::agent::server {
namespace {

using nlohmann::json;

json Pod(const json& spec, const json& statuses) {
  return {{"spec", spec}, {"status", {{"containerStatuses", statuses}}}};
}

struct NetnsCase {
  const char* name;
  json pod;
  Result<json> container_status;
  Result<json> sandbox_status;
  Result<std::string> want;
};

TEST(PodNetnsPathTest, FollowsContainerToSandboxToItsNetnsPath) {
  const json running = json::array({{{"name", "a"}, {"containerID", "runc://c1"}}});
  const json sandbox = {{"status", {{"podSandboxId", "sb1"}}}};
  const std::vector<NetnsCase> cases = {
      {"host network", Pod({{"hostNetwork", true}}, running), sandbox, json::object(),
       std::string()},
      {"found", Pod(json::object(), running), sandbox, json{{"info", {{"netnsPath", "/ns/x"}}}},
       std::string("/ns/x")},
      {"no container yet", Pod(json::object(), json::array({{{"name", "a"}}})), sandbox,
       json::object(), BadRequestError("")},
      {"container gone", Pod(json::object(), running), NotFoundError("container c1 not found"),
       json::object(), NotFoundError("")},
      {"sandbox without a namespace", Pod(json::object(), running), sandbox,
       json{{"info", json::object()}}, NotFoundError("")},
  };
  for (const NetnsCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> asked;
    RuntimeCall runtime = [&](std::string_view method, const json& req) -> Result<json> {
      asked.push_back(std::string(method) + " " + req.dump());
      return method == "ContainerStatus" ? c.container_status : c.sandbox_status;
    };
    Result<std::string> got = PodNetnsPath(c.pod, runtime);
    ASSERT_EQ(got.ok(), c.want.ok()) << got.status().ToString();
    if (!c.want.ok()) {
      EXPECT_EQ(got.status().code(), c.want.status().code());
      continue;
    }
    EXPECT_EQ(*got, *c.want);
    if (!got->empty()) {
      EXPECT_EQ(asked, (std::vector<std::string>{R"(ContainerStatus {"containerId":"c1"})",
                                                 R"(PodSandboxStatus {"podSandboxId":"sb1"})"}));
    }
  }
}

// A listening socket on 127.0.0.1:0 in this namespace; its port.
int Listen(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(listen(fd, 4), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

TEST(DialInNetnsTest, ConnectsToLocalhostOrSaysConnectionRefused) {
  uint16_t port = 0;
  int listener = Listen(&port);
  Result<int> fd = DialInNetns("", port);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  close(*fd);
  close(listener);  // nothing listens on `port` any more
  Result<int> refused = DialInNetns("", port);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("dial tcp4 127.0.0.1:" + std::to_string(port) +
                                            ": connect: connection refused"),
            std::string::npos)
      << refused.status().message();
}

TEST(DialInNetnsTest, AMissingNamespaceIsAnError) {
  Result<int> fd = DialInNetns("/nonexistent/netns", 80);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), StatusCode::kInternal);
  EXPECT_NE(fd.status().message().find("/nonexistent/netns"), std::string::npos);
}

}  // namespace
}  // namespace capstan::agent::server
