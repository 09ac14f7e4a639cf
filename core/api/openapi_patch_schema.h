// `OpenApiPatchSchema`: the `patch::PatchSchema` (core/patch/patch_schema.h) that strategic merge
// patch and server-side apply use, backed by the upstream OpenAPI metadata of one kind
// (patch_meta.h). `PatchSchemaFor` builds one from an `OpenApi` (openapi.h).
// Tests: tests/core/api/openapi_patch_schema_test.cc.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "core/api/openapi.h"
#include "core/api/patch_meta.h"
#include "core/patch/patch_schema.h"

namespace capstan::api {

// Thread-safety: immutable; concurrent `Lookup`s are safe. Views in the returned `FieldMeta`
// point into the shared metadata this object keeps alive.
class OpenApiPatchSchema final : public patch::PatchSchema {
 public:
  explicit OpenApiPatchSchema(PatchMeta meta) : meta_(std::move(meta)) {}

  // nullopt when the path carries no marker and leads to none (then the patch defaults apply).
  std::optional<patch::FieldMeta> Lookup(std::string_view path) const override;

 private:
  PatchMeta meta_;
};

// The patch schema for `gvk`. Errors as `OpenApi::PatchMetaFor` (kNotFound for kinds without an
// OpenAPI document, e.g. custom resources whose document was never set: use
// `patch::EmptyPatchSchema` for those).
Result<std::shared_ptr<const patch::PatchSchema>> PatchSchemaFor(const OpenApi& openapi,
                                                                 const GroupVersionKind& gvk);

}  // namespace capstan::api
