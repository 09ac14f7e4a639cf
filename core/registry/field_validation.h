// Validation building blocks shared by the strategies (upstream's apimachinery `validation.Is*`
// and `ValidateLabels`/`ValidateLabelSelector`), each appending upstream-worded errors to a
// `FieldErrors`. Partners: field_errors.h (wording), core/selector (label key/value rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

// Problems with a value, worded as upstream's `validation.Is*` helpers (empty when valid).
std::vector<std::string> IsValidPortNum(int64_t port);
std::vector<std::string> IsValidPortName(std::string_view name);
std::vector<std::string> IsConfigMapKey(std::string_view key);
std::vector<std::string> IsRelaxedEnvVarName(std::string_view name);  // v1.32 default (beta gate)
std::vector<std::string> IsValidPercent(std::string_view value);
// A dotted-quad IPv4 address without leading zeros.
bool ParseIpv4(std::string_view text, uint32_t* out);
std::string FormatIpv4(uint32_t ip);

// `Invalid value: "x": <msg>` for each problem of a DNS-1123 label / subdomain.
void ValidateDnsLabel(std::string_view value, std::string_view path, FieldErrors* errs);
void ValidateDnsSubdomain(std::string_view value, std::string_view path, FieldErrors* errs);
// `Invalid value: -1: must be greater than or equal to 0` when `value` < 0.
void ValidateNonnegative(int64_t value, std::string_view path, FieldErrors* errs);
// An optional integer field: wrong JSON types are `Invalid`, negatives as above.
void ValidateOptionalNonnegative(const Json& obj, std::string_view key, std::string_view path,
                                 FieldErrors* errs);
// A map of labels at `path` (keys qualified names, values label values).
void ValidateLabels(const Json* labels, std::string_view path, FieldErrors* errs);
// A metav1.LabelSelector at `path`: matchLabels as labels, matchExpressions' operators/values.
void ValidateLabelSelector(const Json& selector, std::string_view path, FieldErrors* errs);
// Whether `selector` (metav1.LabelSelector JSON; null selects nothing) matches `labels`.
bool SelectorMatches(const Json* selector, const Json* labels);
// Whether the selector has neither matchLabels nor matchExpressions entries.
bool SelectorIsEmpty(const Json& selector);
// Upstream `ValidatePortNumOrName` for an IntOrString port (`targetPort`, probe ports).
void ValidatePortNumOrName(const Json& port, std::string_view path, FieldErrors* errs);

}  // namespace capstan::registry
