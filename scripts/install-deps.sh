#!/usr/bin/env bash
# Installs the Debian packages Capstan needs to build, test and run, skipping those present.
# Usage: scripts/install-deps.sh            (called by both README commands)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3 git
  clang clang-format clang-tidy
  # clang-tidy 22 (bookworm-security) skips system headers when matching: 5x faster than 14.
  clang-tidy-22
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libleveldb-dev libyaml-cpp-dev nlohmann-json3-dev libvalijson-dev libssl-dev
  libmimalloc-dev
  libgtest-dev libgmock-dev googletest
  binutils
  zlib1g-dev docker-registry skopeo umoci busybox-static
  runc containernetworking-plugins iproute2 iptables nftables bind9-dnsutils curl
  python3-kubernetes
)

# kubectl 1.20 (Debian's kubernetes-client) for the old-client e2e tests, unpacked beside the
# system kubectl instead of installed: the package's /usr/bin/kubectl would replace it.
KUBECTL_120_DIR=/opt/capstan/kubectl-1.20
install_kubectl_120() {
  [ -x "$KUBECTL_120_DIR/usr/bin/kubectl" ] && return 0
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && { apt-get download kubernetes-client >/dev/null 2>&1 ||
    { $SUDO apt-get update -qq && apt-get download kubernetes-client >/dev/null 2>&1; }; }) || {
    echo "install-deps: kubernetes-client not downloadable; kubectl 1.20 tests will skip"
    rm -rf "$tmp"
    return 0
  }
  $SUDO mkdir -p "$KUBECTL_120_DIR"
  $SUDO dpkg -x "$tmp"/kubernetes-client_*.deb "$KUBECTL_120_DIR"
  rm -rf "$tmp"
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
install_kubectl_120
