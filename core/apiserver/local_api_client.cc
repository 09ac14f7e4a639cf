// `LocalApiClient` (local_api_client.h): requests and watches as in-process exchanges.
#include "core/apiserver/local_api_client.h"

#include <future>
#include <utility>

#include "core/apiserver/http_exchange.h"
#include "core/apiserver/http_response.h"
#include "core/apiserver/local_exchange_sink.h"
#include "core/client/kubeconfig.h"
#include "core/client/watch_event_stream.h"
#include "core/pki/certificate.h"

namespace capstan::apiserver {

// One watch: its event stream (callbacks and fence) and the sink its exchange writes to.
class LocalApiClient::WatchRecord {
 public:
  WatchRecord(std::shared_ptr<client::WatchEventStream> events,
              std::shared_ptr<LocalExchangeSink> sink)
      : events_(std::move(events)), sink_(std::move(sink)) {}

  void Stop() {
    events_->Stop([this] { sink_->Close(Status(StatusCode::kCancelled, "watch stopped")); });
  }
  bool Done() const { return events_->Done(); }

 private:
  std::shared_ptr<client::WatchEventStream> events_;
  std::shared_ptr<LocalExchangeSink> sink_;
};

namespace {

class LocalWatchHandle final : public client::WatchHandle {
 public:
  explicit LocalWatchHandle(std::shared_ptr<LocalApiClient::WatchRecord> record)
      : record_(std::move(record)) {}
  ~LocalWatchHandle() override { Stop(); }
  void Stop() override { record_->Stop(); }
  bool Done() const override { return record_->Done(); }

 private:
  std::shared_ptr<LocalApiClient::WatchRecord> record_;
};

}  // namespace

Result<std::unique_ptr<LocalApiClient>> LocalApiClient::Open(const client::ClientConfig& config,
                                                             HttpHandler handler,
                                                             LocalApiClientOptions options) {
  Result<client::ServerAddress> address = client::ParseServerUrl(config.server_url);
  if (!address.ok()) return address.status().WithContext("in-process api client");
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return InvalidError("in-process api client: a client certificate needs its key and back");
  }
  std::string chain;
  if (!config.client_cert_pem.empty()) {
    Status matches = pki::CheckKeyMatchesCert(config.client_cert_pem, config.client_key_pem);
    if (!matches.ok()) return matches.WithContext("in-process api client");
    const std::string& ca = options.client_ca_pem.empty() ? config.ca_pem : options.client_ca_pem;
    Result<std::string> verified =
        pki::VerifiedChainPem(ca, config.client_cert_pem, pki::VerifyPurpose::kClient);
    if (!verified.ok()) return verified.status().WithContext("in-process api client");
    chain = std::move(*verified);
  }
  std::unique_ptr<LocalApiClient> c(
      new LocalApiClient(config, std::move(handler), std::move(options)));
  bool v6 = address->host.find(':') != std::string::npos;
  c->host_header_ = v6 ? "[" + address->host + "]" : address->host;
  if (address->port != 443) c->host_header_ += ":" + std::to_string(address->port);
  c->path_prefix_ = address->path_prefix;
  c->client_chain_pem_ = std::move(chain);
  return c;
}

LocalApiClient::LocalApiClient(client::ClientConfig config, HttpHandler handler,
                               LocalApiClientOptions options)
    : config_(std::move(config)),
      handler_(std::move(handler)),
      options_(std::move(options)),
      threads_(std::make_shared<LocalThreads>(options_.threads)) {}

LocalApiClient::~LocalApiClient() {
  std::vector<std::shared_ptr<LocalExchangeSink>> requests;
  std::vector<std::weak_ptr<WatchRecord>> watches;
  {
    std::lock_guard l(mu_);
    closing_ = true;
    for (auto& [id, sink] : requests_) requests.push_back(sink);
    watches.swap(watches_);
  }
  for (auto& sink : requests) sink->Close(Status(StatusCode::kCancelled, "client closing"));
  for (auto& w : watches) {
    if (auto record = w.lock()) record->Stop();
  }
  {
    // Callers woken with kCancelled still touch `mu_` on their way out.
    std::unique_lock l(mu_);
    idle_cv_.wait(l, [&] { return requests_.empty(); });
  }
  threads_->Stop();
}

Result<HttpRequest> LocalApiClient::MakeRequest(std::string_view method, std::string_view path,
                                                std::string_view content_type,
                                                std::string body) const {
  HttpRequest r;
  r.method = std::string(method);
  CAPSTAN_RETURN_IF_ERROR(ParseTarget(path_prefix_ + std::string(path), &r));
  // What the HTTPS client sends (client_connection.cc), names lower-cased as the server does.
  r.headers.Add("host", host_header_);
  r.headers.Add("user-agent", options_.user_agent);
  if (!config_.bearer_token.empty())
    r.headers.Add("authorization", "Bearer " + config_.bearer_token);
  r.headers.Add("accept", "application/json");
  if (!body.empty()) {
    r.headers.Add("content-type", content_type.empty() ? std::string("application/json")
                                                       : std::string(content_type));
    r.headers.Add("content-length", std::to_string(body.size()));
  }
  r.body = std::move(body);
  r.version = 11;
  r.keep_alive = true;
  r.remote_ip = "127.0.0.1";
  // Cannot be forged: nothing outside this process reaches this path.
  r.client_cert_chain_pem = client_chain_pem_;
  r.client_cert_verified = !client_chain_pem_.empty();
  return r;
}

void LocalApiClient::Dispatch(std::shared_ptr<HttpExchange> exchange) {
  try {
    handler_(std::move(exchange));
  } catch (...) {
    // The exchange, if the handler dropped it unanswered, responds 500 from its destructor.
  }
}

Result<client::ApiResponse> LocalApiClient::Request(std::string_view method, std::string_view path,
                                                    std::string_view content_type, std::string body,
                                                    std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) timeout = options_.default_timeout;
  if (body.size() > options_.max_body_bytes) {
    return client::ApiResponse{
        413, ErrorStatusJson(413, "RequestEntityTooLarge", "the request body is too large"),
        "application/json"};
  }
  Result<HttpRequest> request = MakeRequest(method, path, content_type, std::move(body));
  if (!request.ok()) {
    return client::ApiResponse{400, ErrorStatusJson(400, "BadRequest", request.status().message()),
                               "application/json"};
  }
  std::shared_ptr<LocalExchangeSink> sink = LocalExchangeSink::ForRequest(threads_);
  std::future<Result<client::ApiResponse>> response = sink->response();
  uint64_t id;
  {
    std::lock_guard l(mu_);
    if (closing_) return Status(StatusCode::kCancelled, "client closing");
    id = next_request_++;
    requests_.emplace(id, sink);
  }
  Dispatch(std::make_shared<HttpExchange>(sink, sink->state(), std::move(*request),
                                          options_.max_stream_queued_bytes));
  if (response.wait_for(timeout) != std::future_status::ready) {
    sink->Close(TimeoutError("request timed out"));
  }
  Result<client::ApiResponse> result = response.get();
  std::lock_guard l(mu_);
  requests_.erase(id);
  // Under the lock: the destructor may return as soon as it sees the map empty.
  if (requests_.empty()) idle_cv_.notify_all();
  return result;
}

std::unique_ptr<client::WatchHandle> LocalApiClient::Watch(std::string path_with_query,
                                                           client::WatchEventCallback on_event,
                                                           client::WatchEndCallback on_end) {
  auto events = std::make_shared<client::WatchEventStream>(std::move(on_event), std::move(on_end));
  std::shared_ptr<LocalExchangeSink> sink = LocalExchangeSink::ForWatch(threads_, events);
  auto record = std::make_shared<WatchRecord>(events, sink);
  bool closing;
  {
    std::lock_guard l(mu_);
    closing = closing_;
    if (!closing) {
      std::erase_if(watches_, [](const std::weak_ptr<WatchRecord>& w) { return w.expired(); });
      watches_.push_back(record);
    }
  }
  if (closing) {
    record->Stop();
    return std::make_unique<LocalWatchHandle>(record);
  }
  Result<HttpRequest> request = MakeRequest("GET", path_with_query, "", "");
  if (!request.ok()) {
    // As the HTTPS server would answer; the error reaches `on_end` on the client's threads.
    sink->PostRespond(sink->state(), 400, {{"Content-Type", "application/json"}},
                      ErrorStatusJson(400, "BadRequest", request.status().message()));
  } else {
    Dispatch(std::make_shared<HttpExchange>(sink, sink->state(), std::move(*request),
                                            options_.max_stream_queued_bytes));
  }
  return std::make_unique<LocalWatchHandle>(record);
}

}  // namespace capstan::apiserver
