// Decoding of `application/vnd.kubernetes.protobuf` request bodies into Kubernetes JSON, for
// the API server's create/update handlers. kubectl's typed clients (`kubectl create
// deployment`, `auth can-i`, ...) send only this format and do not retry in JSON after a 415.
// Partners: message_decoder.h (one message), schema.h (the tables). Tests in
// tests/core/protobuf/decoder_test.cc, decoder_robustness_test.cc and kubectl_golden_test.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/common/status.h"
#include "core/protobuf/schema.h"

namespace capstan::protobuf {

inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";

// True for `application/vnd.kubernetes.protobuf`, ignoring case, surrounding blanks and any
// parameters ("...;charset=x"). Thread-safe.
bool IsProtobufContentType(std::string_view content_type);

// Decodes a body made of the magic bytes "k8s\0" and a `runtime.Unknown` {1 typeMeta
// {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType} whose raw bytes hold the
// object, into the object's JSON with "apiVersion" and "kind" taken from typeMeta.
// Fields are converted as DecodeMessage (message_decoder.h) describes: the result is the JSON
// client-go would have sent for the object, without its nulls and empty objects and lists.
//
// Errors (all kBadRequest; the message names the kind once known):
//  - no "k8s\0" prefix, a malformed envelope or object (truncated, wrong wire type, ...);
//  - a contentEncoding (compression is not supported) or a non-protobuf contentType;
//  - a kind the schema has no message for: "the body of the request was in an unknown
//    format: no protobuf schema for <apiVersion> <kind>", as upstream words it.
// Never crashes or reads out of bounds on arbitrary input; memory use is linear in the body
// size. Thread-safe (the built-in schema is immutable after first use).
Result<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body);

// The same with another schema (tests, or callers with extra kinds).
Result<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body, const Schema& schema);

}  // namespace capstan::protobuf
