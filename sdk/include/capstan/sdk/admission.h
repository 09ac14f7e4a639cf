// Admission plugins (CAPSTAN_KIND_ADMISSION, capstan/abi/admission.h): `AdmissionPlugin` to
// derive from (override `Mutate`, `Validate` or both), `AdmissionRequest` (a view of the
// request), `JsonPointerEscape` for building patches, and the export trampolines used by
// CAPSTAN_PLUGIN (plugin.h). Header-only, C++17.
#ifndef CAPSTAN_SDK_ADMISSION_H_
#define CAPSTAN_SDK_ADMISSION_H_

#include <string>
#include <string_view>

#include "capstan/abi/admission.h"
#include "capstan/sdk/call.h"
#include "capstan/sdk/internal/bridge.h"
#include "capstan/sdk/status.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk {

enum class AdmissionOperation : uint32_t {
  kUnknown = 0,
  kCreate = CAPSTAN_ADMISSION_CREATE,
  kUpdate = CAPSTAN_ADMISSION_UPDATE,
  kDelete = CAPSTAN_ADMISSION_DELETE,
  kConnect = CAPSTAN_ADMISSION_CONNECT,
};

// A borrowed view of `capstan_admission_request`, valid for the call. `object_json` is the
// object after defaulting and earlier mutators (empty on DELETE/CONNECT); `request_json` is the
// full admission.k8s.io/v1 AdmissionRequest.
class AdmissionRequest {
 public:
  explicit AdmissionRequest(const capstan_admission_request* raw) : raw_(raw) {}

#define CAPSTAN_SDK_ADMISSION_STR(field)                                                       \
  std::string_view field() const {                                                             \
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_admission_request, field) ? ToView(raw_->field) \
                                                                         : std::string_view(); \
  }
  CAPSTAN_SDK_ADMISSION_STR(uid)
  CAPSTAN_SDK_ADMISSION_STR(group)
  CAPSTAN_SDK_ADMISSION_STR(version)
  CAPSTAN_SDK_ADMISSION_STR(kind)
  CAPSTAN_SDK_ADMISSION_STR(resource)
  CAPSTAN_SDK_ADMISSION_STR(subresource)
  CAPSTAN_SDK_ADMISSION_STR(namespace_name)
  CAPSTAN_SDK_ADMISSION_STR(name)
  CAPSTAN_SDK_ADMISSION_STR(user)
  CAPSTAN_SDK_ADMISSION_STR(object_json)
  CAPSTAN_SDK_ADMISSION_STR(old_object_json)
  CAPSTAN_SDK_ADMISSION_STR(request_json)
#undef CAPSTAN_SDK_ADMISSION_STR

  AdmissionOperation operation() const {
    if (!CAPSTAN_SDK_HAS_FIELD(raw_, capstan_admission_request, operation)) {
      return AdmissionOperation::kUnknown;
    }
    uint32_t op = raw_->operation;
    return op >= CAPSTAN_ADMISSION_CREATE && op <= CAPSTAN_ADMISSION_CONNECT
               ? static_cast<AdmissionOperation>(op)
               : AdmissionOperation::kUnknown;
  }
  bool dry_run() const {
    return CAPSTAN_SDK_HAS_FIELD(raw_, capstan_admission_request, dry_run) && raw_->dry_run != 0;
  }
  const capstan_admission_request* raw() const { return raw_; }

 private:
  const capstan_admission_request* raw_;
};

// Escapes one reference token of an RFC 6901 JSON Pointer ("a/b~c" -> "a~1b~0c"), as needed for
// label keys in patch paths ("/metadata/labels/app.kubernetes.io~1name").
inline std::string JsonPointerEscape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Derive from this and override `Mutate`, `Validate` or both; an entry you do not override is
// NULL in the vtable, so the host does not run the plugin in that phase. Thread-safety: both run
// on API server workers, concurrently for different requests with CAPSTAN_CAP_THREAD_SAFE.
class AdmissionPlugin {
 public:
  virtual ~AdmissionPlugin() = default;

  // OK with an RFC 6902 JSON Patch array against `object_json` in `*patch_json`, or nothing for
  // "no change". DENIED rejects with 403, INVALID with 422 (the message is shown); SKIP: not
  // applicable. A patch that does not apply is treated as ERROR by the host.
  virtual Status Mutate(Call& call, const AdmissionRequest& request, std::string* patch_json) {
    (void)call, (void)request, (void)patch_json;
    return Status::Unimplemented("not a mutating plugin");
  }
  // OK: admitted, optionally with a JSON array of warning strings in `*warnings_json`.
  // DENIED / INVALID / SKIP as for `Mutate`. Must not change anything.
  virtual Status Validate(Call& call, const AdmissionRequest& request, std::string* warnings_json) {
    (void)call, (void)request, (void)warnings_json;
    return Status::Unimplemented("not a validating plugin");
  }
};

namespace internal {

template <typename D>
struct AdmissionBridge {
  CAPSTAN_SDK_CHECK_SIGNATURE(D, AdmissionPlugin, Mutate,
                              "Status Mutate(Call&, const AdmissionRequest&, std::string*)");
  CAPSTAN_SDK_CHECK_SIGNATURE(D, AdmissionPlugin, Validate,
                              "Status Validate(Call&, const AdmissionRequest&, std::string*)");
  static_assert(Overrides<decltype(&D::Mutate), decltype(&AdmissionPlugin::Mutate)>() ||
                    Overrides<decltype(&D::Validate), decltype(&AdmissionPlugin::Validate)>(),
                "capstan::sdk: an AdmissionPlugin must override Mutate, Validate or both");

  template <int kSlot, Status (AdmissionPlugin::*M)(Call&, const AdmissionRequest&, std::string*)>
  static capstan_rc Run(capstan_plugin_state* state, capstan_call* call,
                        const capstan_admission_request* request,
                        capstan_plugin_buf* out) noexcept {
    ClearOut(out);
    return Guard(call, [&] {
      auto* inst = Instance<D>::From(state);
      Call c(call, inst->host);
      std::string& buf = inst->out.Take(kSlot);
      // Virtual dispatch through the base member pointer reaches D's override.
      Status s =
          (static_cast<AdmissionPlugin&>(inst->plugin).*M)(c, AdmissionRequest(request), &buf);
      Emit(buf, out);
      return Finish(call, s);
    });
  }

  static constexpr capstan_admission_v1 kVtable = {
      sizeof(capstan_admission_v1),
      0,
      CAPSTAN_SDK_OPTIONAL(D, AdmissionPlugin, Mutate,
                           (&Run<kSlotMutate, &AdmissionPlugin::Mutate>)),
      CAPSTAN_SDK_OPTIONAL(D, AdmissionPlugin, Validate,
                           (&Run<kSlotValidate, &AdmissionPlugin::Validate>)),
  };
  static constexpr capstan_kind_descriptor Kind() {
    return {sizeof(capstan_kind_descriptor),
            CAPSTAN_KIND_ADMISSION,
            CAPSTAN_ADMISSION_IFACE_MAJOR,
            CAPSTAN_ADMISSION_IFACE_MINOR,
            0,
            &kVtable};
  }
};

}  // namespace internal
}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_ADMISSION_H_
