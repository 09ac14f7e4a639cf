// Tests for core/apiserver/http_server.h driven by the real `curl` binary (an independent
// HTTP/1.1 + OpenSSL client): keep-alive across URLs, client certificates from the PKI files,
// query decoding, 413, and a chunked stream. Skipped when curl is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <mutex>

#include "core/apiserver/http_server.h"
#include "core/pki/certificate.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using ::testing::HasSubstr;
using testing::TestPki;

std::string FindCurl() {
  for (const char* path : {"/usr/bin/curl", "/usr/local/bin/curl", "/bin/curl"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return {};
}

// Runs `curl <args>` and returns its stdout (stderr goes to the test log).
std::string RunCurl(const std::string& curl, const std::string& args) {
  std::string cmd = curl + " -sS --max-time 20 " + args;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

class HttpCurlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    curl_ = FindCurl();
    if (curl_.empty()) GTEST_SKIP() << "curl is not installed";
  }

  HttpHandler Recording() {
    return [this](std::shared_ptr<HttpExchange> ex) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(ex->request());
      }
      ex->Respond(200, {{"Content-Type", "text/plain"}}, "hello " + ex->request().path + "\n");
    };
  }

  std::string Url(const HttpServer& server, const std::string& path) const {
    return "'https://127.0.0.1:" + std::to_string(server.port()) + path + "'";
  }
  std::string CaArg() const { return "--cacert " + pki_.pki().paths.ca_cert + " "; }

  TestPki pki_;
  std::string curl_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

TEST_F(HttpCurlTest, TwoUrlsShareOneConnectionAndTheClientCertIsVerified) {
  auto server = testing::StartTestServer(pki_, Recording());
  const auto& paths = pki_.pki().paths;
  std::string out = RunCurl(curl_, CaArg() + "--cert " + paths.admin_cert + " --key " +
                                       paths.admin_key + " -w '%{http_code} %{num_connects}\\n' " +
                                       Url(*server, "/a") + " " + Url(*server, "/b"));
  EXPECT_EQ(out, "hello /a\n200 1\nhello /b\n200 0\n");
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[0].remote_port, requests_[1].remote_port);
  EXPECT_TRUE(requests_[0].client_cert_verified);
  Result<pki::X509Identity> id = pki::IdentityFromCertPem(requests_[0].client_cert_chain_pem);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->user, "admin");
  EXPECT_EQ(id->groups, std::vector<std::string>{"system:masters"});
}

TEST_F(HttpCurlTest, ClientWithoutCertificateIsServedAndQueryIsDecoded) {
  auto server = testing::StartTestServer(pki_, Recording());
  std::string out = RunCurl(curl_, CaArg() + "-w '%{http_code}' --get " +
                                       "--data-urlencode 'labelSelector=app=web,tier in (a)' " +
                                       "--data-urlencode 'command=ls' --data-urlencode "
                                       "'command=-la' " +
                                       Url(*server, "/api/v1/pods"));
  EXPECT_EQ(out, "hello /api/v1/pods\n200");
  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_FALSE(requests_[0].client_cert_verified);
  EXPECT_EQ(requests_[0].query.Get("labelSelector"), "app=web,tier in (a)");
  EXPECT_EQ(requests_[0].query.GetAll("command"), (std::vector<std::string_view>{"ls", "-la"}));
  EXPECT_THAT(std::string(requests_[0].Header("user-agent").value_or("")), HasSubstr("curl/"));
}

TEST_F(HttpCurlTest, OversizedBodyGets413) {
  auto server = testing::StartTestServer(
      pki_, Recording(), [](HttpServerOptions& o) { o.max_body_bytes = 64u << 10; });
  std::string file = pki_.dir() + "/big.json";
  std::ofstream(file) << std::string(256u << 10, 'x');
  for (const char* expect : {"", "-H 'Expect:' "}) {  // with and without 100-continue
    std::string out = RunCurl(curl_, CaArg() + expect + "-o /dev/null -w '%{http_code}' " +
                                         "--data-binary @" + file + " " + Url(*server, "/big"));
    EXPECT_EQ(out, "413") << (*expect ? "without Expect" : "with Expect");
  }
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(HttpCurlTest, ChunkedStreamIsReceivedWhole) {
  auto server = testing::StartTestServer(pki_, [](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {{"Content-Type", "application/json"}});
    for (int i = 0; i < 3; ++i) {
      ex->WriteChunk("{\"type\":\"ADDED\",\"n\":" + std::to_string(i) + "}\n");
    }
    ex->EndStream();
  });
  std::string out = RunCurl(curl_, CaArg() + "-N -D - " + Url(*server, "/api/v1/pods?watch=1"));
  EXPECT_THAT(out, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(out, HasSubstr("\r\n\r\n{\"type\":\"ADDED\",\"n\":0}\n{\"type\":\"ADDED\",\"n\":1}\n"
                             "{\"type\":\"ADDED\",\"n\":2}\n"));
}

}  // namespace
}  // namespace capstan::apiserver
