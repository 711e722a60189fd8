#!/usr/bin/env bash
# Installs what gst-sse needs to build, run its demo and run its tests, on
# Debian 12. Idempotent: only missing packages are installed.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config clang-format
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libsoup-3.0-dev libjson-glib-dev
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
  # test clients and checks; clang and its runtime for the fuzz targets
  curl ffmpeg chromium clang libclang-rt-14-dev
)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
