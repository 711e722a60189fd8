#!/usr/bin/env bash
# Configures (once) and builds gst-sse into ./build. Extra arguments go to
# `meson setup`, e.g. --werror.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
elif (($#)); then
  meson configure build "$@"
fi
ninja -C build
