// `ExchangeSink`: the back end of an `HttpExchange` (http_exchange.h) — where a handler's
// response goes. `HttpConnection` (http_connection.h) writes it to a TLS socket; the in-process
// sink (local_exchange_sink.h) hands it to an `ApiClient` in the same process. Also the state an
// exchange shares with its sink (`ExchangeState`) and what a socket upgrade hands over.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/apiserver/http_response.h"
#include "core/apiserver/http_tls_socket.h"

namespace capstan::apiserver {

// The TLS stream an upgraded connection continues on (an Asio AsyncStream; Beast's
// websocket::stream<TlsStream> works on it). Its executor is the connection's strand; the new
// owner must initiate I/O only from that executor.
using TlsStream = TlsSocket;

// What `TakeOverSocket` hands over. `stream` is null when the connection was already gone.
struct TakenSocket {
  std::unique_ptr<TlsStream> stream;
  // Bytes the client sent after the request head, already decrypted; the new protocol's
  // first input. Usually empty (clients wait for the 101).
  std::string buffered;
};

// Shared between an exchange and its sink. Internal; exposed only so both sides can hold it.
struct ExchangeState {
  enum Phase : int { kPending, kStreaming, kDone, kUpgraded };
  std::atomic<int> phase{kPending};
  std::atomic<bool> closed{false};      // client gone, stream cut or server stopping
  std::atomic<size_t> queued_bytes{0};  // stream bytes accepted but not yet consumed
};

// Receives what `HttpExchange` validated (it calls each method at most in the order the
// response rules allow, see http_exchange.h). Implementations: thread-safe — every method may be
// called from any thread, must not block and must not throw; calls made from one thread take
// effect in call order. `state` is the exchange's own state.
class ExchangeSink {
 public:
  using StatePtr = std::shared_ptr<ExchangeState>;
  virtual ~ExchangeSink() = default;

  // A complete response.
  virtual void PostRespond(StatePtr state, int status, HttpHeaders headers, std::string body) = 0;
  // The head of a streamed response.
  virtual void PostStartStream(StatePtr state, int status, HttpHeaders headers) = 0;
  // One chunk; its size was already added to `state->queued_bytes`, and the sink subtracts it
  // once the chunk is consumed (written to the socket, or taken by the in-process client).
  // `on_written` (may be null) runs after that, never inside this call and never once the
  // exchange ended abnormally.
  virtual void PostChunk(StatePtr state, std::string data, std::function<void()> on_written) = 0;
  // The end of a streamed response.
  virtual void PostEndStream(StatePtr state) = 0;
  // The stream exceeded the back-pressure bound: `state->closed` is already set; the sink ends
  // the exchange abnormally (closes the connection; the client sees an error) and runs the
  // OnClosed callbacks.
  virtual void PostCut(StatePtr state) = 0;
  // Runs `callback` once when the exchange ends abnormally (see HttpExchange::OnClosed), never
  // inside this call.
  virtual void PostOnClosed(StatePtr state, std::function<void()> callback) = 0;
  // Whether `PostTakeOver` is supported (a socket exists to hand over).
  virtual bool CanTakeOverSocket() const = 0;
  // Hands the socket over (see HttpExchange::TakeOverSocket). Called only when
  // CanTakeOverSocket().
  virtual void PostTakeOver(StatePtr state, std::function<void(TakenSocket)> callback) = 0;
};

}  // namespace capstan::apiserver
