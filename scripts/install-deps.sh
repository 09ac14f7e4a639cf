#!/usr/bin/env bash
# Installs the Debian packages Capstan needs to build, test and run, skipping those present.
# Usage: scripts/install-deps.sh            (called by both README commands)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3 git
  clang clang-format clang-tidy
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libleveldb-dev libyaml-cpp-dev nlohmann-json3-dev libvalijson-dev libssl-dev
  libgtest-dev libgmock-dev googletest
  binutils
  zlib1g-dev docker-registry skopeo umoci busybox-static
  runc containernetworking-plugins iproute2 iptables nftables bind9-dnsutils curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
