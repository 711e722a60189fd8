#!/usr/bin/env bash
# Join storm: a live 320x240 H.264 stream through ssesink, then N clients
# connecting at once (sse-load --clients 1000 --connect-rate 1000). Fails
# unless every client gets 200 and a key event first, with no event lost and
# no connection refused. Prints the join times; never asserts on them.
#
# usage: join-storm.sh SSE_LOAD [CLIENTS] [DURATION_S]
# GST_PLUGIN_PATH must name the directory holding libgstsse.so.
set -euo pipefail

sse_load=$1
clients=${2:-1000}
duration=${3:-5}
work=$(mktemp -d)
gst_pid=

cleanup() {
  if [ -n "$gst_pid" ] && kill -0 "$gst_pid" 2>/dev/null; then
    kill -INT "$gst_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$gst_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$gst_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Both processes need a descriptor per client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# port=0: the element picks a free port and notifies current-port, which
# gst-launch -v prints. The log exists before the background job opens it,
# so the poll below never reads a missing file (set -e would end the test).
: >"$work/gst.log"
gst-launch-1.0 -v -e \
  videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 \
  ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 \
  ! mpegtsmux ! ssesink port=0 address=127.0.0.1 >"$work/gst.log" 2>&1 &
gst_pid=$!

port=
for _ in $(seq 200); do
  port=$(sed -n 's/.*current-port = \([0-9][0-9]*\).*/\1/p' "$work/gst.log" | tail -n 1)
  [ -n "$port" ] && [ "$port" != 0 ] && break
  kill -0 "$gst_pid" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$port" ] || [ "$port" = 0 ]; then
  echo "join-storm: the pipeline did not start:" >&2
  cat "$work/gst.log" >&2
  exit 1
fi
echo "join-storm: ssesink on 127.0.0.1:$port (pid $gst_pid)"

# --wait polls with one client until a key event arrives; then the storm.
status=0
"$sse_load" --mode sse --port "$port" --clients "$clients" --connect-rate "$clients" \
  --duration "$duration" --wait 20 --check --pid "$gst_pid" --label join-storm || status=$?
if ! kill -0 "$gst_pid" 2>/dev/null; then
  echo "join-storm: the pipeline died:" >&2
  tail -n 20 "$work/gst.log" >&2
  exit 1
fi
exit "$status"
