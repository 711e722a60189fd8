#!/usr/bin/env bash
# A video file played live, in a loop, at its own pace: viewers who join see
# what is playing now, as with a camera.
#
#   bash examples/launch/file-loop.sh movie.mp4     # or FILE=movie.mp4
#   bash examples/launch/file-loop.sh               # a generated 10 s clip
#
# Any file GStreamer can decode (decodebin) is transcoded once, before
# serving, into H.264 (keyframe every second) in MPEG-TS, a format that can be
# read again from its start seamlessly: multifilesrc loop=true reads it over
# and over, tsdemux makes the timestamps continue across the loops, and
# ssesink (sync=true, its default) sends each frame when it is due. Nothing
# is encoded while serving. Only the video is kept (for audio see
# audio-aac.sh).
#
# An MPEG-TS file that already holds H.264 with regular keyframes (say, a
# recording of this stream) is looped as it is: FILE=rec.ts TRANSCODE=no.
#
# FRAMERATE (30) is the rate the file is converted to, WIDTH and HEIGHT (unset:
# the file's size) its picture size. See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
FILE="${1:-${FILE:-}}"
TRANSCODE="${TRANSCODE:-yes}"
FRAMERATE="${FRAMERATE:-30}" WIDTH="${WIDTH:-}" HEIGHT="${HEIGHT:-}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
h264_encoder

if [ -z "$FILE" ]; then
  echo "No FILE: generating a 10 s clip to loop"
  WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}"
  test_pattern smpte
  test_src[1]=is-live=false
  gst-launch-1.0 -q "${test_src[@]}" num-buffers=$((10 * FRAMERATE)) \
    ! "${h264enc[@]}" ! mpegtsmux ! filesink location="$work/loop.ts"
  loop_file="$work/loop.ts"
elif [ "$TRANSCODE" = no ]; then
  [ -r "$FILE" ] || die "cannot read $FILE"
  loop_file="$FILE"
else
  [ -r "$FILE" ] || die "cannot read $FILE"
  size=()
  if [ -n "$WIDTH" ] && [ -n "$HEIGHT" ]; then
    size=(! videoscale ! "video/x-raw,width=$WIDTH,height=$HEIGHT,pixel-aspect-ratio=1/1")
  fi
  echo "Transcoding $FILE to H.264 in MPEG-TS, once ..."
  gst-launch-1.0 -q filesrc location="$FILE" ! decodebin ! videoconvert \
    ! videorate ! "video/x-raw,framerate=$FRAMERATE/1" "${size[@]}" \
    ! "${h264enc[@]}" ! mpegtsmux ! filesink location="$work/loop.ts"
  loop_file="$work/loop.ts"
fi
echo "Looping $loop_file"
print_urls "$STREAM_PATH"

# Not exec: the trap removes the transcoded file when gst-launch ends.
gst-launch-1.0 -e multifilesrc location="$loop_file" loop=true \
  ! tsdemux \
  ! h264parse config-interval=-1 \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
