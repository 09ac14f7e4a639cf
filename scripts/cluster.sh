#!/usr/bin/env bash
# README command 1: installs dependencies, builds `capstan`, and runs a single-node cluster with the
# embedded store in DATA_DIR (default ./.capstan). kubectl then uses DATA_DIR/admin.kubeconfig.
# Usage: scripts/cluster.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
DATA_DIR=${1:-$PWD/.capstan}
BUILD=${CAPSTAN_BUILD_DIR:-build/release}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/capstan-ccache}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAPSTAN_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target capstan_cmd
mkdir -p "$DATA_DIR"
exec "$BUILD/core/cmd/capstan" server --data-dir "$DATA_DIR"
