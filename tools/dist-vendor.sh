#!/usr/bin/env bash
# `meson dist` script (meson.build): copies mpegts.js, the player's MSE
# fallback, from web/node_modules into the release tarball at the same path,
# where ext/sse/embed-web.py finds it, so that a build from the tarball
# (the Debian package's, for one) embeds it without running npm. mpegts.js
# is Apache-2.0 (its LICENSE goes with it; debian/copyright lists it).
set -euo pipefail
src="$MESON_SOURCE_ROOT/web/node_modules/mpegts.js"
dst="$MESON_DIST_ROOT/web/node_modules/mpegts.js"
if [ ! -f "$src/dist/mpegts.js" ]; then
  echo "dist-vendor.sh: $src/dist/mpegts.js is missing: run 'npm ci --prefix web' first" >&2
  exit 1
fi
mkdir -p "$dst/dist"
cp "$src/LICENSE" "$src/package.json" "$dst/"
cp "$src/dist/mpegts.js" "$src/dist/mpegts.js.LICENSE.txt" "$dst/dist/"
