#!/usr/bin/env bash
# For setups built the older way: GStreamer serves MPEG-TS on a TCP port
# (tcpserversink) and a web app relays it to browsers as Server-Sent Events.
# Here the relay is a second pipeline: it reads that TCP port and serves it
# with ssesink, so the producer stays as it is while the web app goes.
#
#   producer:  ... ! mpegtsmux ! tcpserversink host=127.0.0.1 port=5000
#   bridge:    tcpclientsrc host=127.0.0.1 port=5000 ! tsparse ! ssesink port=8080
#
#   bash examples/launch/tcp-bridge.sh                   # both, as two processes
#   ROLE=producer bash examples/launch/tcp-bridge.sh     # only the TCP side
#   ROLE=bridge TCP_HOST=10.0.0.5 bash examples/launch/tcp-bridge.sh
#
# ROLE: both (default), producer or bridge. TCP_HOST (127.0.0.1) and
# TCP_PORT (5000) are where the producer listens and the bridge connects.
# tsparse finds the 188-byte packets in the TCP byte stream and gives
# ssesink the caps it needs. Once nothing else reads the TCP port, a single
# pipeline (`... ! mpegtsmux ! ssesink`, see camera.sh) does the same with one
# process and no copy through the loopback.
#
# Ctrl-C stops both sides with EOS; if one side ends, the other is stopped.
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}" FRAMERATE="${FRAMERATE:-30}"
ROLE="${ROLE:-both}"
TCP_HOST="${TCP_HOST:-127.0.0.1}"
TCP_PORT="${TCP_PORT:-5000}"

producer_cmd() {
  raw_video_source
  h264_encoder
  cmd=(gst-launch-1.0 -e "${raw_src[@]}" ! "${h264enc[@]}" ! mpegtsmux
    ! tcpserversink host="$TCP_HOST" port="$TCP_PORT")
}

# No timestamps come over TCP and the producer paces the stream, so the sink
# does not wait on the clock (sync=false).
bridge_cmd() {
  cmd=(gst-launch-1.0 -e "${verbose[@]}" tcpclientsrc host="$TCP_HOST" port="$TCP_PORT"
    ! tsparse
    ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH" sync=false)
}

# Waits until something accepts connections on TCP_HOST:TCP_PORT (for at most
# $1 tenths of a second), unless process $2 ends first.
wait_for_producer() {
  local tries="$1" pid="${2:-}"
  while ((tries-- > 0)); do
    if (exec 3<>"/dev/tcp/$TCP_HOST/$TCP_PORT") 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

case "$ROLE" in
  producer)
    producer_cmd
    echo "Producer: MPEG-TS on tcp://$TCP_HOST:$TCP_PORT"
    exec "${cmd[@]}"
    ;;
  bridge)
    wait_for_producer 100 ||
      die "nothing accepts connections on $TCP_HOST:$TCP_PORT; start the producer first (ROLE=producer)"
    bridge_cmd
    print_urls "$STREAM_PATH"
    exec "${cmd[@]}"
    ;;
  both) ;;
  *) die "ROLE must be both, producer or bridge (not '$ROLE')" ;;
esac

# Both: each side in its own session, so that Ctrl-C reaches only this script,
# which stops them one by one with a single SIGINT each (a second SIGINT would
# make gst-launch abort instead of finishing with EOS).
producer_cmd
echo "Producer: MPEG-TS on tcp://$TCP_HOST:$TCP_PORT"
setsid "${cmd[@]}" </dev/null &
producer=$!
bridge=""
declare -A stopped=()
stop() {
  local pid
  for pid in $bridge $producer; do
    if [ -z "${stopped[$pid]:-}" ]; then
      stopped[$pid]=1
      kill -INT "$pid" 2>/dev/null || true
    fi
  done
}
interrupts=0
# shellcheck disable=SC2317 # called by the trap
on_signal() {
  interrupts=$((interrupts + 1))
  if ((interrupts == 1)); then
    stop
  else
    # shellcheck disable=SC2086 # $bridge is empty until the bridge starts
    kill -INT $bridge $producer 2>/dev/null || true # again: abort
  fi
}
trap on_signal INT TERM

if ! wait_for_producer 100 "$producer"; then
  stop
  wait "$producer" || true
  die "the producer did not start listening on $TCP_HOST:$TCP_PORT"
fi
bridge_cmd
echo "Bridge: tcp://$TCP_HOST:$TCP_PORT -> ssesink"
print_urls "$STREAM_PATH"
setsid "${cmd[@]}" </dev/null &
bridge=$!
((interrupts == 0)) || stop

# Reap both; when one ends first, stop the other. A trapped signal interrupts
# wait -n without a process (ended stays empty).
rc=0
running=("$producer" "$bridge")
while ((${#running[@]})); do
  ended=""
  if wait -n -p ended "${running[@]}"; then status=0; else status=$?; fi
  [ -n "${ended:-}" ] || continue
  ((status == 0)) || rc=$status
  mapfile -t running < <(printf '%s\n' "${running[@]}" | grep -vx "$ended")
  stop
done
exit "$rc"
