#!/usr/bin/env bash
# Installs the Debian 12 packages Samplan needs to build, test, fuzz and benchmark
# it, and to build its core for the browser. Idempotent: only packages that
# are missing are installed, and `apt-get update` runs only then, so a
# machine that has everything makes no network call.
#
# Runs as root, or through sudo when not root and sudo is there.
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  pkg-config
  libboost1.81-dev
  librocksdb-dev
  nlohmann-json3-dev
  googletest
  libgtest-dev
  libbenchmark-dev
  zlib1g-dev
  libssl-dev
  emscripten
  nodejs
  clang-14
  libclang-rt-14-dev
)

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: not root and no sudo; install them as root first" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
  --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  if ! installed "$pkg"; then
    echo "install-deps: $pkg is still not installed" >&2
    exit 1
  fi
done
echo "install-deps: done"
