// Strategies of the small v1 kinds, as upstream v1.32: Namespace (phase Active, the
// `kubernetes` finalizer, the kubernetes.io/metadata.name label), Secret (type Opaque,
// stringData folded into data, base64 and key checks, immutability), ConfigMap (keys, no key in
// both data and binaryData, immutability), Node (allocatable from capacity) and
// PersistentVolumeClaim (volumeMode Filesystem, phase Pending, access modes and storage request,
// immutable spec).
#pragma once

#include "core/registry/strategy_base.h"

namespace capstan::registry {

// Each is stateless and safe to share between threads.
class NamespaceStrategy : public StrategyBase {
 public:
  NamespaceStrategy() : StrategyBase("Namespace", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
};

class SecretStrategy : public StrategyBase {
 public:
  SecretStrategy() : StrategyBase("Secret", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
};

class ConfigMapStrategy : public StrategyBase {
 public:
  ConfigMapStrategy() : StrategyBase("ConfigMap", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
};

class NodeStrategy : public StrategyBase {
 public:
  NodeStrategy() : StrategyBase("Node", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
};

class PersistentVolumeClaimStrategy : public StrategyBase {
 public:
  PersistentVolumeClaimStrategy() : StrategyBase("PersistentVolumeClaim", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
};

// Go's base64.StdEncoding as encoding/json applies it to []byte fields: "" when `text` decodes
// (CR/LF ignored), else "illegal base64 data at input byte N". `decoded_size` gets the length.
std::string CheckBase64(std::string_view text, size_t* decoded_size);
std::string EncodeBase64(std::string_view bytes);

}  // namespace capstan::registry
