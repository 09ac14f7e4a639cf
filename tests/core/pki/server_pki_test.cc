// Tests for core/pki/server_pki.h: data-dir layout, permissions, reuse and error handling.
#include "core/pki/server_pki.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/pki/files.h"

namespace capstan::pki {
namespace {

using ::testing::HasSubstr;

class ServerPkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pki_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  ServerPki MustEnsure(const ServerPkiOptions& options = {}) {
    Result<ServerPki> pki = EnsureServerPki(dir_, options);
    EXPECT_TRUE(pki.ok()) << pki.status().ToString();
    return pki.ok() ? *pki : ServerPki{};
  }

  static void Overwrite(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }

  std::string root_;
  std::string dir_;
};

mode_t Mode(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST_F(ServerPkiTest, FirstCallCreatesLayoutWithPrivateKeys) {
  ServerPkiOptions options;
  options.hostname = "node-a";
  options.extra_dns_names = {"api.example"};
  options.extra_ip_addresses = {"10.96.0.1"};
  ServerPki pki = MustEnsure(options);
  EXPECT_TRUE(pki.ca_created);
  EXPECT_TRUE(pki.server_issued);
  EXPECT_TRUE(pki.admin_issued);
  EXPECT_TRUE(pki.kubelet_client_issued);
  EXPECT_EQ(pki.paths.ca_cert, dir_ + "/pki/ca.crt");
  EXPECT_EQ(pki.paths.admin_kubeconfig, dir_ + "/admin.kubeconfig");
  EXPECT_EQ(pki.paths.kubelet_client_cert, dir_ + "/pki/kubelet-client.crt");
  for (const std::string& key : {pki.paths.ca_key, pki.paths.server_key, pki.paths.admin_key,
                                 pki.paths.kubelet_client_key}) {
    EXPECT_EQ(Mode(key), 0600u) << key;
  }
  EXPECT_EQ(Mode(pki.paths.pki_dir), 0700u);
  Result<std::string> on_disk = ReadFile(pki.paths.server_cert);
  ASSERT_TRUE(on_disk.ok());
  EXPECT_EQ(*on_disk, pki.server.cert_pem);

  Result<CertInfo> server = InspectCertPem(pki.server.cert_pem);
  ASSERT_TRUE(server.ok());
  for (const char* dns : {"localhost", "node-a", "api.example", "kubernetes.default.svc"}) {
    EXPECT_THAT(server->dns_names, ::testing::Contains(dns));
  }
  EXPECT_THAT(server->ip_addresses, ::testing::Contains("127.0.0.1"));
  EXPECT_THAT(server->ip_addresses, ::testing::Contains("10.96.0.1"));
  EXPECT_TRUE(
      VerifyCert(pki.ca.cert_pem, pki.server.cert_pem, VerifyPurpose::kServer, "127.0.0.1").ok());

  Result<X509Identity> admin = IdentityFromCertPem(pki.admin.cert_pem);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->user, "admin");
  EXPECT_EQ(admin->groups, std::vector<std::string>{"system:masters"});
  EXPECT_TRUE(VerifyCert(pki.ca.cert_pem, pki.admin.cert_pem, VerifyPurpose::kClient).ok());

  Result<X509Identity> kubelet_client = IdentityFromCertPem(pki.kubelet_client.cert_pem);
  ASSERT_TRUE(kubelet_client.ok());
  EXPECT_EQ(kubelet_client->user, "capstan-apiserver-kubelet-client");
  EXPECT_EQ(kubelet_client->groups, std::vector<std::string>{"system:masters"});
  EXPECT_TRUE(
      VerifyCert(pki.ca.cert_pem, pki.kubelet_client.cert_pem, VerifyPurpose::kClient).ok());
  EXPECT_FALSE(
      VerifyCert(pki.ca.cert_pem, pki.kubelet_client.cert_pem, VerifyPurpose::kServer).ok());
}

TEST_F(ServerPkiTest, SecondCallReusesEverything) {
  ServerPki first = MustEnsure();
  ServerPki second = MustEnsure();
  EXPECT_FALSE(second.ca_created);
  EXPECT_FALSE(second.server_issued);
  EXPECT_FALSE(second.admin_issued);
  EXPECT_FALSE(second.kubelet_client_issued);
  EXPECT_EQ(second.ca.cert_pem, first.ca.cert_pem);
  EXPECT_EQ(second.server.key_pem, first.server.key_pem);
  EXPECT_EQ(second.admin.cert_pem, first.admin.cert_pem);
  EXPECT_EQ(second.kubelet_client.key_pem, first.kubelet_client.key_pem);
}

TEST_F(ServerPkiTest, NewSanReissuesServerCertButKeepsCaAndAdmin) {
  ServerPki first = MustEnsure();
  ServerPkiOptions options;
  options.extra_ip_addresses = {"192.0.2.7"};
  ServerPki second = MustEnsure(options);
  EXPECT_FALSE(second.ca_created);
  EXPECT_TRUE(second.server_issued);
  EXPECT_FALSE(second.admin_issued);
  EXPECT_EQ(second.ca.cert_pem, first.ca.cert_pem);
  Result<CertInfo> info = InspectCertPem(second.server.cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->ip_addresses, ::testing::Contains("192.0.2.7"));
}

TEST_F(ServerPkiTest, LeafFromAnotherCaIsReissued) {
  ServerPki first = MustEnsure();
  std::filesystem::remove(first.paths.ca_cert);
  std::filesystem::remove(first.paths.ca_key);
  ServerPki second = MustEnsure();
  EXPECT_TRUE(second.ca_created);
  EXPECT_TRUE(second.server_issued);
  EXPECT_TRUE(second.admin_issued);
  EXPECT_TRUE(second.kubelet_client_issued);
}

TEST_F(ServerPkiTest, CorruptFilesAreClearErrorsAndAreNotOverwritten) {
  struct Case {
    std::string file;
    StatusCode code;
  };
  PkiPaths paths = PkiPaths::ForDataDir(dir_);
  const Case cases[] = {{paths.ca_cert, StatusCode::kBadRequest},
                        {paths.ca_key, StatusCode::kBadRequest},
                        {paths.server_cert, StatusCode::kBadRequest},
                        {paths.admin_key, StatusCode::kBadRequest}};
  for (const Case& c : cases) {
    std::filesystem::remove_all(dir_);
    MustEnsure();
    Overwrite(c.file, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
    Result<ServerPki> pki = EnsureServerPki(dir_, {});
    ASSERT_FALSE(pki.ok()) << c.file;
    EXPECT_EQ(pki.status().code(), c.code) << pki.status().ToString();
    EXPECT_THAT(pki.status().message(), HasSubstr(c.file));
    Result<std::string> still = ReadFile(c.file);
    ASSERT_TRUE(still.ok());
    EXPECT_THAT(*still, HasSubstr("not base64"));
  }
}

TEST_F(ServerPkiTest, MissingHalfOfCaIsInvalid) {
  ServerPki first = MustEnsure();
  std::filesystem::remove(first.paths.ca_key);
  Result<ServerPki> pki = EnsureServerPki(dir_, {});
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(pki.status().message(), HasSubstr("ca.key is missing"));
}

TEST_F(ServerPkiTest, MismatchedKeyIsInvalid) {
  ServerPki first = MustEnsure();
  Overwrite(first.paths.ca_key, first.server.key_pem);
  Result<ServerPki> pki = EnsureServerPki(dir_, {});
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(pki.status().message(), HasSubstr("does not match"));
}

TEST_F(ServerPkiTest, AdminKubeconfigCarriesCaAndClientCert) {
  ServerPki pki = MustEnsure();
  ASSERT_TRUE(WriteAdminKubeconfig(pki, "https://127.0.0.1:6443").ok());
  EXPECT_EQ(Mode(pki.paths.admin_kubeconfig), 0600u);
  YAML::Node doc = YAML::LoadFile(pki.paths.admin_kubeconfig);
  EXPECT_EQ(doc["current-context"].as<std::string>(), "capstan");
  YAML::Node cluster = doc["clusters"][0]["cluster"];
  EXPECT_EQ(cluster["server"].as<std::string>(), "https://127.0.0.1:6443");
  EXPECT_FALSE(cluster["certificate-authority-data"].as<std::string>().empty());
  YAML::Node user = doc["users"][0]["user"];
  EXPECT_FALSE(user["client-certificate-data"].as<std::string>().empty());
  EXPECT_FALSE(user["client-key-data"].as<std::string>().empty());
}

}  // namespace
}  // namespace capstan::pki
