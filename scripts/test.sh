#!/usr/bin/env bash
# README command 2: installs dependencies, builds everything and runs every test through ctest:
# the main build (warnings as errors) with all tests — unit, lint, integration and end-to-end —
# then an ASan+UBSan build of the core libraries' unit tests (label `asan`).
# Usage: scripts/test.sh [--no-sanitize]
# CI compiles at -O1 without debug info to stay well inside its time budget (the sanitizer build
# at -O0: its unit tests run in seconds, and it compiles a third faster); benchmarks and
# scripts/cluster.sh use an optimized Release build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

JOBS=${CAPSTAN_JOBS:-$(nproc)}
BUILD=${CAPSTAN_BUILD_DIR:-build/ci}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/capstan-ccache}
CI_FLAGS="-O1 -g0"
SAN_FLAGS="-O0 -g0"

start=$(date +%s)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="$CI_FLAGS" \
      -DCMAKE_C_FLAGS_RELEASE="$CI_FLAGS" -DCAPSTAN_WERROR=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"
echo "== build took $(( $(date +%s) - start ))s =="
echo "== ctest: main build =="
ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure --timeout 900

if [ "${1:-}" != "--no-sanitize" ]; then
  SAN=${BUILD}-asan
  start=$(date +%s)
  cmake -S . -B "$SAN" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="$SAN_FLAGS" \
        -DCMAKE_C_FLAGS_RELEASE="$SAN_FLAGS" -DCAPSTAN_WERROR=ON -DCAPSTAN_SANITIZE=ON >/dev/null
  cmake --build "$SAN" -j "$JOBS" --target asan_tests
  echo "== sanitizer build took $(( $(date +%s) - start ))s =="
  echo "== ctest: ASan+UBSan build, core unit tests =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$SAN" -j "$JOBS" -L asan --output-on-failure --timeout 900
fi
