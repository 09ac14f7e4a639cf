// Includes Boost.Beast's HTTP parser headers for the HTTPS server (http_connection.h), its test
// client and bench. GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized inside Boost
// 1.74's basic_parser.hpp (an optional<uint64_t> it does initialise); the suppression is scoped
// to these headers' lines, so our own code keeps the warning.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
