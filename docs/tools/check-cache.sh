#!/usr/bin/env bash
# Regenerates the plugin docs cache and fails when docs/gst_plugins_cache.json
# differs: the committed docs must match what the element says about itself.
# With --update, writes the new cache into docs/ instead.
set -euo pipefail
tool="$1"
committed="$2"
shift 2
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$tool" "$out" sse
if [ "${1:-}" = "--update" ]; then
  cp "$out" "$committed"
  echo "updated $committed"
elif ! diff -u "$committed" "$out"; then
  echo "docs/gst_plugins_cache.json is stale: run 'meson compile -C build update-doc-cache'" >&2
  exit 1
fi
