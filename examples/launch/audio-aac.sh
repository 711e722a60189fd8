#!/usr/bin/env bash
# Video with AAC audio in one MPEG-TS: camera or test pattern, plus a
# microphone (ALSA) or a test tone, both muxed by mpegtsmux.
#
#   bash examples/launch/audio-aac.sh
#   AUDIO=alsa ALSA_DEVICE=hw:1 bash examples/launch/audio-aac.sh
#   AUDIO=pulse bash examples/launch/audio-aac.sh
#
# AUDIO: auto (ALSA when alsasrc is installed, package gstreamer1.0-alsa, and
# the machine has a capture device; the test tone otherwise), alsa, pulse or
# test (a tick every second, handy for checking lip sync against the clock in
# the picture). The AAC encoder is the first of fdkaacenc, avenc_aac
# (gstreamer1.0-libav) and voaacenc (gstreamer1.0-plugins-bad) installed.
#
# The player plays the AAC on its WebCodecs path, the sound's clock leading
# the picture (MSE where WebCodecs cannot): the page starts muted and shows
# an Unmute button.
# See common.sh for the other variables.
source "$(dirname "$0")/common.sh"
WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}" FRAMERATE="${FRAMERATE:-30}"
AUDIO="${AUDIO:-auto}"
ALSA_DEVICE="${ALSA_DEVICE:-default}"

raw_video_source

if [ "$AUDIO" = auto ]; then
  AUDIO="test"
  if grep -qs capture /proc/asound/pcm; then
    if have_element alsasrc; then AUDIO=alsa; else echo "A sound card, but no alsasrc: install gstreamer1.0-alsa"; fi
  fi
fi
case "$AUDIO" in
  alsa) asrc=(alsasrc device="$ALSA_DEVICE") ;;
  pulse) asrc=(pulsesrc) ;;
  test) asrc=(audiotestsrc is-live=true wave=ticks volume=0.5) ;;
  *) die "AUDIO must be auto, alsa, pulse or test (not '$AUDIO')" ;;
esac
echo "Audio: ${asrc[*]}"
h264_encoder
aac_encoder
echo "AAC encoder: ${aacenc[0]}"
print_urls "$STREAM_PATH"

exec gst-launch-1.0 -e "${verbose[@]}" \
  "${raw_src[@]}" ! "${h264enc[@]}" ! queue ! mux. \
  "${asrc[@]}" ! audioconvert ! audioresample ! "audio/x-raw,rate=48000,channels=2" \
  ! "${aacenc[@]}" ! aacparse ! queue ! mux. \
  mpegtsmux name=mux \
  ! ssesink address="$ADDRESS" port="$PORT" path="$STREAM_PATH"
