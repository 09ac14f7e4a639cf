// `ServedDocument`: a prebuilt HTTP response body with its headers, as produced by discovery.h
// and openapi.h and written out by the apiserver's HTTP layer.
#pragma once

#include <memory>
#include <string>

namespace capstan::api {

// Thread-safety: a value; `body` is immutable and shared, so copies are cheap and the HTTP layer
// may hold it for as long as the write takes.
struct ServedDocument {
  int http_status = 200;                    // 200, or 301 with `location` set
  std::string content_type;                 // the Content-Type header to send
  std::shared_ptr<const std::string> body;  // never null for 200
  std::string etag;                         // full header value including quotes, or empty for none
  std::string cache_control;                // header value, or empty for none
  std::string location;                     // for 301 only
};

}  // namespace capstan::api
