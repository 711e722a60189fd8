#!/usr/bin/env bash
# One-command demo: installs what is missing (Debian 12), builds, and serves
# the camera (/dev/video0) or, without one, a test pattern, with the player
# at the printed URL. Ctrl-C stops it cleanly.
#
#   bash examples/demo.sh            # http://localhost:8080/
#   PORT=9000 ADDRESS=0.0.0.0 bash examples/demo.sh
#
# Also read: SOURCE (auto, camera or test), DEVICE (/dev/video0), WIDTH and
# HEIGHT (1280x720: the camera's picture is scaled to it), SETUP=0 to skip
# the install and build steps. examples/README.md lists the other examples.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "${SETUP:-1}" != 0 ]; then
  bash .ci/install-deps.sh
  bash .ci/build.sh
fi

source "$root/examples/launch/common.sh"
WIDTH="${WIDTH:-1280}" HEIGHT="${HEIGHT:-720}" FRAMERATE="${FRAMERATE:-30}"

pick_source
if ((use_camera)); then
  # Whatever raw mode the camera picks, scaled to WIDTH x HEIGHT.
  clock_overlay
  src=(v4l2src device="$DEVICE" ! videoconvert ! videoscale ! "video/x-raw,width=$WIDTH,height=$HEIGHT"
    "${overlay[@]}")
else
  test_pattern ball
  src=("${test_src[@]}")
fi
h264_encoder
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" "${src[@]}" \
  ! "${h264enc[@]}" \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
