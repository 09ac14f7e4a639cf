// `x509`: authenticates TLS client certificates the server verified against its client CA, as
// Kubernetes does: the subject's Common Name is the username and each Organization a group.
// Requests without a verified certificate are skipped. Export in plugin.cc.
#ifndef CAPSTAN_PLUGINS_AUTH_X509_X509_AUTHN_H_
#define CAPSTAN_PLUGINS_AUTH_X509_X509_AUTHN_H_

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capstan/sdk/authn.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::plugins {

inline constexpr char kX509Name[] = "x509";
inline constexpr char kX509Version[] = "0.1.0";
inline constexpr char kX509Description[] =
    "Verified TLS client certificates: CN is the user, O entries are groups";
inline constexpr char kX509Schema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {}
})";

// Subject of the first certificate in `pem`. Returns false when it does not parse.
bool ParseLeafSubject(std::string_view pem, std::string* common_name,
                      std::vector<std::string>* organizations);

// Thread-safe. A client sends the same certificate with every request of its connections, so
// each certificate's parsed user is remembered (up to kMaxCached certificates; then the memory
// starts over): parsing the PEM was over a tenth of the API server's CPU under load.
class X509Authn final : public sdk::AuthnPlugin {
 public:
  static constexpr size_t kMaxCached = 1024;

  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // SKIP without a verified certificate; DENIED for a verified one without a CN.
  sdk::Status Authenticate(sdk::Call& call, const sdk::AuthnRequest& request,
                           std::string* user_json) override;

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::string> users_;  // chain PEM -> user JSON
};

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_AUTH_X509_X509_AUTHN_H_
