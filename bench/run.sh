#!/usr/bin/env bash
# The ssesink benchmark suite: bash bench/run.sh [--quick] [run.py options]
# Builds what it needs into ./build (BUILD_DIR to change), then runs
# bench/run.py: ssesink, tcpserversink and the seed's Flask design on one
# clip, a table on the terminal and docs/performance.png (--quick: the plot
# and results stay in the build directory). See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_targets=(bench/sse-load ext/sse/libgstsse.so)
if ninja -C "${BUILD_DIR:-build}" -t targets all 2>/dev/null | grep -q '^bench/encode-bench:'; then
  bench_targets+=(bench/encode-bench)
fi
# shellcheck source=bench/common.sh
source bench/common.sh
work="$build/bench/results"
[ "$quick" = 1 ] && work="$build/bench/quick"
plot=()
[ "$quick" = 1 ] || plot=(--plot docs/performance.png)
exec python3 bench/run.py --sse-load "$build/bench/sse-load" --plugin-dir "$build/ext/sse" \
  --encode-bench "$build/bench/encode-bench" --work "$work" "${plot[@]}" "$@"
