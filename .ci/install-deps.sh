#!/usr/bin/env bash
# Installs what gst-sse needs to build, run its demo and run its tests, on
# Debian 12. Idempotent: only missing packages are installed.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config clang-format
  # the Debian package and its install test (debian/, tests/install/)
  dpkg-dev debhelper fakeroot lintian
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsoup-3.0-dev libjson-glib-dev zlib1g-dev
  # signed access tokens: libjwt verifies them, OpenSSL reads their public keys
  libjwt-dev libssl-dev
  # runtime plugins used by the demo and the tests
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # timeoverlay (only a Recommends of plugins-good)
  gstreamer1.0-x
  # HTTPS (GIO's TLS backend) and test certificates
  glib-networking openssl
  # the Python example (PyGObject from Debian, run with /usr/bin/python3)
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  # the benchmark suite: the seed's Flask rebuild, Google Benchmark, plots
  python3-flask libbenchmark-dev gnuplot-nox
  # test clients and checks; clang and its runtime for the fuzz targets;
  # PyJWT mints the JWT tests' tokens (and is docs/security.md's example)
  curl ffmpeg chromium clang libclang-rt-14-dev python3-jwt
  # the browser tests' other engines: Firefox ESR (decodes H.264 with the
  # libavcodec that ffmpeg brings), WebKitGTK's WebDriver + MiniBrowser
  # (media through GStreamer: plugins-good/bad, libav above) on an X server
  # of its own
  firefox-esr webkit2gtk-driver xvfb
  # sound for the audio tests: each browser launch gets its own PulseAudio
  # daemon with a null sink (tests/browser/lib/audio-sink.mjs)
  pulseaudio pulseaudio-utils
  # the scale-out example and its tests: nginx + nchan nodes sharing Redis
  # (examples/scale-out/cluster.sh runs its own on loopback ports)
  nginx libnginx-mod-nchan redis-server
  # /metrics: promtool checks the exposition, a prometheus server scrapes it
  prometheus
)
# Installing these starts system services on ports 80, 6379 and 9090 by default.
daemons=(nginx redis-server prometheus)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo

  # Daemons installed now are kept from starting: the tests start their own
  # on loopback, and a system nginx on port 80 or Redis on 6379 would only
  # be in the way. Ones that were installed before are left as they are.
  new_daemons=()
  for d in "${daemons[@]}"; do
    [[ " ${missing[*]} " != *" $d "* ]] || new_daemons+=("$d")
  done
  policy=/usr/sbin/policy-rc.d
  if ((${#new_daemons[@]})) && [ ! -e "$policy" ]; then
    # Debian's way to tell maintainer scripts not to start services (101:
    # action forbidden); removed again below, even when apt-get fails.
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi

  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

  # ... nor at the next boot, where systemd runs the machine.
  if ((${#new_daemons[@]})) && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "${new_daemons[@]}" || true
  fi
fi
