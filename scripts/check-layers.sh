#!/usr/bin/env bash
# Fails when a source file includes a header of a layer above its own, or
# when the core includes anything but the standard library and itself.
# Layers (CMakeLists.txt), each may include only itself and what is below:
#   crdt (0)  <-  protocol (1), storage (1; neither includes the other)
#   <-  server (2)  <-  cli (3)
# Tests beside a layer's code (*_test.cc) are held to their layer's rule
# too, except that they may include the test harnesses in tests/ and
# storage/testing/. web-client/core (the wasm bindings) sees crdt and
# protocol (the wire's JSON codec, compiled into the wasm module), never
# storage or server.
# tests/ and bench/ sit on top and may include everything.
# Usage: scripts/check-layers.sh [repo root]
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

# The layers a folder may include (besides the standard library).
allowed() {
  case $1 in
    crdt) echo "crdt" ;;
    protocol) echo "crdt protocol" ;;
    storage) echo "crdt storage" ;;
    server) echo "crdt protocol storage server" ;;
    cli) echo "crdt protocol storage server cli" ;;
    web-client/core) echo "crdt protocol web-client/core" ;;
  esac
}

bad=0
checked=0
for layer in crdt protocol storage server cli web-client/core; do
  [[ -d $layer ]] || continue
  ok=" $(allowed "$layer") "
  while IFS= read -r file; do
    checked=$((checked + 1))
    is_test=0
    [[ $file == *_test.cc || $file == storage/testing/* ]] && is_test=1
    while IFS= read -r line; do
      inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$line")
      top=${inc%%/*}
      [[ $inc == web-client/core/* ]] && top=web-client/core
      if [[ $inc != */* ]]; then
        echo "check-layers: $file includes \"$inc\" (use the layer folder path)"
        bad=$((bad + 1))
        continue
      fi
      if [[ $is_test == 1 && ( $top == tests || $top == gtest || $top == gmock ||
            $inc == storage/testing/* ) ]]; then
        continue
      fi
      if [[ $ok != *" $top "* ]]; then
        echo "check-layers: $file ($layer) includes \"$inc\" from layer '$top'"
        bad=$((bad + 1))
      fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
    if [[ $layer == crdt && $is_test == 0 ]]; then
      # The core is standard library only: no Boost, JSON, RocksDB, POSIX I/O.
      if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(boost|nlohmann|rocksdb|openssl|unistd|fcntl|sys/|pthread|thread>|fstream>|iostream>)' "$file"; then
        echo "check-layers: $file (crdt) includes a header outside the standard library's pure part"
        bad=$((bad + 1))
      fi
    fi
  done < <(find "$layer" -maxdepth 2 \( -name '*.h' -o -name '*.cc' \) | sort)
done
echo "check-layers: $checked files checked, $bad violations"
[[ $checked -gt 0 && $bad -eq 0 ]]
