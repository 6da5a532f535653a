#!/usr/bin/env bash
# Installs the Debian 12 packages Samplan needs to build, test, fuzz and benchmark
# it, and to build its core for the browser, then the pinned npm packages of
# the browser tests (package-lock.json: playwright-core, axe-core) into
# node_modules/. Idempotent: only packages that are missing are installed,
# `apt-get update` runs only then, and `npm ci` only when node_modules/ is
# missing or older than package-lock.json, so a machine that has everything
# makes no network call.
#
# The browser tests drive Debian's own `chromium` (playwright-core downloads
# no browser: it has no install script, and npm runs none here); a font
# package gives headless Chromium glyphs for æ, ø, å, ä, ö in screenshots.
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
  chromium
  fonts-dejavu-core
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
else
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
  echo "install-deps: packages done"
fi

# npm packages of the browser tests, exactly as package-lock.json pins them.
# npm writes node_modules/.package-lock.json on every install, so its age
# tells whether the lockfile changed since.
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
if [[ ! -f $marker || package-lock.json -nt $marker ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm not found (it comes with the nodejs package)" >&2
    exit 1
  fi
  echo "install-deps: npm ci (package-lock.json)"
  # --ignore-scripts: no package may run code or fetch a browser at install.
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  touch "$marker"
fi
