# shellcheck shell=bash
# Shared by the scripts in examples/launch/ (sourced, not run). The helpers
# set arrays the scripts use: overlay, test_src, h264enc, aacenc.
# shellcheck disable=SC2034
#
# Every script reads its settings from the environment:
#   PORT         TCP port of the HTTP server (8080; 0: a free one, printed as
#                current-port = N once the server listens)
#   ADDRESS      address to listen on (localhost; 0.0.0.0 or :: for the network)
#   STREAM_PATH  URL path of the event stream (/stream)
#   SOURCE       auto: the camera when DEVICE exists, else a test pattern;
#                camera: the camera or fail; test: the test pattern (auto)
#   DEVICE       V4L2 device of the camera (/dev/video0)
#   WIDTH, HEIGHT, FRAMERATE   picture size and rate (per script defaults)
#   BITRATE      H.264 bitrate in kbit/s (2000)
#   TEST_FORMAT  raw format of the test pattern (unset: GStreamer picks), to
#                stand in for a camera's: YUY2, NV12, ... (the tests use it)
#   BUILD_DIR    meson build directory whose uninstalled ssesink is used when
#                it has one (the repository's build/)

set -euo pipefail

launch_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$launch_dir/../.." && pwd)"

BUILD_DIR="${BUILD_DIR:-$repo_root/build}"
PORT="${PORT:-8080}"
ADDRESS="${ADDRESS:-localhost}"
STREAM_PATH="${STREAM_PATH:-/stream}"
SOURCE="${SOURCE:-auto}"
DEVICE="${DEVICE:-/dev/video0}"
BITRATE="${BITRATE:-2000}"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# The uninstalled plugin from the build directory comes first; without one,
# GStreamer's installed plugins are used (meson install).
if [ -e "$BUILD_DIR/ext/sse/libgstsse.so" ]; then
  export GST_PLUGIN_PATH="$BUILD_DIR/ext/sse${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi
# (Not `gst-inspect-1.0 --exists`: it also requires the plugin's version to be
# at least GStreamer's, and this plugin is 0.1.0.)
have_element() { gst-inspect-1.0 "$1" >/dev/null 2>&1; }
have_element ssesink ||
  die "no ssesink element: build it first (bash .ci/build.sh), or set BUILD_DIR to your meson build directory"

# With PORT=0 the system picks a free port, and gst-launch-1.0 -v prints it
# (current-port = N); --exclude=caps keeps the rest of -v quiet.
verbose=()
[ "$PORT" != 0 ] || verbose=(-v --exclude=caps)

# use_camera=1 when the camera is used, 0 for the test pattern.
pick_source() {
  case "$SOURCE" in
    camera) [ -e "$DEVICE" ] || die "SOURCE=camera, but there is no $DEVICE"; use_camera=1 ;;
    test) use_camera=0 ;;
    auto) if [ -e "$DEVICE" ]; then use_camera=1; else use_camera=0; fi ;;
    *) die "SOURCE must be auto, camera or test (not '$SOURCE')" ;;
  esac
  if ((use_camera)); then
    echo "Camera: $DEVICE"
  else
    echo "Test pattern (SOURCE=$SOURCE, $DEVICE $([ -e "$DEVICE" ] && echo "not used" || echo "absent"))"
  fi
}

# The running clock drawn on pictures (timeoverlay, package gstreamer1.0-x),
# as pipeline arguments; none when that plugin is not installed.
clock_overlay() {
  overlay=()
  if have_element timeoverlay; then
    overlay=(! timeoverlay font-desc="Sans 24")
  else
    echo "(no timeoverlay, package gstreamer1.0-x: no clock on the picture)"
  fi
}

# A live test pattern with a running clock on it: raw video of WIDTH x HEIGHT
# at FRAMERATE. $1 is the videotestsrc pattern (ball).
test_pattern() {
  clock_overlay
  test_src=(videotestsrc is-live=true pattern="${1:-ball}"
    ! "video/x-raw,${TEST_FORMAT:+format=$TEST_FORMAT,}width=$WIDTH,height=$HEIGHT,framerate=$FRAMERATE/1"
    "${overlay[@]}")
}

# Raw video of WIDTH x HEIGHT at FRAMERATE in raw_src: the camera when
# pick_source chose it, else the ball test pattern with a clock.
raw_video_source() {
  pick_source
  if ((use_camera)); then
    raw_src=(v4l2src device="$DEVICE" ! "video/x-raw,width=$WIDTH,height=$HEIGHT,framerate=$FRAMERATE/1")
  else
    test_pattern ball
    raw_src=("${test_src[@]}")
  fi
}

# H.264 for live viewing, from raw video in any format: converted to I420
# first, so that x264enc encodes 4:2:0 8-bit (High profile at most), which
# every browser decodes. Given a camera's YUY2 (4:2:2) or a 4:4:4 format as it
# is, x264enc would pick High 4:2:2 or High 4:4:4 Predictive, which Firefox,
# Safari and hardware decoders cannot play. No B-frames or lookahead
# (tune=zerolatency), and a keyframe every second, where new clients start.
h264_encoder() {
  h264enc=(videoconvert ! video/x-raw,format=I420
    ! x264enc tune=zerolatency speed-preset=veryfast bitrate="$BITRATE" key-int-max="$FRAMERATE")
}

# The first AAC encoder GStreamer has: fdkaacenc (plugins-bad built with
# fdk-aac; not in Debian's), avenc_aac (gstreamer1.0-libav), voaacenc
# (gstreamer1.0-plugins-bad).
aac_encoder() {
  local e
  for e in fdkaacenc avenc_aac voaacenc; do
    if have_element "$e"; then
      aacenc=("$e")
      return
    fi
  done
  die "no AAC encoder: install gstreamer1.0-libav (avenc_aac) or gstreamer1.0-plugins-bad (voaacenc)"
}

# Host for URLs: the address itself, or this machine's first address when
# listening on all of them.
url_host() {
  local h="$ADDRESS"
  case "$h" in
    0.0.0.0 | :: | "") h="$(hostname -I 2>/dev/null | awk '{print $1}')"; h="${h:-localhost}" ;;
  esac
  case "$h" in *:*) h="[$h]" ;; esac
  echo "$h"
}

# Prints where to watch. Arguments: the stream paths served on PORT.
print_urls() {
  local base
  base="http://$(url_host):$PORT"
  [ "$PORT" != 0 ] || base="http://$(url_host):<port>"
  echo
  if (($# == 1)); then
    echo "  Player:       $base/"
  else
    echo "  Streams:      $base/"
    for p; do echo "  Player:       $base/?src=$p"; done
  fi
  for p; do echo "  Event stream: $base$p   (curl -N $base$p)"; done
  [ "$PORT" != 0 ] || echo "  <port>:       the N of 'current-port = N' below (PORT=0: the system picks it)"
  echo "  Ctrl-C stops (EOS first, so clients get 'event: eos')"
  echo
}
