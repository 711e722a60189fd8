#!/usr/bin/env bash
# A USB camera (raw video) to the browser; a test pattern when there is no
# camera. Whatever raw format the camera gives (YUYV, NV12, ...) is converted
# to I420 before the H.264 encoder (h264_encoder in common.sh), so that every
# browser can decode what is served.
#
#   bash examples/launch/camera.sh
#   DEVICE=/dev/video2 WIDTH=1280 HEIGHT=720 FRAMERATE=10 bash examples/launch/camera.sh
#   SOURCE=test PORT=9000 ADDRESS=0.0.0.0 bash examples/launch/camera.sh
#
# The caps after v4l2src pick the camera mode; `v4l2-ctl --list-formats-ext`
# (package v4l-utils) lists those it has. 640x480 at 30 fps is the raw mode
# nearly every USB camera offers; over USB 2 larger raw modes often run at
# 10 fps or less (for 720p30 and up see camera-mjpeg.sh and camera-h264.sh).
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}" FRAMERATE="${FRAMERATE:-30}"

raw_video_source
h264_encoder
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" "${raw_src[@]}" \
  ! "${h264enc[@]}" \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
