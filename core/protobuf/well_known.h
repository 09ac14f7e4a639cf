// JSON spellings of Kubernetes' special protobuf types: RFC 3339 times (meta.v1.Time and
// MicroTime), Go duration strings (meta.v1.Duration) and base64 for []byte. Used by
// decoder.cc; tests in tests/core/protobuf/well_known_test.cc. All functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::protobuf {

// UTC RFC 3339 as Kubernetes JSON writes it: "2006-01-02T15:04:05Z" (`micro` false: seconds
// precision, `nanos` ignored, as metav1.Time does) or "2006-01-02T15:04:05.000000Z" (`micro`
// true, `nanos` truncated to microseconds, as metav1.MicroTime does). `nanos` outside
// [0, 1e9) is folded into `seconds` like Go's time.Unix. Errors: kBadRequest when the year
// falls outside 0000-9999, which Go's encoder cannot write either.
Result<std::string> FormatRfc3339(int64_t seconds, int64_t nanos, bool micro);

// Go's time.Duration.String(): "0s", "1h2m3.5s", "1.5ms", "250µs", "-3ns".
std::string FormatGoDuration(int64_t nanoseconds);

// `bytes` with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD, as Go's
// encoding/json does when it writes a string. Returns the input unchanged when it is valid.
std::string ToValidUtf8(std::string_view bytes);

// Standard base64 with padding, as Go's encoding/json writes []byte.
std::string Base64Encode(std::string_view bytes);

}  // namespace capstan::protobuf
