// Large LIST bodies sent as a paced chunked stream of the cached objects' bytes, so a 150k-pod
// list neither builds one giant string nor outruns the client. Used by api_reads.cc; tested in
// tests/core/apiserver/list_stream_test.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/apiserver/cached_object.h"
#include "core/apiserver/http_exchange.h"

namespace capstan::apiserver {

// Sends `head`, the items' JSON separated by commas, then `tail`, as one response. Bodies of
// at most `kListStreamThreshold` bytes go out whole with a Content-Length; larger ones as a
// chunked stream of about `kListChunkBytes` per chunk, each built when an earlier one has been
// written (two in flight). The items stay alive until sent. Never blocks.
inline constexpr size_t kListStreamThreshold = 1u << 20;
inline constexpr size_t kListChunkBytes = 512u << 10;
void SendList(const std::shared_ptr<HttpExchange>& exchange, int status, HttpHeaders headers,
              std::string head, std::vector<CachedObjectPtr> items, std::string tail);

}  // namespace capstan::apiserver
