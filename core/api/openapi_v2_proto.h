// `/openapi/v2` in gnostic's protobuf form (`openapi.v2.Document`), which kubectl's discovery
// client asks for (1.20 always; 1.32 when a group-version is missing from /openapi/v3): an
// encoder from the swagger 2.0 JSON document and a cache that serves it next to openapi.h's JSON.
// Wiring: core/apiserver/api_server.cc. Tests: tests/core/api/openapi_v2_proto_test.cc.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/api/openapi.h"
#include "core/api/served_document.h"
#include "core/common/status.h"

namespace capstan::api {

// The Content-Type upstream answers with. Clients ask with "...spec.v2@v1.0+protobuf", but Go's
// mime.ParseMediaType (client-go runs every response's type through it) rejects '@', so the
// server replies with the dotted form, as kube-openapi does.
inline constexpr std::string_view kOpenApiV2ProtoContentType =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// Encodes a swagger 2.0 JSON document as the wire bytes of gnostic's `openapi.v2.Document`:
// every field of the spec (paths, parameters, responses, definitions, security) is carried;
// `x-*` keys become `NamedAny` vendor extensions and `default`/`example`/`enum` values `Any`s,
// each holding the value as JSON text in `Any.yaml` (JSON is YAML, which is what readers parse).
// Unknown keys are dropped, as gnostic's compiler would refuse them. Thread-safe (pure).
// Errors: kBadRequest when `json` does not parse; kInvalid naming the message and key when a
// value has the wrong JSON type for its field (e.g. `"required": "x"`).
Result<std::string> EncodeOpenApiV2Proto(std::string_view json);

enum class OpenApiV2Format { kJson, kProtobuf, kNone };

// Picks the form an Accept header asks for, as kube-openapi's handler: media ranges by
// descending q (ties: the more specific first, then header order), the first that matches
// `application/json` or either protobuf spelling wins; `*/*` and `application/*` mean JSON.
// An empty header means JSON; no match (or q=0 only) is kNone.
OpenApiV2Format NegotiateOpenApiV2(std::string_view accept);

// Serves `/openapi/v2` in the negotiated form. The protobuf bytes are encoded on first request
// (0.2-0.3 s for the upstream document) and kept for as long as the JSON document's ETag stays
// the same, so a changed document is re-encoded on its next request.
// Thread-safety: all methods are thread-safe; concurrent first requests encode once.
class OpenApiV2ProtoCache {
 public:
  // Errors: kNotAcceptable when the Accept header matches neither form; openapi.h's ServeV2
  // errors; EncodeOpenApiV2Proto's errors (then nothing is cached and the next request retries).
  Result<ServedDocument> Serve(const OpenApi& openapi, std::string_view accept);

 private:
  std::mutex mu_;                            // held while encoding, so one request encodes
  std::string source_etag_;                  // the JSON document's ETag the bytes come from
  std::shared_ptr<const std::string> body_;  // null until the first protobuf request
  std::string etag_;
};

// A process-wide cache for the API server. Sharing is safe because entries are keyed by the
// JSON document's content hash; it lives until the process exits.
OpenApiV2ProtoCache& SharedOpenApiV2ProtoCache();

}  // namespace capstan::api
