// Kubernetes name checks used by label selectors: qualified names (label keys), label values and
// DNS-1123 subdomains, returning upstream's (v1.32) messages word for word. Also the Go-style
// rendering of `field.Invalid` errors. Implementation in label_validation.cc; tests in
// tests/core/selector/label_validation_test.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace capstan::selector {

// Maximum lengths, as upstream.
inline constexpr size_t kQualifiedNameMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;

// Checks a label key or annotation key: `[prefix/]name`, the prefix a DNS-1123 subdomain and the
// name at most 63 characters of `[-A-Za-z0-9_.]` starting and ending alphanumeric. Returns the
// problems (empty when valid), each phrased as upstream's `validation.IsQualifiedName`.
std::vector<std::string> IsQualifiedName(std::string_view value);

// Checks a label value: empty, or at most 63 characters shaped like a qualified name's name part.
std::vector<std::string> IsValidLabelValue(std::string_view value);

// Checks a lowercase RFC 1123 subdomain (e.g. "example.com"), at most 253 characters.
std::vector<std::string> IsDns1123Subdomain(std::string_view value);

// Quotes `s` as Go's `%q` does for printable text: surrounding double quotes, with `"` and `\`
// escaped and control characters written as `\n`, `\t`, `\r` or `\x..`.
std::string GoQuote(std::string_view s);

// Renders an upstream `field.Invalid(path, value, detail)` error for a string value:
// `<path>: Invalid value: "<value>": <detail>`. Upstream prints a missing path as `<nil>`.
std::string FieldInvalid(std::string_view path, std::string_view value, std::string_view detail);

}  // namespace capstan::selector
