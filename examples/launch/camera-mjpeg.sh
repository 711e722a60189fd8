#!/usr/bin/env bash
# A camera that outputs MJPEG (most USB cameras, for 720p and up at full frame
# rate): each JPEG is decoded and the video encoded to H.264, which is what
# the player decodes.
#
#   bash examples/launch/camera-mjpeg.sh
#   DEVICE=/dev/video2 WIDTH=1920 HEIGHT=1080 BITRATE=4000 bash examples/launch/camera-mjpeg.sh
#
# Without a camera (or with SOURCE=test) the test pattern is encoded to JPEG
# first, standing in for the camera, and goes through the same decoder.
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-1280}" HEIGHT="${HEIGHT:-720}" FRAMERATE="${FRAMERATE:-30}"

pick_source
caps="image/jpeg,width=$WIDTH,height=$HEIGHT,framerate=$FRAMERATE/1"
if ((use_camera)); then
  src=(v4l2src device="$DEVICE" ! "$caps")
else
  test_pattern ball
  src=("${test_src[@]}" ! jpegenc quality=85 ! "$caps")
fi
h264_encoder
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" "${src[@]}" \
  ! jpegdec \
  ! "${h264enc[@]}" \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
