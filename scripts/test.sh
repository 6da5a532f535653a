#!/usr/bin/env bash
# Builds and tests everything; what CI runs (.ci/run). On a fresh Debian 12
# machine it first installs the missing packages (scripts/install-deps.sh).
#
# Stages, each timed; a failing stage does not stop the later ones:
#   release  Release build in build/ (with benchmarks), its ctest
#   asan     ASan + UBSan Debug build in build-asan/, its ctest
#   wasm     the core compiled with em++ (scripts/build-wasm.sh) and its
#            node test (web-client/core/core.test.mjs); a skipped node
#            suite fails the stage (every suite must run)
#   web      the browser client: its module tests under node (web-client/test/,
#            the wasm core through the client modules), then the end-to-end
#            tests in Debian's chromium driven by playwright-core against a
#            real `build/samplan serve` (tests/e2e/); needs build/samplan
#            (release) and build-wasm/samplan_core.mjs (wasm); a skipped
#            suite or test fails the stage; screenshots land in
#            build/screenshots/
#   fuzz     the libFuzzer targets (scripts/fuzz.sh, clang-14, build-fuzz/),
#            20 s each; one test per target
# Ends with "summary: N passed, M failed, K skipped" (tests, plus one
# failure for each build that failed; a test that skips itself, e.g.
# GTEST_SKIP, counts as skipped, not passed) and exits non-zero if anything
# failed.
#
# Environment:
#   SAMPLAN_LONG=1        long fuzz/randomized variants (read by the tests
#                         and scripts/fuzz.sh)
#   SAMPLAN_STAGES        stages to run, default "release asan wasm web fuzz"
#   SAMPLAN_TEST_TIMEOUT  per-test timeout in seconds (default 600, 3600
#                         with SAMPLAN_LONG=1)
set -uo pipefail
cd "$(dirname "$0")/.."

export SAMPLAN_LONG=${SAMPLAN_LONG:-0}
STAGES=${SAMPLAN_STAGES:-release asan wasm web fuzz}
if [[ $SAMPLAN_LONG == 1 ]]; then
  TIMEOUT=${SAMPLAN_TEST_TIMEOUT:-3600}
else
  TIMEOUT=${SAMPLAN_TEST_TIMEOUT:-600}
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_pass=0
total_fail=0
total_skip=0
report=()
LOG_DIR=$(mktemp -d)
trap 'rm -rf "$LOG_DIR"' EXIT

now() { date +%s; }
banner() { printf '\n===== %s =====\n' "$*"; }

# Adds a stage's result to the summary: name, seconds, passed, failed,
# skipped, note.
record() {
  total_pass=$((total_pass + $3))
  total_fail=$((total_fail + $4))
  total_skip=$((total_skip + $5))
  report+=("$(printf '%-8s %5ss  %4s passed, %s failed, %s skipped%s' \
    "$1" "$2" "$3" "$4" "$5" "${6:+  ($6)}")")
}

# Builds one CMake tree and runs its ctest. Args: stage name, build dir,
# extra cmake arguments...
cmake_stage() {
  local name=$1 dir=$2
  shift 2
  local start pass=0 fail=0 skip=0 note=""
  start=$(now)
  banner "$name: configure and build in $dir"
  if ! cmake -S . -B "$dir" "$@"; then
    record "$name" $(($(now) - start)) 0 1 0 "configure failed"
    return
  fi
  if ! cmake --build "$dir" -j2; then
    record "$name" $(($(now) - start)) 0 1 0 "build failed"
    return
  fi
  banner "$name: ctest"
  local log=$LOG_DIR/$name.ctest
  ctest --test-dir "$dir" --output-on-failure -j2 --no-tests=error \
    --timeout "$TIMEOUT" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # "97% tests passed, 1 tests failed out of 40"
  local line
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [[ -n $line ]]; then
    local total
    fail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    # ctest counts a skipped test (gtest_discover_tests marks "[  SKIPPED ]"
    # output as skipped) among the passed ones and lists it under "The
    # following tests did not run", as "(Skipped)" or "(Disabled)".
    skip=$(sed -n '/^The following tests did not run:/,/^$/p' "$log" |
      grep -cE '^[[:space:]]*[0-9]+ - .*\((Skipped|Disabled)\)' || true)
    pass=$((total - fail - skip))
  fi
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    fail=1
    note="ctest exited $rc"
  fi
  record "$name" $(($(now) - start)) "$pass" "$fail" "$skip" "$note"
}

wasm_stage() {
  local start pass=0 fail=0 note=""
  start=$(now)
  banner "wasm: build the core with em++"
  if ! scripts/build-wasm.sh; then
    record wasm $(($(now) - start)) 0 1 0 "em++ build failed"
    return
  fi
  banner "wasm: node --test"
  local log=$LOG_DIR/wasm.node
  node --test web-client/core/*.test.mjs 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  # Every suite of the core test must run now that the core is complete: a
  # skipped one means the wasm build lacks a part (core.features()), which
  # is a failure, not a pass.
  # A skipped suite is not counted in node's "# skipped" line, so count the
  # "# SKIP" results (suites and tests) themselves.
  local skipped
  skipped=$(grep -cE '^ *(not )?ok .* # SKIP' "$log" || true)
  if [[ $skipped -gt 0 ]]; then
    fail=$((fail + 1))
    note="$skipped suites/tests skipped: $(grep -E '^ *(not )?ok .*# SKIP' "$log" |
      sed -E 's/^ *(not )?ok [0-9]+ - //' | head -3 | tr '\n' ';')"
  fi
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    fail=1
    note="node --test exited $rc"
  fi
  record wasm $(($(now) - start)) "$pass" "$fail" "$skipped" "$note"
}

# Counts one `node --test` TAP log into the globals node_pass, node_fail
# (with "# cancelled N": a test cancelled by a timeout or crash did not
# pass) and node_skip (the "# SKIP" result lines, since node does not count
# a skipped suite in "# skipped"). Args: log file.
node_counts() {
  local log=$1
  node_pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  node_fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  local cancelled
  cancelled=$(grep -E '^# cancelled [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
  node_fail=$((node_fail + cancelled))
  node_skip=$(grep -cE '^ *(not )?ok .* # SKIP' "$log" || true)
  node_skipped_names=$(grep -E '^ *(not )?ok .*# SKIP' "$log" |
    sed -E 's/^ *(not )?ok [0-9]+ - //' | head -3 | tr '\n' ';')
}

# The browser client: node tests of its modules, then Chromium end to end.
web_stage() {
  local start pass=0 fail=0 skip=0 notes=()
  start=$(now)
  banner "web: client modules (node --test web-client/test/)"
  if [[ ! -x build/samplan || ! -f build-wasm/samplan_core.mjs ]]; then
    record web $(($(now) - start)) 0 1 0 \
      "needs build/samplan (release) and build-wasm/samplan_core.mjs (wasm)"
    return
  fi
  local part log rc
  # Two parts, each a node --test run with its own TAP summary. Reporter
  # "tap" explicitly: node picks "spec" when stdout is a terminal, and tee
  # keeps stdout a pipe anyway, but do not depend on that.
  for part in client e2e; do
    log=$LOG_DIR/web-$part.node
    if [[ $part == client ]]; then
      node --experimental-websocket --test --test-reporter=tap \
        web-client/test/ 2>&1 | tee "$log"
    else
      banner "web: end to end in chromium (node --test tests/e2e/)"
      # One file at a time: each starts its own server and browsers, and
      # two Chromiums at once on a small machine only make waits longer.
      node --test --test-reporter=tap --test-concurrency=1 \
        tests/e2e/ 2>&1 | tee "$log"
    fi
    rc=${PIPESTATUS[0]}
    node_counts "$log"
    pass=$((pass + node_pass))
    fail=$((fail + node_fail))
    skip=$((skip + node_skip))
    if [[ $node_skip -gt 0 ]]; then
      # Every suite must run: a skipped one (no chromium, no served app) is
      # a failure, not a pass.
      fail=$((fail + 1))
      notes+=("$part: $node_skip skipped: $node_skipped_names")
    fi
    if [[ $rc -ne 0 && $node_fail -eq 0 && $node_skip -eq 0 ]]; then
      fail=$((fail + 1))
      notes+=("$part: node --test exited $rc")
    fi
  done
  record web $(($(now) - start)) "$pass" "$fail" "$skip" "${notes[*]:-}"
}

# The libFuzzer targets (scripts/fuzz.sh): one test per target.
fuzz_stage() {
  local start pass=0 fail=0 note=""
  start=$(now)
  banner "fuzz: libFuzzer targets (clang-14, build-fuzz/)"
  local log=$LOG_DIR/fuzz.log
  scripts/fuzz.sh 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  pass=$(grep -cE '^fuzz-result .* pass' "$log" || true)
  fail=$(grep -cE '^fuzz-result .* fail' "$log" || true)
  if [[ $rc -ne 0 && $fail -eq 0 ]]; then
    fail=1
    note="scripts/fuzz.sh exited $rc (build or seed generation)"
  fi
  record fuzz $(($(now) - start)) "$pass" "$fail" 0 "$note"
}

script_start=$(now)
banner "dependencies"
start=$(now)
if ! scripts/install-deps.sh; then
  echo "test.sh: installing dependencies failed" >&2
  echo "summary: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
report+=("$(printf '%-8s %5ss' deps $(($(now) - start)))")

for stage in $STAGES; do
  case $stage in
    release)
      cmake_stage release build -DCMAKE_BUILD_TYPE=Release ;;
    asan)
      cmake_stage asan build-asan -DCMAKE_BUILD_TYPE=Debug \
        -DSAMPLAN_SANITIZE=ON -DSAMPLAN_BUILD_BENCH=OFF ;;
    wasm)
      wasm_stage ;;
    web)
      web_stage ;;
    fuzz)
      fuzz_stage ;;
    *)
      echo "test.sh: unknown stage '$stage'" >&2
      record "$stage" 0 0 1 0 "unknown stage" ;;
  esac
done

banner "results (SAMPLAN_LONG=$SAMPLAN_LONG, $(($(now) - script_start))s in all)"
printf '%s\n' "${report[@]}"
echo "summary: $total_pass passed, $total_fail failed, $total_skip skipped"
[[ $total_fail -eq 0 ]]
