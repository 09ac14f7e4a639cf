// Serialization of HTTP/1.1 response heads and chunked-encoding frames for the HTTPS server
// (http_connection.cc). Handlers never call this directly; they use `HttpExchange`
// (http_exchange.h). Implementation in http_response.cc; tests in http_response_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace capstan::apiserver {

// Response headers as a handler supplies them, in order; names may repeat.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// How the body after a response head is delimited.
enum class BodyFraming {
  kContentLength,  // "Content-Length: N" (always sent for non-streamed responses)
  kChunked,        // "Transfer-Encoding: chunked" (streams, e.g. watch)
  kUntilClose,     // neither; the connection closes at the end (streams to HTTP/1.0 clients)
  kNone,           // no body and no framing header (1xx, 204, 101)
};

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view ReasonPhrase(int status);

// True when `status` must not carry a body or Content-Length (1xx, 204).
bool StatusForbidsBody(int status);

// Appends the status line, the handler's headers, the framing header and, when `close`,
// "Connection: close", then the blank line. Handler headers that would break framing
// (Content-Length, Transfer-Encoding, Connection — the server owns those) or that contain
// CR, LF or NUL are dropped, so a handler cannot split the response.
void AppendResponseHead(int status, const HttpHeaders& headers, BodyFraming framing,
                        size_t content_length, bool close, std::string* out);

// Appends one chunk ("<hex size>\r\n<data>\r\n"). Empty data appends nothing, since an empty
// chunk would end the stream.
void AppendChunk(std::string_view data, std::string* out);

// A Kubernetes `metav1.Status` failure body for errors the server itself produces (400, 413,
// 431, 500), so kubectl prints the message: {"kind":"Status",...,"reason":..,"code":..}.
std::string ErrorStatusJson(int code, std::string_view reason, std::string_view message);

// The zero-length chunk that ends a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace capstan::apiserver
