#!/usr/bin/env bash
# Two streams from one server: two ssesinks in one pipeline with the same
# address and port share one HTTP server, each on its own path. The page at /
# lists the streams; /?src=PATH plays one.
#
#   bash examples/launch/two-streams.sh
#   CAMERA_PATH=/front PATTERN_PATH=/test bash examples/launch/two-streams.sh
#
# The first stream is the camera (or a test pattern, see SOURCE), the second
# always a test pattern. Sharing works within one process, with a fixed port
# (not 0); another process on the same port fails with "address in use".
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}" FRAMERATE="${FRAMERATE:-30}"
CAMERA_PATH="${CAMERA_PATH:-/camera}"
PATTERN_PATH="${PATTERN_PATH:-/pattern}"
[ "$PORT" != 0 ] || die "PORT=0 cannot be shared: the two ssesinks need the same fixed port"

raw_video_source
test_pattern smpte
src2=("${test_src[@]}")
h264_encoder
print_urls "$CAMERA_PATH" "$PATTERN_PATH"

exec gst-launch-1.0 -e \
  "${raw_src[@]}" ! "${h264enc[@]}" ! mpegtsmux \
  ! ssesink name=camera address="$ADDRESS" port="$PORT" path="$CAMERA_PATH" \
  "${src2[@]}" ! "${h264enc[@]}" ! mpegtsmux \
  ! ssesink name=pattern address="$ADDRESS" port="$PORT" path="$PATTERN_PATH"
