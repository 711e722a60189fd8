#!/usr/bin/env bash
# The player in Chromium, Firefox ESR and WebKitGTK side by side, per decode
# path (WebCodecs, MSE) and stream (video only, with AAC; about 5 minutes):
#   bash bench/player-engines.sh [--seconds 10] [--warmup 3]
# Builds the element into ./build (BUILD_DIR to change), installs the pinned
# npm packages of web/ and tests/browser/ when missing, then runs
# bench/player-engines.mjs: a table on the terminal, the figures in
# build/bench/player-engines.json. SSE_BROWSERS="chromium webkit" picks
# engines. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_targets=(ext/sse/libgstsse.so)
# shellcheck source=bench/common.sh
source bench/common.sh
for dir in web tests/browser; do
  [ -d "$dir/node_modules" ] || npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
done
mkdir -p "$build/bench"
GST_SSE_BUILD_DIR="$(cd "$build" && pwd)" exec node bench/player-engines.mjs --out "$build/bench/player-engines.json" "$@"
