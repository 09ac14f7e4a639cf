// Implementation of core/protobuf/decoder.h: the `k8s\0` + runtime.Unknown envelope.
#include "core/protobuf/decoder.h"

#include <cctype>
#include <string>

#include "core/protobuf/message_decoder.h"
#include "core/protobuf/wire_reader.h"

namespace capstan::protobuf {

namespace {

constexpr std::string_view kMagic("k8s\0", 4);

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Envelope {
  std::string api_version;
  std::string kind;
  std::string_view raw;
  std::string content_encoding;
  std::string content_type;
};

// Reads a length-delimited field that must carry a string.
Status ReadString(WireReader& reader, const Tag& tag, std::string_view name, std::string& out) {
  if (tag.wire_type != WireType::kLengthDelimited) {
    return BadRequestError(std::string(name) + " has wire type " +
                           std::string(WireTypeName(tag.wire_type)));
  }
  Result<std::string_view> bytes = reader.ReadLengthDelimited();
  if (!bytes.ok()) return bytes.status();
  out.assign(bytes->data(), bytes->size());
  return Status::Ok();
}

Status ReadTypeMeta(std::string_view bytes, Envelope& envelope) {
  WireReader reader(bytes);
  while (!reader.done()) {
    Result<Tag> tag = reader.ReadTag();
    if (!tag.ok()) return tag.status();
    if (tag->field_number == 1) {
      CAPSTAN_RETURN_IF_ERROR(
          ReadString(reader, *tag, "typeMeta.apiVersion", envelope.api_version));
    } else if (tag->field_number == 2) {
      CAPSTAN_RETURN_IF_ERROR(ReadString(reader, *tag, "typeMeta.kind", envelope.kind));
    } else {
      CAPSTAN_RETURN_IF_ERROR(reader.SkipField(tag->wire_type));
    }
  }
  return Status::Ok();
}

Result<Envelope> ReadEnvelope(std::string_view bytes) {
  Envelope envelope;
  WireReader reader(bytes);
  while (!reader.done()) {
    Result<Tag> tag = reader.ReadTag();
    if (!tag.ok()) return tag.status();
    switch (tag->field_number) {
      case 1: {
        std::string type_meta;
        CAPSTAN_RETURN_IF_ERROR(ReadString(reader, *tag, "typeMeta", type_meta));
        CAPSTAN_RETURN_IF_ERROR(ReadTypeMeta(type_meta, envelope));
        break;
      }
      case 2: {
        if (tag->wire_type != WireType::kLengthDelimited) {
          return BadRequestError("raw has wire type " + std::string(WireTypeName(tag->wire_type)));
        }
        Result<std::string_view> raw = reader.ReadLengthDelimited();
        if (!raw.ok()) return raw.status();
        envelope.raw = *raw;
        break;
      }
      case 3:
        CAPSTAN_RETURN_IF_ERROR(
            ReadString(reader, *tag, "contentEncoding", envelope.content_encoding));
        break;
      case 4:
        CAPSTAN_RETURN_IF_ERROR(ReadString(reader, *tag, "contentType", envelope.content_type));
        break;
      default:
        CAPSTAN_RETURN_IF_ERROR(reader.SkipField(tag->wire_type));
    }
  }
  return envelope;
}

}  // namespace

bool IsProtobufContentType(std::string_view content_type) {
  return EqualsIgnoreCase(TrimBlanks(content_type.substr(0, content_type.find(';'))),
                          kProtobufContentType);
}

Result<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body) {
  return DecodeKubernetesProtobuf(body, Schema::Builtin());
}

Result<nlohmann::json> DecodeKubernetesProtobuf(std::string_view body, const Schema& schema) {
  if (body.substr(0, kMagic.size()) != kMagic) {
    return BadRequestError("protobuf body does not start with the Kubernetes prefix \"k8s\\0\"");
  }
  Result<Envelope> envelope = ReadEnvelope(body.substr(kMagic.size()));
  if (!envelope.ok()) {
    return BadRequestError("malformed protobuf envelope: " + envelope.status().message());
  }
  const std::string gvk = envelope->api_version + " " + envelope->kind;
  if (envelope->kind.empty() || envelope->api_version.empty()) {
    return BadRequestError("protobuf envelope does not name an apiVersion and kind (got \"" + gvk +
                           "\")");
  }
  if (!envelope->content_encoding.empty()) {
    return BadRequestError("protobuf body for " + gvk + " has unsupported contentEncoding \"" +
                           envelope->content_encoding + "\"");
  }
  if (!envelope->content_type.empty() && !IsProtobufContentType(envelope->content_type)) {
    return BadRequestError("protobuf body for " + gvk + " has unsupported contentType \"" +
                           envelope->content_type + "\"");
  }
  const MessageSchema* message = schema.FindKind(envelope->api_version, envelope->kind);
  if (message == nullptr) {
    return BadRequestError(
        "the body of the request was in an unknown format: no protobuf schema for " + gvk);
  }
  Result<nlohmann::json> object = DecodeMessage(*message, envelope->raw);
  if (!object.ok()) {
    return BadRequestError("protobuf body for " + gvk + ": " + object.status().message());
  }
  (*object)["apiVersion"] = envelope->api_version;
  (*object)["kind"] = envelope->kind;
  return object;
}

}  // namespace capstan::protobuf
