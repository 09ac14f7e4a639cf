// Test helper for the example plugin tests: validates a config against a plugin's JSON Schema
// with valijson, as the host does before `on_init`, so every config a test uses is one the host
// would accept. Implemented once in schema_check.cc (valijson is heavy to compile).
#ifndef CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_
#define CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_

#include <string>
#include <string_view>

namespace capstan::examples::testing {

// "" when `config` satisfies `schema`; otherwise the violations, one per line. Throws when
// either is not JSON (a broken test input).
std::string SchemaErrors(std::string_view schema, std::string_view config);

}  // namespace capstan::examples::testing

#endif  // CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_
