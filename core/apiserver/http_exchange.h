// `HttpExchange`: one request and its response, handed to the server's handler
// (http_server.h). A handler answers with `Respond`, or streams with `StartStream` /
// `WriteChunk` / `EndStream` (watch), or takes the socket over for a protocol upgrade
// (WebSocket/SPDY exec and port-forward). The response goes to the exchange's `ExchangeSink`
// (exchange_sink.h): a TLS connection (http_connection.cc) or an in-process client
// (local_exchange_sink.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/apiserver/exchange_sink.h"
#include "core/apiserver/http_request.h"
#include "core/apiserver/http_response.h"

namespace capstan::apiserver {

// Thread-safety: every method may be called from any thread (store commit thread, watch
// notifier, a worker pool); each call is passed to the sink (for a socket: posted to the
// connection's strand) and takes effect in call order for calls made from one thread. Methods
// never block and never throw. Below, "the connection" is the sink: for the in-process sink,
// the client's threads stand for the connection's strand and "on the socket" means "taken by
// the client".
//
// Lifetime: the handler receives a shared_ptr and may keep it as long as it likes; it keeps
// the connection's memory (not its socket) alive. Dropping the last reference without having
// responded answers 500; dropping it mid-stream ends the stream as `EndStream` would.
//
// Response rules: exactly one of `Respond`, `StartStream` (then `WriteChunk`* and
// `EndStream`) or `TakeOverSocket` takes effect; later calls that break this are ignored and
// return false where they return a value.
class HttpExchange {
 public:
  HttpExchange(std::shared_ptr<ExchangeSink> sink, std::shared_ptr<ExchangeState> state,
               HttpRequest request, size_t max_stream_queued_bytes);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  const HttpRequest& request() const { return request_; }

  // Sends a complete response with `Content-Length: body.size()` (no body for 1xx/204 or
  // HEAD). The server owns Content-Length, Transfer-Encoding and Connection; such handler
  // headers are dropped. Returns false when a response was already started.
  bool Respond(int status, HttpHeaders headers, std::string body);

  // Starts a chunked response (close-delimited for HTTP/1.0 clients). Returns false when a
  // response was already started or the client is gone.
  bool StartStream(int status, HttpHeaders headers);

  // Queues `data` as one chunk, written as soon as the socket allows (chunks queued while a
  // write is in flight go out together in the next write). Empty data is ignored.
  // Back-pressure: when the bytes queued but not yet written would exceed the server's
  // `max_stream_queued_bytes`, the stream is cut instead — the connection is closed, `closed()`
  // turns true and `OnClosed` callbacks run — because a client that reads slower than we
  // produce would otherwise grow memory without bound; a watch client then re-lists.
  // Returns false when the data was not queued (no stream, client gone, or just cut).
  bool WriteChunk(std::string data);
  // WriteChunk that also runs `on_written` on the connection's strand once the chunk is on the
  // socket: a producer that sends its next chunk from there paces itself to the client (a large
  // LIST) instead of hitting the back-pressure cut. `on_written` never runs when the exchange
  // ends first (OnClosed callbacks run then); it must be quick and must not block.
  bool WriteChunk(std::string data, std::function<void()> on_written);

  // Writes the terminating chunk; the connection then serves the next request (keep-alive).
  // Returns false when no stream is open.
  bool EndStream();

  // Runs `callback` once, on the connection's strand, when the exchange ends before its
  // response completed: client disconnect, stream cut by back-pressure, write timeout, or
  // server Stop(). Never runs after a normal completion (Respond/EndStream). Registered after
  // the fact, it runs right away (posted). Callbacks must not block.
  void OnClosed(std::function<void()> callback);

  // True once the exchange ended abnormally (see OnClosed). Racy by nature: a false answer
  // may be stale by the time the caller acts, so writers also check WriteChunk's result.
  bool closed() const { return state_->closed.load(std::memory_order_acquire); }

  // Protocol upgrade hook (WebSocket for exec/attach/port-forward, SPDY): detaches the TLS
  // stream from the HTTP server and passes it to `on_taken` on the connection's strand,
  // after any earlier pipelined responses are flushed and without writing anything; the new
  // owner writes the 101 itself (e.g. beast::websocket::stream::async_accept(request)). The
  // server no longer reads, writes, times out or closes that socket, and Stop() does not
  // track it. The server does not read ahead on upgrade requests, so `buffered` holds only
  // bytes the client sent eagerly. Returns false (and does not call `on_taken`) when a
  // response was already started or the sink has no socket (the in-process client); when the
  // client is already gone `on_taken` gets a null stream.
  bool TakeOverSocket(std::function<void(TakenSocket)> on_taken);

 private:
  bool Transition(int from, int to);

  std::shared_ptr<ExchangeSink> sink_;
  std::shared_ptr<ExchangeState> state_;
  HttpRequest request_;
  size_t max_stream_queued_bytes_;
};

}  // namespace capstan::apiserver
