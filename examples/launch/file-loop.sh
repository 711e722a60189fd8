#!/usr/bin/env bash
# A video file played live, in a loop, at its own pace: viewers who join see
# what is playing now, as with a camera.
#
#   bash examples/launch/file-loop.sh movie.mp4     # or FILE=movie.mp4
#   bash examples/launch/file-loop.sh               # a generated 10 s clip
#
# First, once, the file is transcoded (decodebin: any format GStreamer reads)
# to H.264 with a keyframe every second, in MPEG-TS cut at the keyframes into
# one-second segments (multifilesink next-file=key-frame). Then multifilesrc
# loop=true reads the segments in turn, over and over; tsdemux makes the
# timestamps continue across the loops, and ssesink (sync=true, its default)
# sends each frame when it is due. Nothing is encoded while serving. Only the
# video is kept (for audio see audio-aac.sh).
#
# Why segments: multifilesrc reads a whole file into one buffer, so with one
# big file memory would grow with the file and Ctrl-C (EOS) would wait for its
# end; with segments it waits for the end of the current second. Feeding the
# file through a pipe (fdsrc) instead would end the stream in the middle of a
# frame. (splitmuxsink would cut the segments too, but with mpegtsmux it
# sometimes never finishes in GStreamer 1.22.)
#
# The segments are kept in ${XDG_CACHE_HOME:-~/.cache}/gst-sse/ and used again
# while the file and the settings stay the same. TRANSCODE=no keeps the
# file's own H.264 (MP4, Matroska, MPEG-TS, ...: parsebin): no encoding at all,
# but then the file's keyframe interval is how long a new viewer waits, and its
# profile is what browsers get: a High 4:2:2, High 4:4:4 or 10-bit file plays
# only in some of them (ssesink posts a warning that says so).
#
# FRAMERATE (30) is the rate the file is converted to, WIDTH and HEIGHT (unset:
# the file's size) its picture size. See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
FILE="${1:-${FILE:-}}"
TRANSCODE="${TRANSCODE:-yes}"
FRAMERATE="${FRAMERATE:-30}" WIDTH="${WIDTH:-}" HEIGHT="${HEIGHT:-}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gst-sse"
h264_encoder

# Makes directory $1 of segments from the gst-launch-1.0 arguments that
# follow (a pipeline that ends in parsed H.264), unless it exists already.
# Written to $1.part and renamed, so an interrupted run leaves nothing used.
segment() {
  local dir="$1"
  shift
  if [ -d "$dir" ]; then
    echo "Using the segments made before: $dir"
    return
  fi
  mkdir -p "$cache"
  rm -rf "$dir.part"
  mkdir "$dir.part"
  # shellcheck disable=SC2064 # $dir is expanded now, on purpose
  trap "rm -rf '$dir.part'" EXIT
  gst-launch-1.0 -q "$@" ! mpegtsmux \
    ! multifilesink next-file=key-frame min-keyframe-distance=1000000000 location="$dir.part/%05d.ts"
  mv "$dir.part" "$dir"
  trap - EXIT
}

if [ -z "$FILE" ]; then
  WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}"
  dir="$cache/clip-${WIDTH}x${HEIGHT}-${FRAMERATE}fps-${BITRATE}k"
  if [ ! -d "$dir" ]; then
    echo "No FILE: generating a 10 s clip to loop"
    clock_overlay
  fi
  segment "$dir" videotestsrc pattern=smpte num-buffers=$((10 * FRAMERATE)) \
    ! "video/x-raw,width=$WIDTH,height=$HEIGHT,framerate=$FRAMERATE/1" "${overlay[@]}" \
    ! "${h264enc[@]}" ! h264parse
else
  [ -r "$FILE" ] || die "cannot read $FILE"
  key="$(realpath "$FILE") $(stat -c %s.%Y "$FILE") $TRANSCODE $FRAMERATE $WIDTH $HEIGHT $BITRATE"
  dir="$cache/loop-$(echo "$key" | sha1sum | cut -c1-16)"
  if [ "$TRANSCODE" = no ]; then
    [ -d "$dir" ] || echo "Cutting the H.264 of $FILE into segments, once: $dir"
    segment "$dir" filesrc location="$FILE" ! parsebin ! video/x-h264 ! h264parse
  else
    size=()
    if [ -n "$WIDTH" ] && [ -n "$HEIGHT" ]; then
      size=(! videoscale ! "video/x-raw,width=$WIDTH,height=$HEIGHT,pixel-aspect-ratio=1/1")
    fi
    [ -d "$dir" ] || echo "Transcoding $FILE to H.264 segments, once: $dir"
    segment "$dir" filesrc location="$FILE" ! decodebin ! videoconvert \
      ! videorate ! "video/x-raw,framerate=$FRAMERATE/1" "${size[@]}" \
      ! "${h264enc[@]}" ! h264parse
  fi
fi
echo "Looping $(find "$dir" -name '*.ts' | wc -l) segments from $dir"
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" multifilesrc location="$dir/%05d.ts" loop=true \
  ! tsdemux \
  ! h264parse config-interval=-1 \
  ! mpegtsmux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
