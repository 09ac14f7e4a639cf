// Parsing of Kubernetes static token files (`--token-auth-file` format): one CSV line per token,
// `token,user,uid[,"group1,group2"]`. Used by the `static-token` authn plugin (static_token.h).
#ifndef CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_TOKEN_FILE_H_
#define CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_TOKEN_FILE_H_

#include <string>
#include <string_view>
#include <vector>

namespace capstan::plugins {

struct TokenEntry {
  std::string token;
  std::string user;
  std::string uid;
  std::vector<std::string> groups;
};

// Parses the file's text. Blank lines and lines starting with '#' are skipped. On a malformed
// line returns false and sets `*error` to "line N: why".
bool ParseTokenFile(std::string_view text, std::vector<TokenEntry>* out, std::string* error);

}  // namespace capstan::plugins

#endif  // CAPSTAN_PLUGINS_AUTH_STATIC_TOKEN_TOKEN_FILE_H_
