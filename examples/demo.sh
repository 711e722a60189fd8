#!/usr/bin/env bash
# One-command demo: installs what is missing (Debian 12), builds, and serves
# the camera (/dev/video0) or, without one, a test pattern, with the player
# at the printed URL. Ctrl-C stops it cleanly.
#
#   bash examples/demo.sh            # http://localhost:8080/
#   PORT=9000 ADDRESS=0.0.0.0 bash examples/demo.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash .ci/install-deps.sh
bash .ci/build.sh

PORT="${PORT:-8080}"
ADDRESS="${ADDRESS:-localhost}"
DEVICE="${DEVICE:-/dev/video0}"
export GST_PLUGIN_PATH="$root/build/ext/sse${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

if [ -e "$DEVICE" ]; then
  echo "Camera: $DEVICE"
  src=(v4l2src device="$DEVICE" ! videoconvert ! videoscale ! "video/x-raw,width=1280,height=720" ! timeoverlay)
else
  echo "No camera at $DEVICE: using a test pattern"
  src=(videotestsrc is-live=true pattern=ball ! "video/x-raw,width=1280,height=720,framerate=30/1" ! timeoverlay)
fi

host="$ADDRESS"
[ "$host" = "0.0.0.0" ] && host="$(hostname -I 2>/dev/null | awk '{print $1}')"
echo
echo "  Player:       http://${host:-localhost}:$PORT/"
echo "  Event stream: http://${host:-localhost}:$PORT/stream   (curl -N ...)"
echo

exec gst-launch-1.0 -e "${src[@]}" ! \
  x264enc tune=zerolatency speed-preset=veryfast key-int-max=30 bitrate=2000 ! \
  mpegtsmux ! \
  ssesink address="$ADDRESS" port="$PORT"
