// Response head and chunk serialization (http_response.h).
#include "core/apiserver/http_response.h"

#include <charconv>

namespace capstan::apiserver {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool ValidValue(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsReserved(std::string_view name) {
  auto eq = [name](std::string_view reserved) {
    if (name.size() != reserved.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != reserved[i]) return false;
    }
    return true;
  };
  return eq("content-length") || eq("transfer-encoding") || eq("connection");
}

void AppendNumber(size_t n, int base, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), n, base);
  out->append(buf, r.ptr);
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

bool StatusForbidsBody(int status) { return (status >= 100 && status < 200) || status == 204; }

void AppendResponseHead(int status, const HttpHeaders& headers, BodyFraming framing,
                        size_t content_length, bool close, std::string* out) {
  if (status < 100 || status > 999) status = 500;
  out->append("HTTP/1.1 ");
  AppendNumber(static_cast<size_t>(status), 10, out);
  out->push_back(' ');
  out->append(ReasonPhrase(status));
  out->append("\r\n");
  for (const auto& [name, value] : headers) {
    if (!ValidName(name) || !ValidValue(value) || IsReserved(name)) continue;
    out->append(name);
    out->append(": ");
    out->append(value);
    out->append("\r\n");
  }
  switch (framing) {
    case BodyFraming::kContentLength:
      out->append("Content-Length: ");
      AppendNumber(content_length, 10, out);
      out->append("\r\n");
      break;
    case BodyFraming::kChunked:
      out->append("Transfer-Encoding: chunked\r\n");
      break;
    case BodyFraming::kUntilClose:
    case BodyFraming::kNone:
      break;
  }
  if (close) out->append("Connection: close\r\n");
  out->append("\r\n");
}

std::string ErrorStatusJson(int code, std::string_view reason, std::string_view message) {
  std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)";
  body += R"("message":")";
  for (char c : message) {
    if (c == '"' || c == '\\') body.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) body.push_back(c);
  }
  body += R"(","reason":")";
  body += reason;
  body += R"(","code":)";
  AppendNumber(static_cast<size_t>(code), 10, &body);
  body += "}";
  return body;
}

void AppendChunk(std::string_view data, std::string* out) {
  if (data.empty()) return;
  AppendNumber(data.size(), 16, out);
  out->append("\r\n");
  out->append(data);
  out->append("\r\n");
}

}  // namespace capstan::apiserver
