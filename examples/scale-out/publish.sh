#!/usr/bin/env bash
# Publishes a live stream to the nchan cluster that cluster.sh started, and
# serves the player, which plays it from either node.
#
#   bash examples/scale-out/cluster.sh start --dir /tmp/sse-cluster
#   bash examples/scale-out/publish.sh /tmp/sse-cluster
#
# ssesink POSTs every event to node 1's publisher URL, and to node 2's when
# node 1 fails (publish-url takes both). It also serves the player on PORT
# (8080), from which the player subscribes to the nodes. PUBLISH_ONLY=1
# publishes only (no port, no player; open the player of another ssesink, or
# subscribe with curl). The other settings (SOURCE, WIDTH, BITRATE...) are
# those of examples/launch/common.sh.
# shellcheck source=../launch/common.sh
source "$(dirname "$0")/../launch/common.sh"
WIDTH="${WIDTH:-640}" HEIGHT="${HEIGHT:-480}" FRAMERATE="${FRAMERATE:-30}"
PUBLISH_ONLY="${PUBLISH_ONLY:-0}"

cluster_dir="${1:-}"
[ -n "$cluster_dir" ] || die "usage: $0 CLUSTER_DIR (the --dir given to cluster.sh start)"
env_file="$cluster_dir/cluster.env"
[ -f "$env_file" ] || die "no $env_file: start the cluster first (bash examples/scale-out/cluster.sh start --dir $cluster_dir)"
# The URLs cluster.sh wrote, read without executing the file.
declare -A cluster
while IFS='=' read -r k v; do cluster[$k]=$v; done <"$env_file"
pub1=${cluster[NODE1_PUBLISH]} pub2=${cluster[NODE2_PUBLISH]}
sub1=${cluster[NODE1_SUBSCRIBE]} sub2=${cluster[NODE2_SUBSCRIBE]}

raw_video_source
h264_encoder

sink=(ssesink publish-url="$pub1, $pub2")
if [ -n "${cluster[PUBLISH_TOKEN]:-}" ]; then
  sink+=(publish-authorization="Bearer ${cluster[PUBLISH_TOKEN]}")
fi
echo
echo "  Publishing to: $pub1 (then $pub2 if it fails)"
if [ "$PUBLISH_ONLY" = 1 ]; then
  sink+=(publish-only=true)
else
  sink+=(address="$ADDRESS" port="$PORT" path="$STREAM_PATH")
  base="http://$(url_host):$PORT"
  [ "$PORT" != 0 ] || base="http://$(url_host):<port>"
  echo "  Player, node 1:  $base/?src=$sub1"
  echo "  Player, node 2:  $base/?src=$sub2"
  echo "  Player, node 1, failing over to node 2:"
  echo "                   $base/?src=$sub1&src=$sub2"
fi
echo "  Events, node 1:  curl -N -H 'Accept: text/event-stream' $sub1"
echo "  Events, node 2:  curl -N -H 'Accept: text/event-stream' $sub2"
echo "  Ctrl-C stops (EOS first: subscribers get 'event: eos')"
echo

exec gst-launch-1.0 -e "${verbose[@]}" \
  "${raw_src[@]}" ! "${h264enc[@]}" ! mpegtsmux ! "${sink[@]}"
