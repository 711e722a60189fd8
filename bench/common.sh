# shellcheck shell=bash disable=SC2034,SC2154
# Shared by bench/run.sh and bench/scale-out.sh (sourced, from the
# repository root): sets build (BUILD_DIR, default build) and quick (1 when
# the arguments hold --quick), and builds the ninja targets given in
# bench_targets unless BENCH_NO_BUILD=1.
build=${BUILD_DIR:-build}
quick=0
for a in "$@"; do
  [ "$a" = --quick ] && quick=1
done
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  [ -f "$build/build.ninja" ] || meson setup "$build"
  ninja -C "$build" "${bench_targets[@]}"
fi
