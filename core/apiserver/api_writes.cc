// Writes (api_server.h): create, update, patch (JSON, merge, strategic merge, apply), delete and
// deletecollection. Object semantics live in RestStorage; this file decodes and replies.
#include "core/api/conversion.h"
#include "core/api/field_schema.h"
#include "core/api/field_types.h"
#include "core/api/openapi_patch_schema.h"
#include "core/apiserver/api_server.h"
#include "core/apiserver/body_codec.h"
#include "core/apiserver/query_options.h"
#include "core/apiserver/status_json.h"
#include "core/patch/field_manager.h"
#include "core/patch/field_set.h"
#include "core/patch/json_patch.h"
#include "core/patch/strategic_merge_patch.h"
#include "core/selector/label_selector.h"

namespace capstan::apiserver {
namespace {

// The request's fieldManager, or upstream's default derived from the user agent.
std::string FieldManagerOf(const RequestContext& ctx, const WriteOptions& opts) {
  if (!opts.field_manager.empty()) return opts.field_manager;
  return patch::ManagerFromUserAgent(ctx.request().Header("user-agent").value_or(""));
}

// Fills apiVersion/kind when absent and rejects a body for another kind.
Status CheckKind(const RequestContext& ctx, nlohmann::json& obj) {
  if (!obj.is_object()) return BadRequestError("the request body must be a JSON object");
  std::string api_version = obj.value("apiVersion", "");
  std::string kind = obj.value("kind", "");
  if (!kind.empty() && kind != ctx.resource->kind) {
    return BadRequestError("the API version in the data (" + api_version +
                           ") does not match the expected API version (" +
                           ctx.resource->ApiVersion() + ")" + " or the kind (" + kind +
                           ") does not match the expected kind (" + ctx.resource->kind + ")");
  }
  if (!api_version.empty() && api_version != ctx.resource->ApiVersion()) {
    // Other served versions of the same group convert trivially for the kinds we serve.
    std::string group = api_version.find('/') == std::string::npos
                            ? ""
                            : api_version.substr(0, api_version.find('/'));
    if (group != ctx.resource->group) {
      return BadRequestError("the API version in the data (" + api_version +
                             ") does not match the expected API version (" +
                             ctx.resource->ApiVersion() + ")");
    }
  }
  obj["apiVersion"] = ctx.resource->ApiVersion();
  obj["kind"] = ctx.resource->kind;
  return Status::Ok();
}

// `fieldValidation`: what to do with fields the kind does not have. kube-apiserver decodes into
// typed structs, so such fields are never stored; the directive only chooses between failing
// (Strict, what kubectl sends), warning (Warn, the default) and silence (Ignore).
enum class FieldValidation { kIgnore, kWarn, kStrict };

// Converts a body written in the request's version into the storage version.
Status ToStorage(const RequestContext& ctx, nlohmann::json* obj) {
  return api::ToStorageVersion(ctx.resource->group, ctx.resource->plural, ctx.resource->version,
                               obj);
}

FieldValidation ValidationOf(const WriteOptions& opts) {
  if (opts.field_validation == "Strict") return FieldValidation::kStrict;
  if (opts.field_validation == "Ignore") return FieldValidation::kIgnore;
  return FieldValidation::kWarn;
}

// Adds one `Warning: 299 - "unknown field \"p\""` header per dropped field, as upstream does.
void AddUnknownFieldWarnings(RequestContext& ctx, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::string text = "unknown field \"" + path + "\"";
    std::string value = "299 - \"";
    for (char c : text) {
      if (c == '"' || c == '\\') value.push_back('\\');
      value.push_back(c);
    }
    value.push_back('"');
    ctx.response_headers.emplace_back("Warning", std::move(value));
  }
}

// A custom resource's fields that its structural schema does not declare (the strategy prunes
// them on write); none for built-in kinds, whose `known` fields the API server checks itself.
void FindCustomUnknownFields(const RequestContext& ctx, const nlohmann::json& obj, bool apply_style,
                             std::vector<std::string>* paths) {
  if (!ctx.resource->builtin) ctx.storage->strategy().FindUnknownFields(obj, apply_style, paths);
}

// Drops unknown fields from a create/update body (custom resources: names them; the strategy
// drops them). Strict: the BadRequest upstream's decoder gives ("Pod in version "v1" cannot be
// handled as a Pod: strict decoding error: ...").
Status DropUnknownFields(RequestContext& ctx, const api::FieldNode* known,
                         FieldValidation validation, nlohmann::json& obj) {
  const std::string& kind = ctx.resource->kind;
  std::vector<std::string> removed;
  if (known != nullptr) {
    // A value of the wrong type fails upstream's typed decoding whatever the directive.
    if (Status typed = api::CheckFieldTypes(obj, *known, kind); !typed.ok()) {
      return BadRequestError(kind + " in version \"" + ctx.resource->version +
                             "\" cannot be handled as a " + kind + ": " + typed.message());
    }
    api::PruneUnknownFields(obj, *known,
                            validation == FieldValidation::kIgnore ? nullptr : &removed);
  } else if (validation != FieldValidation::kIgnore) {
    FindCustomUnknownFields(ctx, obj, /*apply_style=*/false, &removed);
  }
  if (removed.empty()) return Status::Ok();
  if (validation == FieldValidation::kStrict) {
    return BadRequestError(kind + " in version \"" + ctx.resource->version +
                           "\" cannot be handled as a " + kind + ": " +
                           api::StrictDecodingMessage(removed));
  }
  AddUnknownFieldWarnings(ctx, removed);
  return Status::Ok();
}

// Server-side apply converts the applied configuration to its typed form whatever the
// directive, so unknown fields there always fail, with upstream's message and its 500 without a
// reason (kubectl prints "Error from server: failed to create typed patch object ...").
bool RejectUnknownAppliedFields(const RequestContext& ctx, const api::FieldNode* known,
                                const nlohmann::json& applied) {
  std::vector<std::string> paths;
  if (known != nullptr) {
    api::FindUnknownFieldsForApply(applied, *known, &paths);
  } else {
    FindCustomUnknownFields(ctx, applied, /*apply_style=*/true, &paths);
  }
  if (paths.empty()) return false;
  std::string errors;
  if (paths.size() == 1) {
    errors = paths[0] + ": field not declared in schema";
  } else {
    errors = "errors:";
    for (const std::string& p : paths) errors += "\n  " + p + ": field not declared in schema";
  }
  const api::ResourceInfo& r = *ctx.resource;
  std::string message = "failed to create typed patch object (" + ctx.info.namespace_name + "/" +
                        ctx.info.name + "; " + r.group + "/" + r.version + ", Kind=" + r.kind +
                        "): " + errors;
  nlohmann::json status = FailureStatus(InternalError(message), {});
  status.erase("reason");
  ApiServer::ReplyJson(ctx, 500, status.dump());
  return true;
}

}  // namespace

const api::FieldNode* ApiServer::KnownFieldsFor(const RequestContext& ctx) const {
  const api::ResourceInfo& r = *ctx.resource;
  if (!r.builtin) return nullptr;  // custom resources prune by their structural schema
  if (!ctx.info.subresource.empty()) {
    const api::Subresource* sub = r.FindSubresource(ctx.info.subresource);
    if (sub == nullptr || sub->kind.kind != r.kind) return nullptr;
  }
  Result<api::FieldSchema> schema = field_schemas_->For(r.gvk());
  return schema.ok() ? schema->root : nullptr;  // the cache keeps the index alive
}

void ApiServer::Create(RequestContext& ctx) {
  Result<WriteOptions> opts = ParseWriteOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  Result<nlohmann::json> body = DecodeBody(ctx.request());
  if (!body.ok()) return ReplyError(ctx, body.status());
  Status kind_ok = CheckKind(ctx, *body);
  if (!kind_ok.ok()) return ReplyError(ctx, kind_ok);
  Status fields_ok = DropUnknownFields(ctx, KnownFieldsFor(ctx), ValidationOf(*opts), *body);
  if (!fields_ok.ok()) return ReplyError(ctx, fields_ok);
  if (Status converted = ToStorage(ctx, &*body); !converted.ok()) return ReplyError(ctx, converted);
  if (ctx.resource->namespaced && ctx.info.namespace_name.empty()) {
    return ReplyError(ctx, NotFoundError("the server could not find the requested resource"));
  }
  Status ns_ok = CheckNamespaceForCreate(ctx);
  if (!ns_ok.ok()) return ReplyError(ctx, ns_ok);
  WriteContext wctx = MakeWriteContext(ctx, opts->dry_run, FieldManagerOf(ctx, *opts));
  ApiResult<WriteResult> r = ctx.storage->Create(wctx, ctx.info.namespace_name, std::move(*body));
  if (auto* e = std::get_if<ApiError>(&r)) return ReplyApiError(ctx, *e);
  ReplyWritten(ctx, 201, std::get<WriteResult>(r));
}

void ApiServer::Update(RequestContext& ctx) {
  Result<WriteOptions> opts = ParseWriteOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  Result<nlohmann::json> body = DecodeBody(ctx.request());
  if (!body.ok()) return ReplyError(ctx, body.status());
  Status kind_ok = CheckKind(ctx, *body);
  if (!kind_ok.ok()) return ReplyError(ctx, kind_ok);
  Status fields_ok = DropUnknownFields(ctx, KnownFieldsFor(ctx), ValidationOf(*opts), *body);
  if (!fields_ok.ok()) return ReplyError(ctx, fields_ok);
  if (Status converted = ToStorage(ctx, &*body); !converted.ok()) return ReplyError(ctx, converted);
  if (ctx.resource->namespaced) {
    std::string body_ns = (*body)["metadata"].value("namespace", "");
    if (!body_ns.empty() && body_ns != ctx.info.namespace_name) {
      return ReplyError(ctx, BadRequestError("the namespace of the provided object does not "
                                             "match the namespace sent on the request"));
    }
  }
  WriteContext wctx = MakeWriteContext(ctx, opts->dry_run, FieldManagerOf(ctx, *opts));
  ApiResult<WriteResult> r = ctx.storage->Update(wctx, ctx.info.namespace_name, ctx.info.name,
                                                 ctx.info.subresource, std::move(*body));
  if (auto* e = std::get_if<ApiError>(&r)) return ReplyApiError(ctx, *e);
  ReplyWritten(ctx, 200, std::get<WriteResult>(r));
}

void ApiServer::Patch(RequestContext& ctx) {
  Result<WriteOptions> opts = ParseWriteOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  std::string content_type(ctx.request().Header("content-type").value_or(""));
  content_type = content_type.substr(0, content_type.find(';'));
  Result<nlohmann::json> patch = ParsePatchBody(ctx.request().body, content_type);
  if (!patch.ok()) return ReplyError(ctx, patch.status());
  const bool apply = content_type == "application/apply-patch+yaml";
  if (apply && opts->field_manager.empty()) {
    return ReplyError(ctx, InvalidError("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                                        "Required value: is required for apply patch"));
  }
  const api::FieldNode* known = KnownFieldsFor(ctx);
  if (apply && RejectUnknownAppliedFields(ctx, known, *patch)) return;
  const FieldValidation validation = ValidationOf(*opts);
  std::vector<std::string> dropped;  // by the last attempt of `mutate`
  std::shared_ptr<const patch::PatchSchema> schema = PatchSchemaFor(*ctx.resource);
  const patch::PatchSchema& sch = *schema;
  std::vector<patch::FieldConflict> conflicts;
  std::string now = FormatRfc3339(NowMs());
  std::string api_version = ctx.resource->ApiVersion();
  static const patch::FieldSet kStatus = patch::FieldSet::OfFields({"status"});
  const patch::FieldSet* ignored =
      ctx.info.subresource.empty() && ctx.resource->FindSubresource("status") ? &kStatus : nullptr;
  RestStorage::Mutation mutate = [&](const nlohmann::json* current) -> ApiResult<nlohmann::json> {
    if (current == nullptr) {  // only apply creates
      nlohmann::json obj = *patch;
      if (apply) {
        patch::WriteOptions w{opts->field_manager, api_version, ctx.info.subresource, now, ignored};
        Result<patch::ApplyResult> applied =
            patch::ServerSideApply(nlohmann::json(), *patch, w, opts->force, sch, nullptr);
        if (!applied.ok()) return ApiError{applied.status(), {}};
        obj = std::move(applied->object);
      }
      Status kind_ok = CheckKind(ctx, obj);
      if (!kind_ok.ok()) return ApiError{kind_ok, {}};
      Status ns_ok = CheckNamespaceForCreate(ctx);
      if (!ns_ok.ok()) return ApiError{ns_ok, {}};
      if (Status converted = ToStorage(ctx, &obj); !converted.ok()) return ApiError{converted, {}};
      return obj;
    }
    // A patch applies to the object as the request's version shows it.
    nlohmann::json served;
    if (Converts(ctx)) {
      served = *current;
      api::FromStorageVersion(ctx.resource->group, ctx.resource->plural, ctx.resource->version,
                              &served);
      current = &served;
    }
    Result<nlohmann::json> out = InternalError("unsupported patch type");
    if (content_type == "application/json-patch+json") {
      out = patch::ApplyJsonPatch(*current, *patch);
    } else if (content_type == "application/merge-patch+json") {
      out = patch::ApplyMergePatch(*current, *patch);
    } else if (content_type == "application/strategic-merge-patch+json") {
      out = patch::ApplyStrategicMergePatch(*current, *patch, sch);
    } else if (apply) {
      patch::WriteOptions w{opts->field_manager, api_version, ctx.info.subresource, now, ignored};
      conflicts.clear();
      Result<patch::ApplyResult> applied =
          patch::ServerSideApply(*current, *patch, w, opts->force, sch, &conflicts);
      if (!applied.ok()) {
        ApiError e{applied.status(),
                   {ctx.info.name, ctx.resource->group, ctx.info.resource, "", {}, 0}};
        for (const patch::FieldConflict& fc : conflicts) {
          e.details.causes.push_back(
              {"FieldManagerConflict", "conflict with " + fc.manager_description, fc.field});
        }
        return e;
      }
      out = std::move(applied->object);
    }
    if (!out.ok()) return ApiError{out.status(), {}};
    dropped.clear();
    if (known != nullptr && !apply) {
      Status typed = api::CheckFieldTypes(*out, *known, ctx.resource->kind);
      if (!typed.ok()) return ApiError{typed, {}};
      // Upstream decodes the patched object strictly: it names, then drops, unknown fields.
      api::PruneUnknownFields(*out, *known, &dropped);
    } else if (!apply && validation != FieldValidation::kIgnore) {
      FindCustomUnknownFields(ctx, *out, /*apply_style=*/false, &dropped);
    }
    if (!dropped.empty() && validation == FieldValidation::kStrict) {
      return ApiError{BadRequestError(api::StrictDecodingMessage(dropped)), {}};
    }
    if (Status converted = ToStorage(ctx, &*out); !converted.ok()) return ApiError{converted, {}};
    return std::move(*out);
  };
  WriteContext wctx = MakeWriteContext(ctx, opts->dry_run, FieldManagerOf(ctx, *opts));
  if (apply) wctx.track_fields = nullptr;  // ServerSideApply records ownership itself
  ApiResult<WriteResult> r = ctx.storage->Modify(wctx, ctx.info.namespace_name, ctx.info.name,
                                                 ctx.info.subresource, mutate, apply);
  if (auto* e = std::get_if<ApiError>(&r)) return ReplyApiError(ctx, *e);
  if (validation == FieldValidation::kWarn) AddUnknownFieldWarnings(ctx, dropped);
  WriteResult& w = std::get<WriteResult>(r);
  ReplyWritten(ctx, w.created ? 201 : 200, w);
}

void ApiServer::Delete(RequestContext& ctx) {
  bool dry_run = false;
  Result<DeleteOptions> opts = ParseDeleteOptions(
      ctx.request().body, [&](std::string_view n) { return ctx.Query(n); }, &dry_run);
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  WriteContext wctx = MakeWriteContext(ctx, dry_run, "");
  ApiResult<WriteResult> r =
      ctx.storage->Delete(wctx, ctx.info.namespace_name, ctx.info.name, *opts);
  if (auto* e = std::get_if<ApiError>(&r)) return ReplyApiError(ctx, *e);
  const WriteResult& w = std::get<WriteResult>(r);
  if (w.removed) {
    StatusDetails details{ctx.info.name,
                          ctx.resource->group,
                          ctx.resource->plural,
                          w.object["metadata"].value("uid", ""),
                          {},
                          0};
    ReplyJson(ctx, 200, SuccessStatus(details).dump());
    return;
  }
  ReplyObject(ctx, 200, w.object);
}

void ApiServer::DeleteCollection(RequestContext& ctx) {
  bool dry_run = false;
  Result<DeleteOptions> opts = ParseDeleteOptions(
      ctx.request().body, [&](std::string_view n) { return ctx.Query(n); }, &dry_run);
  if (!opts.ok()) return ReplyError(ctx, opts.status());
  Result<ListOptions> list = ParseListOptions([&](std::string_view n) { return ctx.Query(n); });
  if (!list.ok()) return ReplyError(ctx, list.status());
  Status s = ctx.storage->WaitForConsistentRead();
  if (!s.ok()) return ReplyError(ctx, s);
  Result<selector::LabelSelector> labels = selector::LabelSelector::Parse(list->label_selector);
  if (!labels.ok()) return ReplyError(ctx, BadRequestError(labels.status().message()));
  std::string ns = ctx.resource->namespaced ? ctx.info.namespace_name : "";
  CacheListResult items = ctx.storage->cache()->List(
      ctx.storage->CollectionPrefix(ns), "", 0, [&](const CachedObject& o) {
        return labels->Matches([&o](std::string_view key) -> std::optional<std::string_view> {
          const std::string* v = o.Label(key);
          if (v == nullptr) return std::nullopt;
          return std::string_view(*v);
        });
      });
  WriteContext wctx = MakeWriteContext(ctx, dry_run, "");
  std::string body = "{\"kind\":\"" + ctx.resource->kind + "List\",\"apiVersion\":\"" +
                     ctx.resource->ApiVersion() + "\",\"metadata\":{},\"items\":[";
  bool first = true;
  for (const CachedObjectPtr& o : items.items) {
    ApiResult<WriteResult> r = ctx.storage->Delete(wctx, o->namespace_name, o->name, *opts);
    if (auto* e = std::get_if<ApiError>(&r)) {
      if (e->status.code() == StatusCode::kNotFound) continue;
      return ReplyApiError(ctx, *e);
    }
    if (!first) body += ',';
    first = false;
    body += std::get<WriteResult>(r).object.dump();
  }
  body += "]}";
  ReplyJson(ctx, 200, std::move(body));
}

std::shared_ptr<const patch::PatchSchema> ApiServer::PatchSchemaFor(
    const api::ResourceInfo& resource) const {
  Result<std::shared_ptr<const patch::PatchSchema>> schema =
      api::PatchSchemaFor(*openapi_, resource.gvk());
  if (!schema.ok()) return std::make_shared<patch::EmptyPatchSchema>();  // no document (CRDs)
  return *schema;
}

}  // namespace capstan::apiserver
