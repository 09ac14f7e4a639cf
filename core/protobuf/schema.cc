// Implementation of core/protobuf/schema.h: the parser of the schema text form.
#include "core/protobuf/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace capstan::protobuf {

namespace {

struct ScalarName {
  std::string_view name;
  FieldType type;
};
constexpr ScalarName kScalars[] = {
    {"string", FieldType::kString}, {"int32", FieldType::kInt32},   {"int64", FieldType::kInt64},
    {"uint32", FieldType::kUint32}, {"uint64", FieldType::kUint64}, {"bool", FieldType::kBool},
    {"double", FieldType::kDouble}, {"float", FieldType::kFloat},   {"bytes", FieldType::kBytes},
};

struct SpecialName {
  std::string_view name;
  MessageKind kind;
};
constexpr SpecialName kSpecials[] = {
    {"time", MessageKind::kTime},         {"microtime", MessageKind::kMicroTime},
    {"duration", MessageKind::kDuration}, {"rawjson", MessageKind::kRawJson},
    {"quantity", MessageKind::kQuantity}, {"intorstring", MessageKind::kIntOrString},
    {"list", MessageKind::kList},
};

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// A field whose message type is resolved after every message line has been read.
struct PendingField {
  FieldSchema field;
  std::string message_name;
};

// Parses "<number>=<jsonName>:<flags><shape><type>".
Result<PendingField> ParseField(std::string_view token) {
  PendingField out;
  size_t eq = token.find('=');
  size_t colon = token.find(':');
  if (eq == std::string_view::npos || colon == std::string_view::npos || colon < eq) {
    return InvalidError("field \"" + std::string(token) + "\" is not <number>=<name>:<type>");
  }
  uint32_t number = 0;
  for (char c : token.substr(0, eq)) {
    if (c < '0' || c > '9' || number > 100000000) {
      return InvalidError("bad field number in \"" + std::string(token) + "\"");
    }
    number = number * 10 + static_cast<uint32_t>(c - '0');
  }
  if (number == 0) return InvalidError("field number 0 in \"" + std::string(token) + "\"");
  out.field.number = number;
  out.field.json_name = std::string(token.substr(eq + 1, colon - eq - 1));
  std::string_view type = token.substr(colon + 1);
  for (; !type.empty(); type.remove_prefix(1)) {
    if (type.front() == '*') {
      out.field.pointer = true;
    } else if (type.front() == '^') {
      out.field.inline_fields = true;
    } else if (type.front() == '+') {
      out.field.no_omitempty = true;
    } else {
      break;
    }
  }
  if (type.substr(0, 2) == "[]") {
    out.field.repeated = true;
    type.remove_prefix(2);
  } else if (type.substr(0, 2) == "{}") {
    out.field.map = true;
    type.remove_prefix(2);
  }
  if (type.empty()) return InvalidError("no type in \"" + std::string(token) + "\"");
  out.field.type = FieldType::kMessage;
  for (const ScalarName& s : kScalars) {
    if (s.name == type) out.field.type = s.type;
  }
  if (out.field.type == FieldType::kMessage) out.message_name = std::string(type);
  if (out.field.inline_fields &&
      (out.field.type != FieldType::kMessage || out.field.repeated || out.field.map)) {
    return InvalidError("inline field \"" + std::string(token) + "\" must be a single message");
  }
  return out;
}

}  // namespace

const FieldSchema* MessageSchema::Find(uint32_t number) const {
  auto it = std::lower_bound(fields.begin(), fields.end(), number,
                             [](const FieldSchema& f, uint32_t n) { return f.number < n; });
  return it != fields.end() && it->number == number ? &*it : nullptr;
}

Result<Schema> Schema::Parse(std::string_view text) {
  Schema schema;
  std::vector<std::pair<MessageSchema*, std::vector<PendingField>>> pending;
  std::vector<std::pair<size_t, std::vector<std::string_view>>> kind_lines;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    std::vector<std::string_view> words = SplitWords(line);
    if (words.empty() || words[0].front() == '#') continue;
    auto fail = [&](const Status& s) {
      return InvalidError("schema line " + std::to_string(line_number) + ": " + s.message());
    };
    if (words[0] == "kind") {
      if (words.size() != 4) return fail(InvalidError("kind needs <apiVersion> <Kind> <message>"));
      kind_lines.emplace_back(line_number, std::move(words));
      continue;
    }
    if (words[0] != "message" || words.size() < 2) {
      return fail(InvalidError("expected \"kind\" or \"message <name>\""));
    }
    auto message = std::make_unique<MessageSchema>();
    message->name = std::string(words[1]);
    std::vector<PendingField> fields;
    if (words.size() == 3 && words[2].front() == '!') {
      std::string_view special = words[2].substr(1);
      auto it = std::find_if(std::begin(kSpecials), std::end(kSpecials),
                             [&](const SpecialName& s) { return s.name == special; });
      if (it == std::end(kSpecials)) return fail(InvalidError("unknown special type"));
      message->kind = it->kind;
    } else {
      for (size_t i = 2; i < words.size(); ++i) {
        Result<PendingField> field = ParseField(words[i]);
        if (!field.ok()) return fail(field.status());
        fields.push_back(std::move(*field));
      }
      std::sort(fields.begin(), fields.end(), [](const PendingField& a, const PendingField& b) {
        return a.field.number < b.field.number;
      });
      for (size_t i = 1; i < fields.size(); ++i) {
        if (fields[i].field.number == fields[i - 1].field.number) {
          return fail(
              InvalidError("duplicate field number " + std::to_string(fields[i].field.number)));
        }
      }
    }
    MessageSchema* raw = message.get();
    if (!schema.messages_.emplace(message->name, std::move(message)).second) {
      return fail(InvalidError("duplicate message " + raw->name));
    }
    pending.emplace_back(raw, std::move(fields));
  }
  for (auto& [message, fields] : pending) {
    for (PendingField& f : fields) {
      if (f.field.type == FieldType::kMessage) {
        f.field.message = schema.FindMessage(f.message_name);
        if (f.field.message == nullptr) {
          return InvalidError("schema: " + message->name + " field " +
                              std::to_string(f.field.number) + " names undeclared message " +
                              f.message_name);
        }
        if (f.field.inline_fields && f.field.message->kind != MessageKind::kObject) {
          return InvalidError("schema: " + message->name + " inlines non-object " + f.message_name);
        }
      }
      message->fields.push_back(std::move(f.field));
    }
  }
  for (const auto& [number, words] : kind_lines) {
    const MessageSchema* message = schema.FindMessage(words[3]);
    if (message == nullptr || message->kind != MessageKind::kObject) {
      return InvalidError("schema line " + std::to_string(number) +
                          ": kind names unknown message " + std::string(words[3]));
    }
    schema.kinds_[std::string(words[1]) + " " + std::string(words[2])] = message;
  }
  return schema;
}

const Schema& Schema::Builtin() {
  static const Schema* const kBuiltin = [] {
    Result<Schema> parsed = Parse(kSchemaText);
    if (!parsed.ok()) {
      std::fprintf(stderr, "capstan: built-in protobuf schema is malformed: %s\n",
                   parsed.status().message().c_str());
      std::abort();
    }
    return new Schema(std::move(*parsed));
  }();
  return *kBuiltin;
}

const MessageSchema* Schema::FindMessage(std::string_view name) const {
  auto it = messages_.find(name);
  return it == messages_.end() ? nullptr : it->second.get();
}

const MessageSchema* Schema::FindKind(std::string_view api_version, std::string_view kind) const {
  std::string key;
  key.reserve(api_version.size() + kind.size() + 1);
  key.append(api_version).append(" ").append(kind);
  auto it = kinds_.find(key);
  return it == kinds_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::string>> Schema::Kinds() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, message] : kinds_) {
    size_t space = key.find(' ');
    out.emplace_back(key.substr(0, space), key.substr(space + 1));
  }
  return out;
}

}  // namespace capstan::protobuf
