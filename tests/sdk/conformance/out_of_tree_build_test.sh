#!/bin/sh
# Builds an SDK example the way sdk/README.md tells vendors to — outside CMake, with clang++ (the
# core builds with g++), as C++17, against sdk/include only, hidden visibility and a version
# script — then checks that only the entry symbol is exported and runs the C conformance test on
# the result. Proves the plugin boundary is C and the README's command line works.
# Usage: out_of_tree_build_test.sh SOURCE_DIR CONFORMANCE_BINARY WORK_DIR
set -eu
src=$1
conformance=$2
work=$3

cxx=$(command -v clang++ || true)
if [ -z "$cxx" ]; then
  echo "clang++ not found; using c++ (the boundary is still exercised, not the compiler swap)"
  cxx=c++
fi
rm -rf "$work" && mkdir -p "$work"

cat > "$work/plugin.map" <<'MAP'
{
  global: capstan_plugin_entry;
  local: *;
};
MAP

ex="$src/sdk/examples/example-token"
"$cxx" -std=c++17 -O2 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden \
  -Wall -Wextra -Werror -I"$src/sdk/include" -shared \
  -Wl,--version-script="$work/plugin.map" -Wl,--no-undefined \
  -o "$work/example-token.so" "$ex/plugin.cc" "$ex/token_authn.cc"

exported=$(nm -D --defined-only "$work/example-token.so" | awk '{print $3}')
if [ "$exported" != "capstan_plugin_entry" ]; then
  echo "FAIL: exported symbols are not exactly capstan_plugin_entry:"
  echo "$exported"
  exit 1
fi
echo "built with $("$cxx" --version | head -n 1); exports: $exported"
"$conformance" --examples "$work/example-token.so"
