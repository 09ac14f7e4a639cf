#!/usr/bin/env bash
# Fails unless every plugin .so under <plugin-dir> exports exactly one defined dynamic symbol,
# `capstan_plugin_entry` (ABI convention 2; cmake/plugin.map), and at least <expected> .so files
# exist, so the check cannot pass vacuously. Usage: plugin_symbols_check.sh <plugin-dir> <expected>
set -euo pipefail
dir=$1
expected=$2
mapfile -t libs < <(find "$dir" -name '*.so' -type f 2>/dev/null | sort)
echo "plugin_symbols_check: ${#libs[@]} .so file(s) under $dir, $expected plugin target(s)"
if [ ${#libs[@]} -eq 0 ] || [ ${#libs[@]} -lt "$expected" ]; then
  echo "plugin_symbols_check: expected $expected plugin .so file(s); build the plugins first"
  exit 1
fi
status=0
for lib in "${libs[@]}"; do
  # `nm -D` prints "<value> <type> <name>[@[@]version]"; type A marks version-node names
  # (e.g. `VERS_1`) that a named version script adds, which are not code or data.
  exported=$(nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }')
  if [ "$exported" != "capstan_plugin_entry" ]; then
    echo "FAIL ${lib#"$dir"/} exports: $(echo "$exported" | tr '\n' ' ')"
    status=1
  fi
done
[ $status -eq 0 ] && echo "plugin_symbols_check: OK"
exit $status
