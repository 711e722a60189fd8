#!/usr/bin/env bash
# Installs the pinned npm packages and runs the player's unit tests
# (web/test) and the browser tests (tests/browser), one file at a time, in
# each engine of SSE_BROWSERS (default "chromium firefox webkit"; SSE_BROWSER,
# one engine, also works). Arguments: the test files to run (default: all of
# them) — `bash tests/browser/run.sh audio.test.mjs` runs just that file.
# Output is TAP, a "# engine: E file: F" line before each file; the exit
# status is non-zero when anything failed. A file that fails because the
# engine itself hung or crashed (its automation calls timed out, the page
# crashed) runs once more: its first output is kept, each line prefixed
# "# attempt 1 |" (so its pass/fail counts are not summed), and the rerun's
# result stands. Assertion failures are never rerun.
# Needs Node.js >= 18, chromium, firefox-esr, webkit2gtk-driver + xvfb and
# the element built in build/.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

(cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error) || exit 1
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || exit 1

# What an engine that hung or crashed says, as opposed to a failed check.
ENGINE_HANG='script\.callFunction timed out|Navigation timeout of [0-9]+ ms exceeded|session deleted because of page crash|Target closed|Protocol error.*timed out'

rc=0
echo "== web: unit tests"
(cd "$root/web" && node --test --test-reporter=tap test/) || rc=1

cd "$here"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(*.test.mjs)
for engine in ${SSE_BROWSERS:-${SSE_BROWSER:-chromium firefox webkit}}; do
  echo "== tests/browser: $engine"
  start=$SECONDS
  for f in "${files[@]}"; do
    f="$(basename "$f")"
    echo "# engine: $engine file: $f"
    out=$(SSE_BROWSER="$engine" node --test --test-reporter=tap "$f" 2>&1)
    status=$?
    if [ $status -ne 0 ] && grep -qE "$ENGINE_HANG" <<<"$out"; then
      sed 's/^/# attempt 1 | /' <<<"$out"
      echo "# engine: $engine file: $f: the engine hung or crashed ($(grep -oE "$ENGINE_HANG" <<<"$out" | head -1)); once more"
      out=$(SSE_BROWSER="$engine" node --test --test-reporter=tap "$f" 2>&1)
      status=$?
    fi
    echo "$out"
    [ $status -eq 0 ] || rc=1
  done
  echo "# engine: $engine took $((SECONDS - start)) s"
done
exit $rc
