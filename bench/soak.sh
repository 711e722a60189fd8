#!/usr/bin/env bash
# Soak test of ssesink (documented in docs/security.md; not part of CI's
# default run): a live stream with CLIENTS steady clients (bench/sse-load)
# for DURATION seconds while CYCLES short clients connect, read a little and
# disconnect. Prints the server's RSS and open file descriptors at the start,
# during, and at the end: both must come back flat.
#
#   bash bench/soak.sh                         # 30 min, 200 clients, 10000 cycles
#   DURATION=30 CLIENTS=50 CYCLES=300 bash bench/soak.sh   # a quick look
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${DURATION:-1800}"
CLIENTS="${CLIENTS:-200}"
CYCLES="${CYCLES:-10000}"
build="${BUILD_DIR:-$root/build}"
load="$build/bench/sse-load"
[ -x "$load" ] || { echo "build first: bash .ci/build.sh" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
GST_PLUGIN_PATH="$build/ext/sse" gst-launch-1.0 -q \
  videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1,format=I420 ! \
  x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=1500 ! mpegtsmux ! \
  ssesink address=127.0.0.1 port="$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
  sleep 0.1
done

figures() { # label
  local rss fds
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
  fds=$(ls "/proc/$server/fd" | wc -l)
  printf '%-10s RSS %7s KiB   fds %5s   clients %s\n' "$1" "$rss" "$fds" \
    "$(curl -s --max-time 2 "http://127.0.0.1:$port/" >/dev/null && echo up || echo DOWN)"
}

figures start
ls "/proc/$server/fd" | wc -l >"${TMPDIR:-/tmp}/soak-start-fds"
"$load" --port "$port" --clients "$CLIENTS" --connect-rate 200 --duration "$DURATION" --check \
  >"${TMPDIR:-/tmp}/soak-load.txt" 2>&1 &
steady=$!
done_cycles=0
deadline=$((SECONDS + DURATION))
while ((done_cycles < CYCLES && SECONDS < deadline)); do
  curl -s -N -o /dev/null --max-time 0.1 "http://127.0.0.1:$port/stream" || true
  done_cycles=$((done_cycles + 1))
  ((done_cycles % 1000 == 0)) && figures "$done_cycles cyc"
done
wait $steady && status=ok || status=FAILED
# The server sees a closed connection at its next write (within a frame).
start_fds=$(cat "${TMPDIR:-/tmp}/soak-start-fds")
for _ in $(seq 50); do
  (($(ls "/proc/$server/fd" | wc -l) <= start_fds + 1)) && break
  sleep 0.2
done
figures end
echo "cycles: $done_cycles; steady clients ($CLIENTS for ${DURATION}s): $status"
tail -5 "${TMPDIR:-/tmp}/soak-load.txt"
