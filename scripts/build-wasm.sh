#!/usr/bin/env bash
# Builds the CRDT core for the browser and Node: every crdt/*.cc except the
# tests, plus the embind bindings web-client/core/bindings.cc, compiled with
# Debian's em++ (emscripten 3.1.6, clang 14 and its libc++) into one ES module
# with the wasm embedded, build-wasm/samplan_core.mjs (Node and tests), and
# the same as build-wasm/samplan_core_web.mjs + samplan_core_web.wasm for
# the browser (served by samplan serve under /core/).
#
#   import Factory from './build-wasm/samplan_core.mjs';
#   const core = await Factory();
#
# Choices forced by emscripten 3.1.6 (see shared/notes/wasm.md):
# - NODE_PATH=/usr/share/nodejs: emcc's JavaScript tools need Debian's Node
#   modules (acorn, ...), which a NodeSource Node does not look in.
# - ENVIRONMENT=web, not web,node: the node branch of the 3.1.6 loader uses
#   __dirname, which an ES module does not have. The web loader runs in Node
#   as well, because SINGLE_FILE embeds the wasm and nothing is fetched.
# - The emscripten cache: Debian ships a prebuilt, frozen one in
#   /usr/share/emscripten/cache, readable by any user. It is used as is; an
#   empty EM_CACHE would fail (a frozen cache cannot build the libraries). Only
#   an emscripten without that cache gets EM_CACHE under build-wasm/.
#
# With Replica the bindings also carry the protocol's JSON codec
# (protocol/json_codec, base64, plan_state), so ops cross in the wire form,
# and the review views and requests (protocol/review_json).
#
# DYNAMIC_EXECUTION=0: embind then builds its glue without eval/new
# Function, so the page runs under the server's Content-Security-Policy
# (script-src 'self' 'wasm-unsafe-eval', no 'unsafe-eval').
#
# Which bindings get built follows the sources that exist: TextSequence once
# crdt/text_sequence.cc exists, Replica once crdt/replica.{h,cc} exist too.
# The core goes into a static archive, as in the native build, so only what
# the bindings reach is linked.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build-wasm
mkdir -p "$OUT/obj"

if ! command -v em++ >/dev/null 2>&1; then
  echo "build-wasm: em++ not found; run scripts/install-deps.sh" >&2
  exit 1
fi

export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
if [[ -z ${EM_CACHE:-} && ! -e /usr/share/emscripten/cache/sysroot_install.stamp ]]; then
  if ! { mkdir -p "$HOME/.emscripten_cache" && [[ -w $HOME/.emscripten_cache ]]; } 2>/dev/null; then
    export EM_CACHE=$PWD/$OUT/emscripten_cache
  fi
fi

CXXFLAGS=(-std=c++20 -O2 -I. -Wall -Wextra -Werror)
features=()
if [[ -f crdt/text_sequence.cc ]]; then
  CXXFLAGS+=(-DSAMPLAN_WASM_TEXT_SEQUENCE)
  features+=(text_sequence)
fi
if [[ -f crdt/text_sequence.cc && -f crdt/replica.h && -f crdt/replica.cc ]]; then
  CXXFLAGS+=(-DSAMPLAN_WASM_REPLICA)
  features+=(replica)
fi

sources=()
for src in crdt/*.cc; do
  [[ $src == *_test.cc ]] || sources+=("$src")
done
# The protocol's JSON codec and plan state, so the browser speaks the wire
# form with the server's own code. nlohmann/json is header-only; em++ must
# not see the rest of /usr/include (glibc), so only its folder is linked in.
if [[ " ${features[*]:-} " == *" replica "* ]]; then
  NLOHMANN=/usr/include/nlohmann
  if [[ ! -f $NLOHMANN/json.hpp ]]; then
    echo "build-wasm: $NLOHMANN/json.hpp not found; run scripts/install-deps.sh" >&2
    exit 1
  fi
  mkdir -p "$OUT/include"
  ln -sfn "$NLOHMANN" "$OUT/include/nlohmann"
  CXXFLAGS+=(-isystem "$OUT/include")
  sources+=(protocol/json_codec.cc protocol/base64.cc protocol/plan_state.cc
    protocol/review_json.cc)
  features+=(protocol)
fi
sources+=(web-client/core/bindings.cc)

echo "build-wasm: em++ $(em++ --version | head -1 | grep -o '[0-9][0-9.]*' | head -1)," \
  "${#sources[@]} sources, bindings: utf8 ${features[*]:-}" >&2

# Compile each source on its own (two at a time), archive the core, link.
rm -f "$OUT"/obj/*.o "$OUT/libsamplan_crdt.a" "$OUT/samplan_core.mjs" \
  "$OUT/samplan_core_web.mjs" "$OUT/samplan_core_web.wasm"
export EM_CXXFLAGS="${CXXFLAGS[*]}"
export OUT
printf '%s\n' "${sources[@]}" | xargs -P 2 -n 1 bash -c '
  src=$1; obj=$OUT/obj/${src//\//_}.o
  em++ $EM_CXXFLAGS -c "$src" -o "$obj" || { echo "build-wasm: FAILED to compile $src" >&2; exit 1; }
' _

emar rcs "$OUT/libsamplan_crdt.a" "$OUT"/obj/crdt_*.o "$OUT"/obj/protocol_*.o
em++ -O2 --bind \
  -s MODULARIZE=1 -s EXPORT_ES6=1 -s EXPORT_NAME=SamplanCore \
  -s ENVIRONMENT=web -s SINGLE_FILE=1 -s ALLOW_MEMORY_GROWTH=1 \
  -s DYNAMIC_EXECUTION=0 \
  "$OUT/obj/web-client_core_bindings.cc.o" "$OUT/libsamplan_crdt.a" \
  -o "$OUT/samplan_core.mjs"
# The browser's build: the same code with the wasm in its own file, so the
# page compiles it while it downloads (instantiateStreaming) and Chromium
# caches the compiled code between visits; a SINGLE_FILE module is decoded
# from base64 and compiled from scratch on every page load.
em++ -O2 --bind \
  -s MODULARIZE=1 -s EXPORT_ES6=1 -s EXPORT_NAME=SamplanCore \
  -s ENVIRONMENT=web -s ALLOW_MEMORY_GROWTH=1 -s DYNAMIC_EXECUTION=0 \
  "$OUT/obj/web-client_core_bindings.cc.o" "$OUT/libsamplan_crdt.a" \
  -o "$OUT/samplan_core_web.mjs"

echo "build-wasm: wrote $OUT/samplan_core.mjs ($(stat -c %s "$OUT/samplan_core.mjs") bytes)," \
  "$OUT/samplan_core_web.mjs + .wasm ($(stat -c %s "$OUT/samplan_core_web.wasm") bytes)"
