// Reads (api_server.h): get, list and watch, all served from the watch caches. Lists and watch
// events are assembled from each object's cached bytes without re-serializing them.
#include <boost/asio/steady_timer.hpp>

#include "core/api/conversion.h"
#include "core/apiserver/api_server.h"
#include "core/apiserver/list_stream.h"
#include "core/apiserver/query_options.h"
#include "core/apiserver/table.h"
#include "core/selector/field_selector.h"
#include "core/selector/label_selector.h"

namespace capstan::apiserver {
namespace {

constexpr std::string_view kTableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

bool WantsTable(const RequestContext& ctx) {
  return ctx.request().Header("accept").value_or("").find("as=Table") != std::string_view::npos;
}

IncludeObject IncludeOf(const RequestContext& ctx) {
  const std::string* v = ctx.Query("includeObject");
  return ParseIncludeObject(v ? *v : "");
}

// The namespace, label and field filter of a list or watch.
Result<ObjectFilter> MakeFilter(const RequestContext& ctx, const ListOptions& opts) {
  Result<selector::LabelSelector> labels = selector::LabelSelector::Parse(opts.label_selector);
  if (!labels.ok()) return BadRequestError(labels.status().message());
  Result<selector::FieldSelector> fields = selector::FieldSelector::Parse(opts.field_selector);
  if (!fields.ok()) return BadRequestError(fields.status().message());
  if (ctx.fields != nullptr) {
    Result<selector::BoundFieldSelector> bound = ctx.fields->Bind(*fields);
    if (!bound.ok()) return BadRequestError(bound.status().message());
  }
  std::string ns = ctx.resource->namespaced ? ctx.info.namespace_name : "";
  return ObjectFilter([ns, l = std::move(*labels), f = std::move(*fields)](const CachedObject& o) {
    if (!ns.empty() && o.namespace_name != ns) return false;
    if (!l.Empty() && !l.Matches([&o](std::string_view key) -> std::optional<std::string_view> {
          const std::string* v = o.Label(key);
          if (v == nullptr) return std::nullopt;
          return std::string_view(*v);
        })) {
      return false;
    }
    return f.Matches([&o](std::string_view path) -> std::string_view {
      const std::string* v = o.Field(path);
      return v == nullptr ? std::string_view() : std::string_view(*v);
    });
  });
}

std::string ListKind(const RequestContext& ctx) {
  return ctx.resource->list_kind.empty() ? ctx.resource->kind + "List" : ctx.resource->list_kind;
}

const char* EventTypeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

}  // namespace

void ApiServer::Get(RequestContext& ctx) {
  ApiResult<CachedObjectPtr> got = ctx.storage->Get(ctx.info.namespace_name, ctx.info.name);
  if (auto* e = std::get_if<ApiError>(&got)) return ReplyApiError(ctx, *e);
  const CachedObjectPtr& obj = std::get<CachedObjectPtr>(got);
  if (WantsTable(ctx) || ctx.info.subresource == "status" || Converts(ctx)) {
    ReplyObject(ctx, 200, nlohmann::json::parse(obj->json));
    return;
  }
  ReplyJson(ctx, 200, obj->json);
}

void ApiServer::List(RequestContext& ctx) {
  Result<ListOptions> opts = ParseListOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  Result<ObjectFilter> filter = MakeFilter(ctx, *opts);
  if (!filter.ok()) return ReplyError(ctx, filter.status());
  std::string start_after;
  if (!opts->continue_token.empty()) {
    Result<std::string> decoded = DecodeContinue(opts->continue_token);
    if (!decoded.ok()) return ReplyError(ctx, decoded.status());
    start_after = std::move(*decoded);
  }
  // resourceVersion "0" accepts any cached state; otherwise the read is consistent.
  if (opts->resource_version != "0") {
    Status s = ctx.storage->WaitForConsistentRead();
    if (!s.ok()) return ReplyError(ctx, s);
  }
  std::string ns = ctx.resource->namespaced ? ctx.info.namespace_name : "";
  // The prefix scopes the namespace, so only selectors need the filter (and without one the
  // cache can count what remains past a page cheaply).
  bool selective = !opts->label_selector.empty() || !opts->field_selector.empty();
  CacheListResult page = ctx.storage->cache()->List(ctx.storage->CollectionPrefix(ns), start_after,
                                                    opts->limit, selective ? *filter : nullptr);
  std::string rv = std::to_string(page.revision);
  std::string cont =
      page.continue_after.empty() ? "" : EncodeContinue(page.continue_after, page.revision);
  if (WantsTable(ctx)) {
    std::vector<nlohmann::json> objects;
    objects.reserve(page.items.size());
    for (const CachedObjectPtr& o : page.items) objects.push_back(nlohmann::json::parse(o->json));
    nlohmann::json table = BuildTable(ctx.resource->group, ctx.resource->kind, objects,
                                      IncludeOf(ctx), NowMs(), rv, cont);
    if (!cont.empty() && page.remaining_known) {
      table["metadata"]["remainingItemCount"] = page.remaining;
    }
    ReplyJson(ctx, 200, table.dump(), kTableContentType);
    return;
  }
  std::string head = "{\"kind\":\"" + ListKind(ctx) + "\",\"apiVersion\":\"" +
                     ctx.resource->ApiVersion() + "\",\"metadata\":{\"resourceVersion\":\"" + rv +
                     "\"";
  if (!cont.empty()) {
    head += ",\"continue\":\"" + cont + "\"";
    if (page.remaining_known) head += ",\"remainingItemCount\":" + std::to_string(page.remaining);
  }
  head += "},\"items\":[";
  if (Converts(ctx)) {  // rare (older API versions): serialize each converted item
    for (size_t i = 0; i < page.items.size(); ++i) {
      nlohmann::json item = nlohmann::json::parse(page.items[i]->json);
      api::FromStorageVersion(ctx.resource->group, ctx.resource->plural, ctx.resource->version,
                              &item);
      head += (i == 0 ? "" : ",") + item.dump();
    }
    ReplyJson(ctx, 200, head + "]}");
    return;
  }
  HttpHeaders headers = {{"Content-Type", "application/json"}};
  headers.insert(headers.end(), ctx.response_headers.begin(), ctx.response_headers.end());
  SendList(ctx.exchange, 200, std::move(headers), std::move(head), std::move(page.items), "]}");
}

// One open watch: its stream, its cache registration and its timers. Shared by the sink, the
// close callback and the timers; the first of them to end it wins.
struct WatchSession : std::enable_shared_from_this<WatchSession> {
  std::shared_ptr<HttpExchange> exchange;
  std::unique_ptr<CacheWatcher> watcher;
  std::unique_ptr<boost::asio::steady_timer> timeout;
  std::unique_ptr<boost::asio::steady_timer> bookmark;
  std::mutex mu;  // guards `watcher` and `ended`
  bool ended = false;
  bool table = false;
  bool table_headers_sent = false;  // touched only from the sink (one dispatch thread)
  std::string group;
  std::string kind;
  std::string api_version;
  std::string plural, version;  // with `convert`: the requested version objects are served in
  bool convert = false;
  IncludeObject include = IncludeObject::kMetadata;

  // Sends a BOOKMARK with the cache's revision every `interval_ms` until the watch ends.
  void ScheduleBookmark(CacheHub* hub, int64_t interval_ms) {
    bookmark->expires_after(std::chrono::milliseconds(interval_ms));
    std::weak_ptr<WatchSession> weak = weak_from_this();
    bookmark->async_wait([weak, hub, interval_ms](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      nlohmann::json bm = {
          {"type", "BOOKMARK"},
          {"object",
           {{"kind", self->kind},
            {"apiVersion", self->api_version},
            {"metadata", {{"resourceVersion", std::to_string(hub->Revision())}}}}}};
      if (self->exchange->WriteChunk(bm.dump() + "\n")) self->ScheduleBookmark(hub, interval_ms);
    });
  }

  void End(bool send_end) {
    std::unique_ptr<CacheWatcher> w;
    {
      std::lock_guard l(mu);
      if (ended) return;
      ended = true;
      w = std::move(watcher);
    }
    if (timeout) timeout->cancel();
    if (bookmark) bookmark->cancel();
    w.reset();
    if (send_end) exchange->EndStream();
  }
};

void ApiServer::TrackWatch(const std::shared_ptr<WatchSession>& session) {
  std::lock_guard l(watches_mu_);
  if (watches_.size() >= 64 && watches_.size() == watches_.capacity()) {
    std::erase_if(watches_, [](const std::weak_ptr<WatchSession>& w) { return w.expired(); });
  }
  watches_.push_back(session);
}

void ApiServer::EndWatches() {
  std::vector<std::weak_ptr<WatchSession>> watches;
  {
    std::lock_guard l(watches_mu_);
    watches.swap(watches_);
  }
  for (auto& w : watches) {
    if (auto session = w.lock()) session->End(true);  // no-op once ended
  }
}

void ApiServer::Watch(RequestContext& ctx) {
  Result<ListOptions> opts = ParseListOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  Result<ObjectFilter> filter = MakeFilter(ctx, *opts);
  if (!filter.ok()) return ReplyError(ctx, filter.status());
  int64_t after = 0;
  if (!opts->resource_version.empty()) after = std::stoll(opts->resource_version);
  if (after > 0) {
    // A resourceVersion from the future: wait briefly for the cache, as upstream does.
    Status s = hub_->WaitForRevision(after, 3000);
    if (!s.ok()) return ReplyError(ctx, s);
  }
  auto session = std::make_shared<WatchSession>();
  session->exchange = ctx.exchange;
  session->table = WantsTable(ctx);
  session->group = ctx.resource->group;
  session->kind = ctx.resource->kind;
  session->api_version = ctx.resource->ApiVersion();
  session->plural = ctx.resource->plural;
  session->version = ctx.resource->version;
  session->convert = Converts(ctx);
  session->include = IncludeOf(ctx);
  std::string content_type = session->table ? std::string(kTableContentType) : "application/json";
  if (!ctx.exchange->StartStream(200, {{"Content-Type", content_type}})) return;

  int64_t now = NowMs();
  WatchSink sink = [session, now](const CacheEvent& e) {
    std::string line = "{\"type\":\"";
    line += EventTypeName(e.type);
    line += "\",\"object\":";
    if (session->table) {
      nlohmann::json t = BuildTable(session->group, session->kind,
                                    {nlohmann::json::parse(e.object->json)}, session->include, now,
                                    std::to_string(e.revision), "", !session->table_headers_sent);
      session->table_headers_sent = true;
      line += t.dump();
    } else if (session->convert) {
      nlohmann::json object = nlohmann::json::parse(e.object->json);
      api::FromStorageVersion(session->group, session->plural, session->version, &object);
      line += object.dump();
    } else {
      line += e.object->json;
    }
    line += "}\n";
    return session->exchange->WriteChunk(std::move(line));
  };
  Result<std::unique_ptr<CacheWatcher>> watcher =
      ctx.storage->cache()->Watch(after, *filter, std::move(sink));
  if (!watcher.ok()) {
    if (watcher.status().code() == StatusCode::kGone) {
      nlohmann::json err = {{"type", "ERROR"}, {"object", FailureStatus(watcher.status())}};
      ctx.exchange->WriteChunk(err.dump() + "\n");
    }
    ctx.exchange->EndStream();
    return;
  }
  {
    std::lock_guard l(session->mu);
    session->watcher = std::move(*watcher);
  }
  TrackWatch(session);
  std::weak_ptr<WatchSession> weak = session;
  ctx.exchange->OnClosed([weak] {
    if (auto s = weak.lock()) s->End(false);
  });
  int64_t timeout_s =
      opts->timeout_seconds > 0 ? opts->timeout_seconds : options_.default_watch_timeout_seconds;
  session->timeout = std::make_unique<boost::asio::steady_timer>(timers_);
  session->timeout->expires_after(std::chrono::seconds(timeout_s));
  session->timeout->async_wait([session](const boost::system::error_code& ec) {
    if (!ec) session->End(true);
  });
  if (opts->allow_bookmarks) {
    session->bookmark = std::make_unique<boost::asio::steady_timer>(timers_);
    session->ScheduleBookmark(hub_.get(), options_.bookmark_interval_ms);
  }
}

}  // namespace capstan::apiserver
