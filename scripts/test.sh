#!/usr/bin/env bash
# README command 2: installs dependencies, builds everything and runs every test through ctest:
# the main build (warnings as errors) with all tests, then an ASan+UBSan build of the unit tests.
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

JOBS=${CAPSTAN_JOBS:-$(nproc)}
BUILD=${CAPSTAN_BUILD_DIR:-build/ci}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/capstan-ccache}

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPSTAN_WERROR=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"
echo "== ctest: main build =="
ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure --timeout 600

if [ "${1:-}" != "--no-sanitize" ]; then
  SAN=${BUILD}-asan
  cmake -S . -B "$SAN" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCAPSTAN_WERROR=ON \
        -DCAPSTAN_SANITIZE=ON >/dev/null
  cmake --build "$SAN" -j "$JOBS"
  echo "== ctest: ASan+UBSan build, unit tests =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$SAN" -j "$JOBS" -L unit --output-on-failure --timeout 600
fi
