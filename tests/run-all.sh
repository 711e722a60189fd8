#!/usr/bin/env bash
# Sets everything up on Debian 12 and runs every test: formatting, the
# C++ unit and element tests (meson), the same under ASan + UBSan (and
# LeakSanitizer for the unit tests), a short libFuzzer run of each fuzz
# target, the player's unit tests, the browser tests in Chromium, Firefox
# ESR and WebKitGTK (tests/browser/run.sh) and the install test
# (tests/install/run.sh). Ends with "N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash .ci/install-deps.sh
bash .ci/build.sh --werror
# install-deps.sh installed nginx, nchan and Redis: the scale-out tests must
# run, not skip.
export SSE_REQUIRE_NCHAN=1
export SSE_REQUIRE_PROMETHEUS=1

echo "== formatting (clang-format)"
clang-format --dry-run --Werror ext/sse/*.cpp ext/sse/*.h tests/check/*/*.cpp tests/check/*/*.h

echo "== meson tests"
meson_rc=0
meson_log="$(mktemp)"
set +e
meson test -C build --print-errorlogs 2>&1 | tee "$meson_log"
meson_rc=${PIPESTATUS[0]}
set -e
# meson's closing summary: "Ok: N", "Fail: N", "Timeout: N", ...
m_pass=$(awk '/^Ok:/ {n=$2} END {print n+0}' "$meson_log")
m_fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {n+=$NF} END {print n+0}' "$meson_log")
rm -f "$meson_log"

echo "== sanitizers: ASan + UBSan over the unit and element tests (LeakSanitizer on the unit tests)"
san_pass=0
san_fail=0
[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
  -Dexamples=disabled >/dev/null
ninja -C build-asan >/dev/null
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 GST_REGISTRY_FORK=no
if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
  meson test -C build-asan --suite unit --print-errorlogs --logbase asan-unit; then
  san_pass=$((san_pass + 1))
else
  san_fail=$((san_fail + 1))
fi
if ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 meson test -C build-asan --suite element --print-errorlogs \
  --logbase asan-element; then
  san_pass=$((san_pass + 1))
else
  san_fail=$((san_fail + 1))
fi
unset UBSAN_OPTIONS GST_REGISTRY_FORK

echo "== fuzzing: a short libFuzzer run of each target (clang)"
fz_pass=0
fz_fail=0
if command -v clang++ >/dev/null; then
  [ -f build-fuzz/build.ninja ] || CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzing=true -Dtests=disabled \
    -Dexamples=disabled >/dev/null
  ninja -C build-fuzz tests/fuzz/fuzz-ts-chunker tests/fuzz/fuzz-requests tests/fuzz/fuzz-gzip-frame \
    tests/fuzz/fuzz-mux-id >/dev/null
  corpus="$(mktemp -d)"
  gst-launch-1.0 -q videotestsrc num-buffers=10 ! video/x-raw,width=64,height=48 ! x264enc key-int-max=5 ! \
    mpegtsmux ! filesink location="$corpus/seed.ts"
  for t in fuzz-ts-chunker fuzz-requests fuzz-gzip-frame fuzz-mux-id; do
    dir="$corpus/$t"
    mkdir -p "$dir"
    [ "$t" = fuzz-ts-chunker ] && cp "$corpus/seed.ts" "$dir/"
    if "build-fuzz/tests/fuzz/$t" -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=0 "$dir" \
      >"$corpus/$t.log" 2>&1; then
      echo "$t: $(grep -o 'Done [0-9]* runs' "$corpus/$t.log")"
      fz_pass=$((fz_pass + 1))
    else
      tail -30 "$corpus/$t.log"
      fz_fail=$((fz_fail + 1))
    fi
  done
  rm -rf "$corpus"
fi

w_pass=0
w_fail=0
if [ -f web/package.json ] && [ -f tests/browser/run.sh ]; then
  echo "== player and browser tests"
  if out=$(bash tests/browser/run.sh 2>&1); then :; fi
  echo "$out"
  w_pass=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)/\1/p' | awk '{s+=$1} END {print s+0}')
  w_fail=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)/\1/p' | awk '{s+=$1} END {print s+0}')
fi

# Builds the Debian package and installs it for a few seconds (then purges
# it), so it runs last, after every test that loads the plugin from build/.
echo "== install test: the Debian package, apt-get install/purge, meson install (tests/install/run.sh)"
i_pass=0
i_fail=0
if bash tests/install/run.sh; then i_pass=1; else i_fail=1; fi

total_pass=$((m_pass + w_pass + san_pass + fz_pass + i_pass))
total_fail=$((m_fail + w_fail + san_fail + fz_fail + i_fail))
[ "$meson_rc" -eq 0 ] || [ "$total_fail" -gt 0 ] || total_fail=1
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" -eq 0 ]
