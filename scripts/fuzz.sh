#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, with clang-14 in build-fuzz/), writes
# their seed corpora from the demo plan and a trace, and runs each target for
# a bounded time. Exits non-zero when a build fails or a target finds a crash;
# the input that caused it is saved as build-fuzz/artifacts/TARGET-crash-*
# (reproduce: build-fuzz/TARGET_fuzzer FILE).
#
# Prints one line "fuzz-result TARGET pass|fail" per target (scripts/test.sh
# counts them).
#
# Environment:
#   SAMPLAN_LONG=1         run each target 600 s instead of 20 s
#   SAMPLAN_FUZZ_SECONDS   seconds per target (overrides both)
#   SAMPLAN_FUZZ_TARGETS   targets to run, default "parse_message apply_ops"
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=build-fuzz
TARGETS=${SAMPLAN_FUZZ_TARGETS:-parse_message apply_ops}
if [[ ${SAMPLAN_LONG:-0} == 1 ]]; then
  SECONDS_EACH=${SAMPLAN_FUZZ_SECONDS:-600}
else
  SECONDS_EACH=${SAMPLAN_FUZZ_SECONDS:-20}
fi
TRACE=../shared/traces/sequential/sveltecomponent.json.gz

if ! command -v clang++-14 >/dev/null; then
  echo "fuzz.sh: clang++-14 not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S fuzz -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" ||
  exit 1
cmake --build "$BUILD" -j2 || exit 1

# Seeds are regenerated every run (they follow the wire format); what the
# fuzzer found interesting stays in $BUILD/corpus/TARGET between runs.
rm -rf "$BUILD/seeds"
trace_arg=()
[[ -f $TRACE ]] && trace_arg=("$TRACE")
"$BUILD/fuzz_seed_gen" "$BUILD/seeds" "${trace_arg[@]}" || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$BUILD/artifacts"
failed=0
for target in $TARGETS; do
  mkdir -p "$BUILD/corpus/$target"
  echo "fuzz.sh: $target for ${SECONDS_EACH}s"
  # -timeout: one input taking over 10 s is a hang (reported as a crash);
  # -rss_limit_mb bounds memory per process. Fixed seed: reruns of the same
  # corpus explore alike.
  "$BUILD/${target}_fuzzer" "$BUILD/corpus/$target" "$BUILD/seeds/$target" \
    -dict=fuzz/protocol.dict -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -seed=1 -print_final_stats=1 \
    -artifact_prefix="$BUILD/artifacts/$target-" 2>&1 |
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
  rc=${PIPESTATUS[0]}
  if [[ $rc -eq 0 ]]; then
    echo "fuzz-result $target pass"
  else
    echo "fuzz-result $target fail (input saved under $BUILD/artifacts/$target-*)"
    failed=1
  fi
done
exit $failed
