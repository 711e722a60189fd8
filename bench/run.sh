#!/usr/bin/env bash
# The ssesink benchmark suite: bash bench/run.sh [--quick] [run.py options]
# Builds what it needs into ./build (BUILD_DIR to change), then runs
# bench/run.py: ssesink, tcpserversink and the seed's Flask design on one
# clip, a table on the terminal and docs/performance.png (--quick: the plot
# and results stay in the build directory). See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
quick=0
for a in "$@"; do
  [ "$a" = --quick ] && quick=1
done
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  [ -f "$build/build.ninja" ] || meson setup "$build"
  targets=(bench/sse-load ext/sse/libgstsse.so)
  if ninja -C "$build" -t targets all 2>/dev/null | grep -q '^bench/encode-bench:'; then
    targets+=(bench/encode-bench)
  fi
  ninja -C "$build" "${targets[@]}"
fi
work="$build/bench/results"
[ "$quick" = 1 ] && work="$build/bench/quick"
plot=()
[ "$quick" = 1 ] || plot=(--plot docs/performance.png)
exec python3 bench/run.py --sse-load "$build/bench/sse-load" --plugin-dir "$build/ext/sse" \
  --encode-bench "$build/bench/encode-bench" --work "$work" "${plot[@]}" "$@"
