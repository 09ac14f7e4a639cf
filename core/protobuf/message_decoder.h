// Schema-driven conversion of one protobuf-encoded Kubernetes message to its JSON form.
// The envelope (`k8s\0` + runtime.Unknown) is handled by decoder.h; the schema by schema.h.
// Tests: tests/core/protobuf/message_decoder_test.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/common/status.h"
#include "core/protobuf/schema.h"

namespace capstan::protobuf {

// Nested messages deeper than this are rejected; real objects stay far below it.
inline constexpr int kMaxMessageDepth = 100;

// Decodes `bytes` as `message` into the JSON Kubernetes would write for it.
//
// Go's encoder writes every non-pointer field even when it holds its zero value, so the result
// is the JSON Go's encoding/json would write, minus nulls and empty non-pointer objects, lists
// and maps: a zero scalar or special value is dropped when its JSON tag has `omitempty`, and
// kept when it has not (`"value": 0` of a PriorityClass, which the OpenAPI schema requires);
// a field the schema marks as a Go pointer keeps its zero value (`replicas: 0`,
// `emptyDir: {}`), since Go writes pointers only when they are set. Zero times and empty raw
// extensions (null in Go's JSON) are dropped. Repeated elements and map values are always
// kept. bytes become base64 strings; invalid UTF-8 in strings becomes
// U+FFFD. Fields missing from the schema are skipped. Repeated scalars are accepted packed and
// unpacked. A repeated singular field follows protobuf rules: the last scalar wins, messages
// merge.
//
// Errors: kBadRequest naming the JSON path ("at spec.template.spec.containers[0]: ...") for
// truncated data, a known field with the wrong wire type, groups, non-JSON raw extensions,
// impossible IntOrString types, out-of-range times or NaN doubles. Never reads out of bounds.
// Thread-safe (no shared state).
Result<nlohmann::json> DecodeMessage(const MessageSchema& message, std::string_view bytes);

}  // namespace capstan::protobuf
