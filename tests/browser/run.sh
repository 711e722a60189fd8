#!/usr/bin/env bash
# Installs the pinned npm packages and runs the player's unit tests
# (web/test) and the browser tests (tests/browser), one file at a time.
# Output is TAP; the exit status is non-zero when anything failed.
# Needs Node.js >= 18, /usr/bin/chromium and the element built in build/.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

(cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || exit 1

rc=0
echo "== web: unit tests"
(cd "$root/web" && node --test --test-reporter=tap test/) || rc=1

echo "== tests/browser"
cd "$here"
for f in *.test.mjs; do
  echo "# file: $f"
  node --test --test-reporter=tap "$f" || rc=1
done
exit $rc
