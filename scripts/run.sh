#!/usr/bin/env bash
# Builds Samplan (Release, into build/) and runs the samplan program.
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

if [[ $# -eq 0 ]]; then
  set -- "${DEFAULT_ARGS[@]}"
fi
exec build/samplan "$@"
