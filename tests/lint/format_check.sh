#!/usr/bin/env bash
# Fails unless every tracked C/C++ file under core/ sdk/ plugins/ tests/ bench/ is clang-format
# clean (config: .clang-format); fix with `clang-format -i <file>`. Untracked files are not checked.
# Usage: format_check.sh <source-dir> [clang-format]. Exits 77 (skipped) outside a git checkout.
set -euo pipefail
src=$1
clang_format=${2:-clang-format}
if ! git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "format_check: $src is not a git checkout; skipped"
  exit 77
fi
cd "$src"
checked=0
bad=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue  # tracked but deleted in the work tree
  checked=$((checked + 1))
  if ! "$clang_format" --dry-run --Werror "$f"; then
    bad+=("$f")
  fi
done < <(git ls-files -z -- {core,sdk,plugins,tests,bench}/'*'.{h,cc,c})
if [ ${#bad[@]} -ne 0 ]; then
  echo "format_check: ${#bad[@]} of $checked file(s) need clang-format -i:"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format_check: $checked file(s) clean"
