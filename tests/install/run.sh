#!/usr/bin/env bash
# The install test (issue 18): gst-sse installed the way users install it,
# with nothing from this tree on GStreamer's paths.
#
#  1. versions: meson.build, debian/changelog and the top entry of NEWS agree;
#  2. `meson dist --no-tests` makes the release tarball from HEAD (what is
#     committed, so a fresh clone and this work tree give the same);
#  3. from that tarball, outside the tree: `meson setup --prefix=<GStreamer's
#     prefix>`, build, `meson install --destdir`: the plugin lands in
#     `pkg-config --variable=pluginsdir gstreamer-1.0`;
#  4. from the same tarball: `dpkg-buildpackage -us -uc -b` with
#     DEB_BUILD_OPTIONS=nocheck (tests/run-all.sh runs the suite itself); the
#     package's fields, file list and lintian's output go into the log, and
#     a lintian error fails the test;
#  5. `apt-get install -y ./gstreamer1.0-sse_*.deb` with no GST_PLUGIN_PATH
#     and an empty registry (GST_REGISTRY, a new file): gst-inspect-1.0 finds
#     ssesink in the package's file, --exists/--atleast-version answer as
#     README.md says, and a videotestsrc ! x264enc ! mpegtsmux ! ssesink
#     port=0 pipeline serves the player (with mpegts.js) and events (curl on
#     127.0.0.1);
#  6. `apt-get purge`: the file is gone and gst-inspect-1.0 no longer finds
#     ssesink.
#
# The package stays installed only for step 5 (seconds): a trap purges it
# and stops the pipeline on any exit, as other tests on this machine load
# the plugin from build/ and would otherwise see two plugins named "sse".
# Needs root or sudo (apt-get), debhelper, lintian, meson; KEEP=1 keeps the
# work directory. Ends with "install test: passed" or a line saying what
# failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

PKG=gstreamer1.0-sse
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
t0=$SECONDS

fail() {
  echo "install test: FAILED: $*" >&2
  exit 1
}
step() { echo "== install test [$((SECONDS - t0)) s]: $*"; }

installed() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep "install ok installed" >/dev/null; }

work="$(mktemp -d /tmp/gst-sse-install.XXXXXX)"
# apt-get reads the .deb as user _apt.
chmod 755 "$work"
mkdir -m 755 "$work/src"
pipeline_pid=""
cleanup() {
  rc=$?
  if [ -n "$pipeline_pid" ]; then
    kill -INT "$pipeline_pid" 2>/dev/null || true
    wait "$pipeline_pid" 2>/dev/null || true
  fi
  if installed; then
    echo "install test: purging $PKG (cleanup)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -q "$PKG" >/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "install test: work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# GStreamer sees only what is installed, and builds its registry afresh.
unset GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0 GST_PLUGIN_SYSTEM_PATH GST_PLUGIN_SYSTEM_PATH_1_0 GST_REGISTRY_1_0
export GST_REGISTRY_FORK=no

if installed; then
  fail "$PKG is installed already: remove it first (apt-get purge $PKG)"
fi
for tool in meson ninja dpkg-buildpackage lintian gst-inspect-1.0 gst-launch-1.0 curl pkg-config; do
  command -v "$tool" >/dev/null || fail "$tool not found: run bash .ci/install-deps.sh"
done
# The tarball carries mpegts.js (tools/dist-vendor.sh), as .ci/build.sh does.
if [ ! -f web/node_modules/mpegts.js/dist/mpegts.js ]; then
  npm ci --prefix web --no-audit --no-fund
fi

step "1. versions"
meson_version="$(sed -n "s/^ *version : '\([^']*\)',.*/\1/p" meson.build | sed -n 1p)"
deb_version="$(dpkg-parsechangelog -l debian/changelog -S Version)"
news_version="$(sed -n 's/^## \([0-9][0-9.]*\) .*/\1/p' NEWS | sed -n 1p)"
echo "meson.build $meson_version, debian/changelog $deb_version, NEWS $news_version"
[ -n "$meson_version" ] && [ "$meson_version" = "$deb_version" ] && [ "$meson_version" = "$news_version" ] ||
  fail "the versions in meson.build, debian/changelog and NEWS differ"
version="$meson_version"
IFS=. read -r v_major v_minor v_micro <<<"$version"

step "2. meson dist --no-tests"
prefix="$(pkg-config --variable=prefix gstreamer-1.0)"
pluginsdir="$(pkg-config --variable=pluginsdir gstreamer-1.0)"
[ -n "$(git status --porcelain --untracked-files=no)" ] &&
  echo "(the work tree has uncommitted changes: the tarball holds HEAD, without them)"
meson setup "$work/build" --prefix="$prefix" -Dtests=disabled -Dexamples=disabled -Ddoc=disabled >/dev/null
meson dist -C "$work/build" --no-tests --allow-dirty --formats xztar
tarball="$work/build/meson-dist/gst-sse-$version.tar.xz"
[ -f "$tarball" ] || fail "meson dist made no $tarball"
tar -tJf "$tarball" | grep "^gst-sse-$version/web/node_modules/mpegts.js/dist/mpegts.js$" >/dev/null ||
  fail "the tarball lacks mpegts.js"
tar -xJf "$tarball" -C "$work/src"
src="$work/src/gst-sse-$version"

step "3. from the tarball: meson setup --prefix=$prefix, build, meson install --destdir"
meson setup "$work/src-build" "$src" --prefix="$prefix" -Dtests=disabled -Dexamples=disabled -Ddoc=disabled \
  >/dev/null
ninja -C "$work/src-build" >"$work/ninja.log" 2>&1 || {
  tail -40 "$work/ninja.log"
  fail "the build from the tarball failed"
}
meson install -C "$work/src-build" --destdir "$work/destdir" --no-rebuild
(cd "$work/destdir" && find . -type f -o -type l | sort)
[ -f "$work/destdir$pluginsdir/libgstsse.so" ] || fail "meson install put no libgstsse.so into $pluginsdir"
[ "$(cd "$work/destdir" && find . -type f | wc -l)" -eq 1 ] || fail "meson install put more than the plugin"

step "4. dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck)"
# nocheck both ways: the option skips the tests, the profile their
# Build-Depends (debian/control, <!nocheck>).
(cd "$src" && DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck dpkg-buildpackage -us -uc -b) >"$work/dpkg-buildpackage.log" 2>&1 || {
  tail -40 "$work/dpkg-buildpackage.log"
  fail "dpkg-buildpackage failed"
}
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
# dpkg-buildpackage writes next to the source directory.
deb="$work/src/${PKG}_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no $deb"
chmod 644 "$deb"
echo "-- the package's fields"
dpkg-deb -f "$deb"
echo "-- the package's files"
dpkg-deb -c "$deb"
dpkg-deb -c "$deb" | grep " \.$pluginsdir/libgstsse\.so$" >/dev/null || fail "the package has no $pluginsdir/libgstsse.so"
[ "$(dpkg-deb -f "$deb" GStreamer-Elements)" = ssesink ] ||
  fail "the GStreamer-Elements field is not 'ssesink' (dh_gstscancodecs)"
[ "$(dpkg-deb -f "$deb" GStreamer-Version)" = "$(pkg-config --modversion gstreamer-1.0 | cut -d. -f1,2)" ] ||
  fail "the GStreamer-Version field is not GStreamer's MAJOR.MINOR (dh_gstscancodecs)"
echo "-- lintian"
lintian_rc=0
lintian --info --display-info --pedantic "$work/src/gst-sse_${version}_${arch}.changes" || lintian_rc=$?
echo "-- lintian exit status $lintian_rc"
[ "$lintian_rc" -eq 0 ] || fail "lintian reports errors (above)"

step "5. apt-get install -y ./$(basename "$deb")"
export GST_REGISTRY="$work/registry-installed.bin"
(cd "$work/src" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "./$(basename "$deb")") ||
  fail "apt-get install failed"
installed || fail "$PKG is not installed after apt-get install"
dpkg -L "$PKG" | grep -x "$pluginsdir/libgstsse.so" >/dev/null || fail "dpkg -L $PKG lacks $pluginsdir/libgstsse.so"
inspect="$(gst-inspect-1.0 ssesink)" || fail "gst-inspect-1.0 ssesink failed after the install"
echo "$inspect" | sed -n '/^Plugin Details:/,/^$/p'
# GStreamer may name the file by another path to the same place (/lib is
# /usr/lib with merged /usr).
loaded="$(echo "$inspect" | sed -n 's/^ *Filename *//p')"
[ "$(readlink -f "$loaded")" = "$(readlink -f "$pluginsdir/libgstsse.so")" ] ||
  fail "ssesink is loaded from $loaded, not from $pluginsdir"
echo "$inspect" | grep -E "^ +Version +$version$" >/dev/null || fail "the plugin does not report version $version"

# --atleast-version compares with the plugin's version; --exists alone with
# GStreamer's own MAJOR.MINOR.0 (README.md, Install).
exists() {
  local rc=0
  gst-inspect-1.0 --exists "$@" ssesink || rc=$?
  echo "gst-inspect-1.0 --exists${*:+ $*} ssesink: exit status $rc"
  return "$rc"
}
exists --atleast-version="$version" || fail "--atleast-version=$version does not match the installed $version"
exists --atleast-version="$v_major.$v_minor" || fail "--atleast-version=$v_major.$v_minor does not match $version"
if exists --atleast-version="$v_major.$((v_minor + 1)).0"; then
  fail "--atleast-version=$v_major.$((v_minor + 1)).0 matches the older $version"
fi
gst_mm="$(pkg-config --modversion gstreamer-1.0 | cut -d. -f1,2)"
if [ "$(printf '%s\n' "$gst_mm.0" "$version" | sort -V | sed -n 1p)" = "$gst_mm.0" ]; then
  exists || fail "--exists without a version fails though $version >= GStreamer's $gst_mm.0"
else
  if exists; then
    fail "--exists without a version passes though $version < GStreamer's $gst_mm.0: README.md says otherwise"
  fi
fi

gst-launch-1.0 -v videotestsrc is-live=true ! video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! \
  x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! mpegtsmux ! \
  ssesink name=sse address=127.0.0.1 port=0 >"$work/pipeline.log" 2>&1 &
pipeline_pid=$!
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/.*sse: current-port = \([1-9][0-9]*\).*/\1/p' "$work/pipeline.log" | sed -n 1p)"
  [ -n "$port" ] && break
  kill -0 "$pipeline_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || {
  cat "$work/pipeline.log"
  fail "the pipeline printed no current-port"
}
base="http://127.0.0.1:$port"
echo "the pipeline serves $base"
page="$(curl -sS --max-time 10 -f "$base/")" || fail "GET / failed"
echo "$page" | grep '<script type="module" src="src/main.js">' >/dev/null || fail "GET / is not the player page"
curl -sS --max-time 10 -f -o "$work/mpegts.js" "$base/vendor/mpegts.js" || fail "GET /vendor/mpegts.js failed"
cmp -s "$work/mpegts.js" "$src/web/node_modules/mpegts.js/dist/mpegts.js" ||
  fail "/vendor/mpegts.js is not the tarball's mpegts.js"
# The stream event, then a key media event whose data is TS (0x47: "R" in
# Base64); curl ends when awk has seen them (or at --max-time).
seen="$(curl -sSN --max-time 20 "$base/stream" 2>/dev/null |
  awk '/^event: stream$/ {s = 1} s && /^data: \{"seq":[0-9]+,"key":true,.*"data":"R/ {print "ok"; exit}' || true)"
[ "$seen" = ok ] || fail "GET /stream gave no stream event followed by a key media event"
echo "GET /, /vendor/mpegts.js and /stream: the player, mpegts.js, a stream event and a key media event"
kill -INT "$pipeline_pid"
wait "$pipeline_pid" || true
pipeline_pid=""

step "6. apt-get purge $PKG"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -q "$PKG" || fail "apt-get purge failed"
installed && fail "$PKG is still installed"
[ ! -e "$pluginsdir/libgstsse.so" ] || fail "$pluginsdir/libgstsse.so is still there"
export GST_REGISTRY="$work/registry-removed.bin"
if gst-inspect-1.0 ssesink >/dev/null 2>&1; then
  fail "gst-inspect-1.0 still finds ssesink after the purge"
fi
if exists --atleast-version=0.0.0; then
  fail "--exists still finds ssesink after the purge"
fi

echo "install test: passed in $((SECONDS - t0)) s"
