// Namespace, Secret, ConfigMap, Node and PersistentVolumeClaim strategies (config_strategy.h).
#include "core/registry/config_strategy.h"

#include <algorithm>
#include <vector>

#include "core/registry/field_validation.h"
#include "core/registry/pod_defaults.h"
#include "core/registry/quantity.h"
#include "core/selector/label_validation.h"

namespace capstan::registry {
namespace {

constexpr int64_t kMaxSecretSize = 1024 * 1024;
constexpr const char* kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string NameOf(const Json& obj) {
  const Json* meta = ObjectIn(obj, "metadata");
  return meta != nullptr ? Str(*meta, "name") : "";
}

// Checks every value of the map at `key` is base64; the decode error otherwise.
std::string CheckBase64Map(const Json& obj, const char* key) {
  const Json* m = Find(obj, key);
  if (m == nullptr) return "";
  if (!m->is_object()) return std::string(key) + " must be a map of strings";
  for (const auto& [k, v] : m->items()) {
    if (!v.is_string()) return std::string(key) + "." + k + " must be a base64 string";
    size_t n = 0;
    if (std::string e = CheckBase64(v.get_ref<const std::string&>(), &n); !e.empty()) return e;
  }
  return "";
}

// Sum of decoded value sizes of a base64 map, or of the raw strings.
int64_t MapSize(const Json* m, bool base64) {
  int64_t total = 0;
  if (m == nullptr || !m->is_object()) return 0;
  for (const auto& [k, v] : m->items()) {
    if (!v.is_string()) continue;
    size_t n = v.get_ref<const std::string&>().size();
    if (base64) (void)CheckBase64(v.get_ref<const std::string&>(), &n);
    total += static_cast<int64_t>(n);
  }
  return total;
}

void ValidateKeys(const Json* m, const std::string& path, FieldErrors* errs) {
  if (m == nullptr || !m->is_object()) return;
  for (const auto& [k, v] : m->items()) {
    for (const std::string& msg : IsConfigMapKey(k)) errs->Invalid(Key(path, k), k, msg);
  }
}

void ValidateImmutableData(const Json& obj, const Json& old, const std::vector<const char*>& fields,
                           FieldErrors* errs) {
  if (!Bool(old, "immutable")) return;
  if (!Bool(obj, "immutable")) {
    errs->Forbidden("immutable", "field is immutable when `immutable` is set");
  }
  for (const char* f : fields) {
    const Json* a = Find(obj, f);
    const Json* b = Find(old, f);
    Json na = a != nullptr ? Normalized(*a) : Json();
    Json nb = b != nullptr ? Normalized(*b) : Json();
    if (na != nb) errs->Forbidden(f, "field is immutable when `immutable` is set");
  }
}

Status PrepareSecret(Json& obj) {
  SetDefaultString(obj, "type", "Opaque");
  if (std::string e = CheckBase64Map(obj, "data"); !e.empty()) {
    return BadRequestError(std::string("Secret in version \"v1\" cannot be handled as a Secret: ") +
                           e);
  }
  if (const Json* sd = Find(obj, "stringData")) {
    if (!sd->is_object()) {
      return BadRequestError(
          "Secret in version \"v1\" cannot be handled as a Secret: stringData "
          "must be a map of strings");
    }
    Json* data = ObjectAt(obj, "data");
    for (const auto& [k, v] : sd->items()) {
      if (data != nullptr && v.is_string())
        (*data)[k] = EncodeBase64(v.get_ref<const std::string&>());
    }
  }
  obj.erase("stringData");
  return Status::Ok();
}

void DefaultPvcSpec(Json& spec) {
  SetDefault(spec, "volumeMode", "Filesystem");
  if (Json* resources = Find(spec, "resources"); resources != nullptr && resources->is_object()) {
    for (const char* list : {"requests", "limits"}) {
      if (Json* l = Find(*resources, list); l != nullptr && l->is_object()) {
        CanonicalizeResourceList(*l);
      }
    }
  }
}

}  // namespace

std::string CheckBase64(std::string_view text, size_t* decoded_size) {
  size_t n = 0;    // significant characters seen
  size_t pad = 0;  // '=' seen
  size_t pos = 0;  // input offset of the current character
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0 || std::string_view(kBase64Alphabet).find(c) == std::string_view::npos) {
      return "illegal base64 data at input byte " + std::to_string(pos);
    }
    ++n;
  }
  if (pad > 2 || (n + pad) % 4 != 0 || (pad > 0 && (n % 4) + pad != 4)) {
    return "illegal base64 data at input byte " + std::to_string(n - (n % 4));
  }
  *decoded_size = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  return "";
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kBase64Alphabet[(v >> s) & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// --- Namespace ---

Status NamespaceStrategy::Create(Json& obj) {
  obj["status"] = {{"phase", "Active"}};
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  Json* finalizers = Find(*spec, "finalizers");
  if (finalizers == nullptr) {
    (*spec)["finalizers"] = Json::array({"kubernetes"});
  } else if (finalizers->is_array() &&
             std::find(finalizers->begin(), finalizers->end(), "kubernetes") == finalizers->end()) {
    finalizers->push_back("kubernetes");
  }
  if (std::string name = NameOf(obj); !name.empty()) {
    if (Json* meta = ObjectAt(obj, "metadata")) {
      if (Json* labels = ObjectAt(*meta, "labels")) (*labels)["kubernetes.io/metadata.name"] = name;
    }
  }
  return Status::Ok();
}

Status NamespaceStrategy::Update(Json& obj, const Json& old) {
  // spec.finalizers change only through the finalize subresource.
  const Json* old_spec = ObjectIn(old, "spec");
  if (old_spec != nullptr) {
    obj["spec"] = *old_spec;
  } else {
    obj.erase("spec");
  }
  if (std::string name = NameOf(old); !name.empty()) {
    if (Json* meta = ObjectAt(obj, "metadata")) {
      if (Json* labels = ObjectAt(*meta, "labels")) (*labels)["kubernetes.io/metadata.name"] = name;
    }
  }
  return Status::Ok();
}

void NamespaceStrategy::Check(const Json& obj, FieldErrors* errs) {
  const Json* spec = ObjectIn(obj, "spec");
  const Json* finalizers = spec != nullptr ? ArrayAt(*spec, "finalizers") : nullptr;
  if (finalizers == nullptr) return;
  for (const Json& f : *finalizers) {
    std::string name = f.is_string() ? f.get<std::string>() : f.dump();
    for (const std::string& m : selector::IsQualifiedName(name)) {
      errs->Invalid("spec.finalizers", name, m);
    }
    if (name.find('/') == std::string::npos && name != "kubernetes") {
      errs->Invalid("spec.finalizers", name,
                    "name is neither a standard finalizer name nor is it fully qualified");
    }
  }
}

// --- Secret ---

Status SecretStrategy::Create(Json& obj) { return PrepareSecret(obj); }
Status SecretStrategy::Update(Json& obj, const Json& /*old*/) { return PrepareSecret(obj); }

void SecretStrategy::Check(const Json& obj, FieldErrors* errs) {
  const Json* data = Find(obj, "data");
  ValidateKeys(data, "data", errs);
  if (MapSize(data, true) > kMaxSecretSize) errs->TooLong("data", kMaxSecretSize);
  std::string type = Str(obj, "type");
  auto has = [&](const char* key) { return data != nullptr && Has(*data, key); };
  if (type == "kubernetes.io/service-account-token") {
    const Json* meta = ObjectIn(obj, "metadata");
    const Json* ann = meta != nullptr ? ObjectIn(*meta, "annotations") : nullptr;
    if (ann == nullptr || Str(*ann, "kubernetes.io/service-account.name").empty()) {
      errs->Required("metadata.annotations[kubernetes.io/service-account.name]");
    }
  } else if (type == "kubernetes.io/dockercfg" && !has(".dockercfg")) {
    errs->Required("data[.dockercfg]");
  } else if (type == "kubernetes.io/dockerconfigjson" && !has(".dockerconfigjson")) {
    errs->Required("data[.dockerconfigjson]");
  } else if (type == "kubernetes.io/basic-auth" && !has("username") && !has("password")) {
    errs->Required("data[username]");
    errs->Required("data[password]");
  } else if (type == "kubernetes.io/ssh-auth" &&
             Str(data != nullptr ? *data : Json(), "ssh-privatekey").empty()) {
    errs->Required("data[ssh-privatekey]");
  } else if (type == "kubernetes.io/tls") {
    if (!has("tls.crt")) errs->Required("data[tls.crt]");
    if (!has("tls.key")) errs->Required("data[tls.key]");
  }
}

void SecretStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  if (Str(obj, "type") != Str(old, "type")) {
    errs->Invalid("type", Str(obj, "type"), "field is immutable");
  }
  ValidateImmutableData(obj, old, {"data"}, errs);
  Check(obj, errs);
}

// --- ConfigMap ---

Status ConfigMapStrategy::Create(Json& obj) {
  if (std::string e = CheckBase64Map(obj, "binaryData"); !e.empty()) return DecodeError(e);
  return Status::Ok();
}

Status ConfigMapStrategy::Update(Json& obj, const Json& /*old*/) { return Create(obj); }

void ConfigMapStrategy::Check(const Json& obj, FieldErrors* errs) {
  const Json* data = Find(obj, "data");
  const Json* binary = Find(obj, "binaryData");
  if (data != nullptr && data->is_object()) {
    for (const auto& [k, v] : data->items()) {
      std::string p = Key("data", k);
      for (const std::string& msg : IsConfigMapKey(k)) errs->Invalid(p, k, msg);
      if (binary != nullptr && Has(*binary, k)) {
        errs->Invalid(p, k, "duplicate of key present in binaryData");
      }
    }
  }
  ValidateKeys(binary, "binaryData", errs);
  if (MapSize(data, false) + MapSize(binary, true) > kMaxSecretSize) {
    errs->TooLong("", kMaxSecretSize);
  }
}

void ConfigMapStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  ValidateImmutableData(obj, old, {"data", "binaryData"}, errs);
  Check(obj, errs);
}

// --- Node ---

Status NodeStrategy::Create(Json& obj) {
  if (Json* status = Find(obj, "status"); status != nullptr && status->is_object()) {
    if (const Json* cap = ObjectIn(*status, "capacity");
        cap != nullptr && !Has(*status, "allocatable")) {
      (*status)["allocatable"] = *cap;
    }
  }
  return Status::Ok();
}

Status NodeStrategy::Update(Json& obj, const Json& /*old*/) { return Create(obj); }

// --- PersistentVolumeClaim ---

Status PersistentVolumeClaimStrategy::Create(Json& obj) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  DefaultPvcSpec(*spec);
  obj["status"] = {{"phase", "Pending"}};
  return Status::Ok();
}

Status PersistentVolumeClaimStrategy::Update(Json& obj, const Json& /*old*/) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  DefaultPvcSpec(*spec);
  return Status::Ok();
}

void PersistentVolumeClaimStrategy::Check(const Json& obj, FieldErrors* errs) {
  const Json* spec = ObjectIn(obj, "spec");
  static const Json kEmpty = Json::object();
  const Json& s = spec != nullptr ? *spec : kEmpty;
  const Json* modes = ArrayAt(s, "accessModes");
  static const std::vector<std::string> kModes = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                                  "ReadWriteOncePod"};
  if (modes == nullptr || modes->empty()) {
    errs->Required("spec.accessModes", "at least 1 access mode is required");
  } else {
    bool once_pod = false;
    bool other = false;
    for (const Json& m : *modes) {
      std::string v = m.is_string() ? m.get<std::string>() : m.dump();
      if (std::find(kModes.begin(), kModes.end(), v) == kModes.end()) {
        errs->NotSupported("spec.accessModes", m, kModes);
      } else {
        (v == "ReadWriteOncePod" ? once_pod : other) = true;
      }
    }
    if (once_pod && other) {
      errs->Forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes");
    }
  }
  const Json* resources = ObjectIn(s, "resources");
  const Json* requests = resources != nullptr ? ObjectIn(*resources, "requests") : nullptr;
  const Json* storage = requests != nullptr ? Find(*requests, "storage") : nullptr;
  if (storage == nullptr) {
    errs->Required("spec.resources[storage]");
  } else if (Result<Quantity> q = Quantity::FromJson(*storage); !q.ok()) {
    errs->Invalid("spec.resources[storage]", *storage, q.status().message());
  } else if (q->Compare(Quantity()) <= 0) {
    errs->Invalid("spec.resources[storage]", q->String(), "must be greater than zero");
  }
  if (std::string sc = Str(s, "storageClassName"); !sc.empty()) {
    ValidateDnsSubdomain(sc, "spec.storageClassName", errs);
  }
  if (const Json* vm = Find(s, "volumeMode");
      vm != nullptr && *vm != "Block" && *vm != "Filesystem") {
    errs->NotSupported("spec.volumeMode", *vm, {"Block", "Filesystem"});
  }
}

void PersistentVolumeClaimStrategy::CheckUpdate(const Json& obj, const Json& old,
                                                FieldErrors* errs) {
  Check(obj, errs);
  static const Json kEmpty = Json::object();
  const Json* spec_p = ObjectIn(obj, "spec");
  const Json* old_p = ObjectIn(old, "spec");
  Json now = Normalized(spec_p != nullptr ? *spec_p : kEmpty);
  Json before = Normalized(old_p != nullptr ? *old_p : kEmpty);
  if (Str(before, "volumeName").empty()) {
    if (Has(now, "volumeName")) {
      before["volumeName"] = now["volumeName"];
    }
  }
  const Json* status = ObjectIn(old, "status");
  bool bound = status != nullptr && Str(*status, "phase") == "Bound";
  auto storage_of = [](const Json& s) -> Json {
    const Json* r = ObjectIn(s, "resources");
    const Json* req = r != nullptr ? ObjectIn(*r, "requests") : nullptr;
    const Json* st = req != nullptr ? Find(*req, "storage") : nullptr;
    return st != nullptr ? *st : Json();
  };
  Json new_size = storage_of(now);
  Json old_size = storage_of(before);
  if (bound && !new_size.is_null() && Has(before, "resources")) {
    now["resources"]["requests"]["storage"] = old_size;
    now = Normalized(now);
  }
  if (now != before) {
    errs->Forbidden("spec",
                    "spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims\n" +
                        DescribeDiff(before, now, "spec"));
  }
  Result<Quantity> a = Quantity::FromJson(new_size);
  Result<Quantity> b = Quantity::FromJson(old_size);
  if (a.ok() && b.ok() && a->Compare(*b) < 0) {
    errs->Forbidden("spec.resources.requests.storage", "field can not be less than previous value");
  }
}

}  // namespace capstan::registry
