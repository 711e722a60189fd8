#!/usr/bin/env bash
# The scale-out benchmark: bash bench/scale-out.sh [--quick] [scale-out.py options]
# Builds what it needs into ./build (BUILD_DIR to change), then runs
# bench/scale-out.py, which starts every process itself (the pipelines, and
# a two-node nginx + nchan cluster with Redis through
# examples/scale-out/cluster.sh): ssesink alone vs ssesink publishing to the
# cluster, and the latency of the hop. Results in build/bench/scale-out/
# (--quick: build/bench/scale-out/quick/). See docs/performance.md.
# Exits 77 (skipped) when nginx, the nchan module or Redis is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_targets=(bench/sse-load ext/sse/libgstsse.so)
# shellcheck source=bench/common.sh
source bench/common.sh
work="$build/bench/scale-out"
[ "$quick" = 1 ] && work="$build/bench/scale-out/quick"
exec python3 bench/scale-out.py --sse-load "$build/bench/sse-load" --plugin-dir "$build/ext/sse" \
  --cluster examples/scale-out/cluster.sh --work "$work" "$@"
