#!/usr/bin/env bash
# Installs the pinned npm packages and runs the player's unit tests
# (web/test) and the browser tests (tests/browser), one file at a time, in
# each engine of SSE_BROWSERS (default "chromium firefox webkit"; SSE_BROWSER,
# one engine, also works). Arguments: the test files to run (default: all of
# them) — `bash tests/browser/run.sh audio.test.mjs` runs just that file.
# Output is TAP, a "# engine: E file: F" line before each file; the exit
# status is non-zero when anything failed. A file that fails runs once
# more: its first output is kept, each line prefixed "# attempt 1 |" (so its
# pass/fail counts are not summed), the rerun's result stands, and the end
# lists every rerun with its first failure ("# rerun after a failure: ..."),
# so that a flaky check stays in sight. On 2 cores the engines' timing
# varies (an engine's page that hangs after Unmute, MSE frame counts), and
# one such run should not hide the others' results.
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
reruns=()
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
    if [ $status -ne 0 ]; then
      sed 's/^/# attempt 1 | /' <<<"$out"
      why=$(grep -oE "$ENGINE_HANG" <<<"$out" | head -1)
      why=${why:-$(grep -m1 -E '^not ok' <<<"$out")}
      echo "# engine: $engine file: $f: failed ($why); once more"
      reruns+=("$engine $f: $why")
      out=$(SSE_BROWSER="$engine" node --test --test-reporter=tap "$f" 2>&1)
      status=$?
    fi
    echo "$out"
    [ $status -eq 0 ] || rc=1
  done
  echo "# engine: $engine took $((SECONDS - start)) s"
done
for r in "${reruns[@]}"; do echo "# rerun after a failure: $r"; done
exit $rc
