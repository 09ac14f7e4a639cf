// Tests for core/apiserver/local_api_client.h (and local_exchange_sink.h): the in-process
// ApiClient against a real ApiServer (verbs, watches, shutdown, identity) and against small
// handlers that script the server side (chunk splits, Stop during delivery, back-pressure, a
// request in flight when the client goes away).
#include "core/apiserver/local_api_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "core/apiserver/api_server.h"
#include "core/client/api_status.h"
#include "core/pki/certificate.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;
using client::WatchEventType;

constexpr char kCms[] = "/api/v1/namespaces/default/configmaps";
constexpr char kToken[] = "local-test-token";

bool Eventually(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

// Authenticates as the x509 plugin does (a verified chain: CN and O of the leaf) or one bearer
// token, and records what the authorizer is asked about.
class RecordingAuth : public Authenticator, public Authorizer {
 public:
  Result<UserInfo> Authenticate(const HttpRequest& request) override {
    std::lock_guard l(mu_);
    chains_.push_back(request.client_cert_verified ? request.client_cert_chain_pem : "");
    user_agents_.emplace_back(request.Header("user-agent").value_or(""));
    if (request.client_cert_verified) {
      Result<pki::X509Identity> id = pki::IdentityFromCertPem(request.client_cert_chain_pem);
      if (!id.ok()) return id.status();
      return UserInfo{id->user, "", id->groups};
    }
    if (request.Header("authorization") == std::string("Bearer ") + kToken) {
      return UserInfo{"token-user", "", {"tokens"}};
    }
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
  Status Authorize(const UserInfo& user, const RequestInfo&) override {
    std::lock_guard l(mu_);
    std::string seen = user.name;
    for (const std::string& g : user.groups) seen += "," + g;
    users_.push_back(seen);
    return Status::Ok();
  }
  std::vector<std::string> chains() {
    std::lock_guard l(mu_);
    return chains_;
  }
  std::vector<std::string> users() {
    std::lock_guard l(mu_);
    return users_;
  }
  std::vector<std::string> user_agents() {
    std::lock_guard l(mu_);
    return user_agents_;
  }
  void Clear() {
    std::lock_guard l(mu_);
    chains_.clear();
    users_.clear();
    user_agents_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> chains_, users_, user_agents_;
};

// Collects one watch's events and end, and the threads its callbacks ran on.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<WatchEventType, Json>> events;
  std::optional<Status> end;
  std::vector<std::thread::id> threads;

  client::WatchEventCallback OnEvent() {
    return [this](WatchEventType t, std::shared_ptr<const Json> o) {
      std::lock_guard l(mu);
      events.emplace_back(t, *o);
      threads.push_back(std::this_thread::get_id());
    };
  }
  client::WatchEndCallback OnEnd() {
    return [this](const Status& s) {
      std::lock_guard l(mu);
      end = s;
    };
  }
  size_t Count() {
    std::lock_guard l(mu);
    return events.size();
  }
  std::optional<Status> End() {
    std::lock_guard l(mu);
    return end;
  }
};

class LocalApiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::LevelDbStore::Options opts;
    opts.sync = false;
    auto s = store::LevelDbStore::Open(pki_.dir() + "/store", opts);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ApiServerOptions options;
    options.worker_threads = 2;
    auto deps = std::make_shared<registry::StrategyDeps>();
    deps->service_allocators = registry::ServiceAllocators::Default();
    options.strategy_factory = [deps](const api::ResourceInfo& r) {
      return registry::StrategyFor(r.group, r.kind, *deps);
    };
    auto api = ApiServer::Create(store_.get(), &auth_, &auth_, nullptr, options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}};
    auto created = api_->StorageFor("", "namespaces")->Create({}, "", ns);
    ASSERT_FALSE(std::holds_alternative<ApiError>(created));
  }
  void TearDown() override {
    if (api_) api_->Shutdown();
  }

  client::ClientConfig CertConfig() const {
    client::ClientConfig c;
    c.server_url = "https://127.0.0.1:6443";
    c.ca_pem = pki_.pki().ca.cert_pem;
    c.client_cert_pem = pki_.pki().admin.cert_pem;
    c.client_key_pem = pki_.pki().admin.key_pem;
    return c;
  }
  HttpHandler ApiHandler() {
    return [this](std::shared_ptr<HttpExchange> ex) { api_->Handle(std::move(ex)); };
  }
  std::unique_ptr<LocalApiClient> NewClient(HttpHandler handler,
                                            LocalApiClientOptions options = {}) {
    auto c = LocalApiClient::Open(CertConfig(), std::move(handler), std::move(options));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  testing::TestPki pki_;
  std::unique_ptr<store::LevelDbStore> store_;
  RecordingAuth auth_;
  std::unique_ptr<ApiServer> api_;
};

Json ConfigMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", {{"k", value}}}};
}

TEST_F(LocalApiClientTest, VerbsReachTheServerAndStatusesMapAsOverHttps) {
  auto c = NewClient(ApiHandler());
  ASSERT_NE(c, nullptr);
  Result<client::ApiResponse> raw =
      c->Request("POST", kCms, "application/json", ConfigMap("a", "1").dump(), {});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->status, 201);
  EXPECT_EQ(raw->content_type, "application/json");
  EXPECT_EQ(c->Create(kCms, ConfigMap("a", "1")).status().code(), StatusCode::kAlreadyExists);

  Result<Json> got = c->Get(std::string(kCms) + "/a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["data"]["k"], "1");
  Result<Json> patched = c->Patch(std::string(kCms) + "/a", "application/merge-patch+json",
                                  Json{{"data", {{"k", "2"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ((*patched)["data"]["k"], "2");
  Json bad = ConfigMap("b", "1");
  bad["metadata"]["name"] = "Not_A_Name";
  EXPECT_EQ(c->Create(kCms, bad).status().code(), StatusCode::kInvalid);

  EXPECT_TRUE(c->Delete(std::string(kCms) + "/a").ok());
  EXPECT_EQ(c->Get(std::string(kCms) + "/a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c->Delete(std::string(kCms) + "/a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c->OpenConnections(), 0);
}

TEST_F(LocalApiClientTest, WatchSeesAddedModifiedDeletedOnClientThreads) {
  auto c = NewClient(ApiHandler());
  ASSERT_NE(c, nullptr);
  Recorder rec;
  auto watch = c->Watch(std::string(kCms) + "?watch=1", rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(c->Create(kCms, ConfigMap("w", "1")).ok());
  ASSERT_TRUE(c->Update(std::string(kCms) + "/w", ConfigMap("w", "2")).ok());
  ASSERT_TRUE(c->Delete(std::string(kCms) + "/w").ok());
  ASSERT_TRUE(Eventually([&] { return rec.Count() >= 3; }));
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[0].first, WatchEventType::kAdded);
  EXPECT_EQ(rec.events[1].first, WatchEventType::kModified);
  EXPECT_EQ(rec.events[1].second["data"]["k"], "2");
  EXPECT_EQ(rec.events[2].first, WatchEventType::kDeleted);
  for (std::thread::id t : rec.threads) EXPECT_NE(t, std::this_thread::get_id());
  EXPECT_FALSE(rec.end.has_value());
}

TEST_F(LocalApiClientTest, WatchOfAnUnknownResourceEndsWithTheMappedStatus) {
  auto c = NewClient(ApiHandler());
  ASSERT_NE(c, nullptr);
  Recorder rec;
  auto watch = c->Watch("/api/v1/namespaces/default/nothings?watch=1", rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(Eventually([&] { return rec.End().has_value(); }));
  EXPECT_EQ(rec.End()->code(), StatusCode::kNotFound);
  EXPECT_TRUE(watch->Done());
}

TEST_F(LocalApiClientTest, ServerShutdownEndsOpenWatches) {
  auto c = NewClient(ApiHandler());
  ASSERT_NE(c, nullptr);
  Recorder rec;
  auto watch = c->Watch(std::string(kCms) + "?watch=1", rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(c->Create(kCms, ConfigMap("s", "1")).ok());
  ASSERT_TRUE(Eventually([&] { return rec.Count() == 1; }));
  api_->Shutdown();
  ASSERT_TRUE(Eventually([&] { return rec.End().has_value(); }));
  EXPECT_TRUE(rec.End()->ok()) << rec.End()->ToString();  // informers re-watch, then see 503
  EXPECT_TRUE(watch->Done());
  // New requests get the server's 503 instead of hanging.
  EXPECT_EQ(c->Get(kCms).status().code(), StatusCode::kUnavailable);
}

TEST_F(LocalApiClientTest, AuthenticatorAndAuthorizerSeeTheSameIdentityAsOverHttps) {
  auto https = testing::StartTestServer(pki_, ApiHandler());
  client::ClientConfig config = CertConfig();
  config.server_url = "https://127.0.0.1:" + std::to_string(https->port());
  auto remote = client::ApiClient::Create(config);
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  ASSERT_TRUE((*remote)->Get(kCms).ok());
  auto local = LocalApiClient::Open(config, ApiHandler());
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_TRUE((*local)->Get(kCms).ok());
  https->Stop(std::chrono::milliseconds(100));

  std::vector<std::string> chains = auth_.chains();
  ASSERT_EQ(chains.size(), 2u);
  EXPECT_FALSE(chains[0].empty());
  EXPECT_EQ(chains[1], chains[0]);  // the verified chain, byte for byte, marked verified
  std::vector<std::string> users = auth_.users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0], "admin,system:masters");
  EXPECT_EQ(users[1], users[0]);
  std::vector<std::string> agents = auth_.user_agents();
  EXPECT_EQ(agents[1], agents[0]);
}

TEST_F(LocalApiClientTest, BearerTokensAreSentAsTheHeader) {
  client::ClientConfig config = CertConfig();
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  config.bearer_token = kToken;
  auto c = LocalApiClient::Open(config, ApiHandler());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->Get(kCms).ok());
  EXPECT_EQ(auth_.users(), (std::vector<std::string>{"token-user,tokens"}));
}

TEST_F(LocalApiClientTest, CertificatesThatHttpsWouldRefuseAreRefusedAtOpen) {
  client::ClientConfig wrong_key = CertConfig();
  wrong_key.client_key_pem = pki_.pki().kubelet_client.key_pem;
  EXPECT_EQ(LocalApiClient::Open(wrong_key, ApiHandler()).status().code(), StatusCode::kInvalid);

  Result<pki::CertKeyPair> other_ca = pki::CreateCa("other", std::chrono::hours(1));
  ASSERT_TRUE(other_ca.ok());
  pki::CertSpec spec;
  spec.common_name = "mallory";
  spec.organizations = {"system:masters"};
  spec.usage = pki::CertUsage::kClient;
  Result<pki::CertKeyPair> forged = pki::IssueCert(*other_ca, spec);
  ASSERT_TRUE(forged.ok());
  client::ClientConfig untrusted = CertConfig();
  untrusted.client_cert_pem = forged->cert_pem;
  untrusted.client_key_pem = forged->key_pem;
  EXPECT_EQ(LocalApiClient::Open(untrusted, ApiHandler()).status().code(),
            StatusCode::kUnauthenticated);
}

// ---- the server side scripted by small handlers ----

// Keeps the exchanges a handler received.
struct Held {
  std::mutex mu;
  std::vector<std::shared_ptr<HttpExchange>> exchanges;

  HttpHandler Handler() {
    return [this](std::shared_ptr<HttpExchange> ex) {
      std::lock_guard l(mu);
      exchanges.push_back(std::move(ex));
    };
  }
  std::shared_ptr<HttpExchange> Wait() {
    std::shared_ptr<HttpExchange> out;
    Eventually([&] {
      std::lock_guard l(mu);
      if (!exchanges.empty()) out = exchanges.front();
      return out != nullptr;
    });
    return out;
  }
};

TEST_F(LocalApiClientTest, WatchLinesSplitAcrossChunksArriveWhole) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  Recorder rec;
  auto watch = c->Watch("/api/v1/pods?watch=1", rec.OnEvent(), rec.OnEnd());
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  EXPECT_EQ(ex->request().method, "GET");
  EXPECT_EQ(ex->request().query.Get("watch"), "1");
  EXPECT_EQ(ex->request().remote_ip, "127.0.0.1");
  EXPECT_EQ(ex->request().version, 11u);
  EXPECT_EQ(ex->request().Header("accept"), "application/json");
  EXPECT_TRUE(ex->request().client_cert_verified);
  ASSERT_TRUE(ex->StartStream(200, {{"Content-Type", "application/json"}}));
  ASSERT_TRUE(ex->WriteChunk("{\"type\":\"ADD"));
  ASSERT_TRUE(ex->WriteChunk("ED\",\"object\":{\"n\":1}}\n{\"type\":\"DELETED\",\"obj"));
  ASSERT_TRUE(ex->WriteChunk("ect\":{\"n\":2}}\n"));
  ASSERT_TRUE(ex->EndStream());
  ASSERT_TRUE(Eventually([&] { return rec.End().has_value(); }));
  EXPECT_TRUE(rec.End()->ok());
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].first, WatchEventType::kAdded);
  EXPECT_EQ(rec.events[0].second["n"], 1);
  EXPECT_EQ(rec.events[1].first, WatchEventType::kDeleted);
  EXPECT_EQ(rec.events[1].second["n"], 2);
}

TEST_F(LocalApiClientTest, StopWaitsForTheRunningCallbackAndClosesTheExchange) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  std::atomic<bool> callback_done{false};
  auto watch = c->Watch(
      "/api/v1/pods?watch=1",
      [&](WatchEventType, std::shared_ptr<const Json>) {
        if (calls++ == 0) {
          entered.set_value();
          released.wait();
        }
        callback_done = true;
      },
      nullptr);
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  std::atomic<bool> server_saw_close{false};
  ex->OnClosed([&] { server_saw_close = true; });
  ASSERT_TRUE(ex->StartStream(200, {}));
  ASSERT_TRUE(ex->WriteChunk("{\"type\":\"ADDED\",\"object\":{}}\n"));
  entered.get_future().wait();
  std::atomic<bool> stop_returned{false};
  bool done_when_stopped = false;
  std::thread stopper([&] {
    watch->Stop();
    done_when_stopped = callback_done.load();
    stop_returned = true;
  });
  release.set_value();
  stopper.join();
  EXPECT_TRUE(done_when_stopped);
  EXPECT_TRUE(watch->Done());
  ASSERT_TRUE(Eventually([&] { return server_saw_close.load(); }));
  EXPECT_TRUE(ex->closed());
  EXPECT_FALSE(ex->WriteChunk("{\"type\":\"ADDED\",\"object\":{}}\n"));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LocalApiClientTest, StopFromInsideACallbackDoesNotWait) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  std::atomic<int> calls{0};
  std::unique_ptr<client::WatchHandle> watch;
  std::promise<void> stopped;
  watch = c->Watch(
      "/api/v1/pods?watch=1",
      [&](WatchEventType, std::shared_ptr<const Json>) {
        ++calls;
        watch->Stop();
        stopped.set_value();
      },
      nullptr);
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  ASSERT_TRUE(ex->StartStream(200, {}));
  ex->WriteChunk("{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"ADDED\",\"object\":{}}\n");
  stopped.get_future().wait();
  ASSERT_TRUE(Eventually([&] { return ex->closed(); }));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LocalApiClientTest, AWatcherThatFallsBehindIsCutAndToldSo) {
  Held held;
  LocalApiClientOptions options;
  options.max_stream_queued_bytes = 4096;
  auto c = NewClient(held.Handler(), options);
  ASSERT_NE(c, nullptr);
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  Recorder rec;
  auto watch = c->Watch(
      "/api/v1/pods?watch=1",
      [&](WatchEventType, std::shared_ptr<const Json>) {
        if (calls++ == 0) {
          entered.set_value();
          released.wait();
        }
      },
      rec.OnEnd());
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  std::atomic<bool> server_saw_close{false};
  ex->OnClosed([&] { server_saw_close = true; });
  ASSERT_TRUE(ex->StartStream(200, {}));
  std::string line =
      "{\"type\":\"ADDED\",\"object\":{\"pad\":\"" + std::string(200, 'x') + "\"}}\n";
  ASSERT_TRUE(ex->WriteChunk(line));
  entered.get_future().wait();
  int written = 0;
  while (ex->WriteChunk(line) && written < 1000) ++written;
  EXPECT_LT(written, 1000);  // cut once ~4 KiB were waiting
  EXPECT_TRUE(ex->closed());
  release.set_value();
  ASSERT_TRUE(Eventually([&] { return rec.End().has_value(); }));
  EXPECT_EQ(rec.End()->code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Eventually([&] { return server_saw_close.load(); }));
  EXPECT_LE(calls.load(), 2);  // what was queued behind the cut is dropped
}

TEST_F(LocalApiClientTest, StreamedResponsesAreAssembledAndOnWrittenPacesTheProducer) {
  auto c = NewClient([](std::shared_ptr<HttpExchange> ex) {
    ex->StartStream(200, {{"Content-Type", "application/json"}});
    // Each written-callback sends the next piece, as a large LIST does (list_stream.cc).
    auto next = std::make_shared<std::function<void(int)>>();
    *next = [ex, next](int i) {
      if (i == 3) {
        ex->WriteChunk("]");
        ex->EndStream();
        *next = nullptr;  // break the cycle
        return;
      }
      ex->WriteChunk(i == 0 ? "[0" : "," + std::to_string(i), [next, i] { (*next)(i + 1); });
    };
    (*next)(0);
  });
  ASSERT_NE(c, nullptr);
  Result<Json> got = c->Get("/api/v1/pods");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Json::parse("[0,1,2]"));
}

TEST_F(LocalApiClientTest, RequestsTimeOutAndTheExchangeIsClosed) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  Result<client::ApiResponse> r =
      c->Request("GET", "/api/v1/pods", "", "", std::chrono::milliseconds(20));
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  EXPECT_TRUE(ex->closed());
  std::atomic<bool> closed_callback{false};
  ex->OnClosed([&] { closed_callback = true; });
  EXPECT_TRUE(Eventually([&] { return closed_callback.load(); }));
}

TEST_F(LocalApiClientTest, DestroyingTheClientCancelsARequestInFlight) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  auto pending = std::async(std::launch::async, [&] {
    return c->Request("GET", "/api/v1/pods", "", "", std::chrono::seconds(60)).status();
  });
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  c.reset();  // waits for the caller to leave
  EXPECT_EQ(pending.get().code(), StatusCode::kCancelled);
  EXPECT_TRUE(ex->closed());
  // The server answering late is harmless.
  EXPECT_TRUE(ex->Respond(200, {}, "{}"));
}

TEST_F(LocalApiClientTest, ProtocolUpgradesAreNotOffered) {
  Held held;
  auto c = NewClient(held.Handler());
  ASSERT_NE(c, nullptr);
  auto pending =
      std::async(std::launch::async, [&] { return c->Request("GET", "/api/v1/pods", "", "", {}); });
  std::shared_ptr<HttpExchange> ex = held.Wait();
  ASSERT_NE(ex, nullptr);
  EXPECT_FALSE(ex->TakeOverSocket([](TakenSocket) {}));
  EXPECT_TRUE(ex->Respond(404, {{"Content-Type", "application/json"}}, "{}"));
  Result<client::ApiResponse> r = pending.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST_F(LocalApiClientTest, AHandlerThatDropsTheExchangeAnswers500) {
  auto c = NewClient([](std::shared_ptr<HttpExchange>) {});
  ASSERT_NE(c, nullptr);
  Result<client::ApiResponse> r = c->Request("GET", "/api/v1/pods", "", "", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
}

}  // namespace
}  // namespace capstan::apiserver
