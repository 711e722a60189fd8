#!/usr/bin/env bash
# Configures (once) and builds gst-sse into ./build. Extra arguments go to
# `meson setup`, e.g. --werror.
set -euo pipefail
cd "$(dirname "$0")/.."
# The player's mpegts.js fallback is compiled into the plugin from web/node_modules.
if [ -f web/package-lock.json ] && [ ! -d web/node_modules/mpegts.js ]; then
  npm ci --prefix web --no-audit --no-fund
fi
if [ ! -f build/build.ninja ]; then
  meson setup build "$@"
elif (($#)); then
  meson configure build "$@"
fi
ninja -C build
