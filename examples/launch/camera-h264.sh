#!/usr/bin/env bash
# A camera that already outputs H.264 (UVC cameras with an H.264 mode,
# Raspberry Pi camera drivers, ...): no encoding here, h264parse only frames
# the stream and repeats SPS/PPS before every keyframe (config-interval=-1),
# so that a client joining at any keyframe can decode.
#
#   bash examples/launch/camera-h264.sh
#   DEVICE=/dev/video2 WIDTH=1920 HEIGHT=1080 bash examples/launch/camera-h264.sh
#   EXTRA_CONTROLS="c,h264_i_frame_period=30" bash examples/launch/camera-h264.sh
#
# Clients join at a keyframe, so the camera's keyframe interval is how long a
# new viewer waits. Drivers that let you set it take a V4L2 control, passed in
# EXTRA_CONTROLS to v4l2src's extra-controls (`v4l2-ctl -l` lists the
# controls; the name varies: h264_i_frame_period, video_gop_size, ...).
#
# Without a camera (or with SOURCE=test) the test pattern is encoded to H.264
# first, standing in for the camera, and goes through the same parser.
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-1280}" HEIGHT="${HEIGHT:-720}" FRAMERATE="${FRAMERATE:-30}"
EXTRA_CONTROLS="${EXTRA_CONTROLS:-}"

pick_source
caps="video/x-h264,width=$WIDTH,height=$HEIGHT,framerate=$FRAMERATE/1"
if ((use_camera)); then
  src=(v4l2src device="$DEVICE" ${EXTRA_CONTROLS:+extra-controls="$EXTRA_CONTROLS"} ! "$caps")
else
  test_pattern ball
  h264_encoder
  src=("${test_src[@]}" ! "${h264enc[@]}" ! "$caps,stream-format=byte-stream")
fi
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" "${src[@]}" \
  ! h264parse config-interval=-1 \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
