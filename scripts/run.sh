#!/usr/bin/env bash
# Builds Samplan (Release, into build/) and the browser client's wasm core
# (build-wasm/), and runs the samplan program.
#
#   scripts/run.sh            runs `samplan $DEFAULT_ARGS`
#   scripts/run.sh ARGS...    runs `samplan ARGS...`
#
# Installs missing Debian packages first (scripts/install-deps.sh).

# What `scripts/run.sh` with no arguments runs: the main program, the
# collaboration server (127.0.0.1:8080, data in ./samplan-data; it prints
# demo login tokens). `scripts/run.sh demo` prints the demo plan instead.
DEFAULT_ARGS=(serve)

set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2
# Only the program: a test or benchmark that does not compile must not stop
# it from running. `cmake --build build -j2` builds everything.
cmake --build build -j2 --target samplan >&2
# The plan editor that `serve` offers at / runs the core as WebAssembly.
# Rebuilt only when a core or binding source is newer than the module.
if [[ ! -f build-wasm/samplan_core.mjs ]] ||
   [[ -n $(find crdt protocol web-client/core scripts/build-wasm.sh -newer build-wasm/samplan_core.mjs \
            \( -name '*.cc' -o -name '*.h' -o -name '*.sh' \) -print -quit) ]]; then
  scripts/build-wasm.sh >&2
fi

if [[ $# -eq 0 ]]; then
  set -- "${DEFAULT_ARGS[@]}"
fi
exec build/samplan "$@"
