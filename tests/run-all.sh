#!/usr/bin/env bash
# Sets everything up on Debian 12 and runs every test: formatting, the
# C++ unit and element tests (meson), the player's unit tests and the
# browser tests in headless Chromium. Ends with "N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash .ci/install-deps.sh
bash .ci/build.sh --werror

echo "== formatting (clang-format)"
clang-format --dry-run --Werror ext/sse/*.cpp ext/sse/*.h tests/check/*/*.cpp tests/check/*/*.h

echo "== meson tests"
meson_rc=0
meson test -C build --print-errorlogs || meson_rc=$?
read -r m_pass m_fail < <(python3 - <<'PY'
import json
ok = bad = 0
for line in open('build/meson-logs/testlog.json'):
    r = json.loads(line)
    if r.get('result') in ('OK', 'EXPECTEDFAIL'):
        ok += 1
    elif r.get('result') != 'SKIP':
        bad += 1
print(ok, bad)
PY
)

w_pass=0
w_fail=0
if [ -f web/package.json ] && [ -f tests/browser/run.sh ]; then
  echo "== player and browser tests"
  if out=$(bash tests/browser/run.sh 2>&1); then :; fi
  echo "$out"
  w_pass=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p' | awk '{s+=$1} END {print s+0}')
  w_fail=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p' | awk '{s+=$1} END {print s+0}')
fi

total_pass=$((m_pass + w_pass))
total_fail=$((m_fail + w_fail))
[ "$meson_rc" -eq 0 ] || [ "$total_fail" -gt 0 ] || total_fail=1
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
