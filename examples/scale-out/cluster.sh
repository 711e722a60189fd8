#!/usr/bin/env bash
# Runs a two-node nchan cluster on loopback for ssesink to publish to: one
# redis-server and two nginx + nchan nodes sharing it, every file (configs,
# pid files, logs, temporary files) under one state directory.
#
#   cluster.sh start  [--dir D] [--ports A,B] [--redis-port R] [options]
#   cluster.sh stop   --dir D [--only redis|node1|node2]
#   cluster.sh status --dir D
#
# `start` prints KEY=VALUE lines (also saved as D/cluster.env) and returns
# once Redis answers and both nodes accept publications. See README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template="$here/nchan-node.conf.in"
# Not $NGINX: nginx reads that variable as a list of inherited sockets.
NGINX_BIN=${NGINX_BIN:-nginx}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
NCHAN_MODULE=${NCHAN_MODULE:-/usr/lib/nginx/modules/ngx_nchan_module.so}
HOST=127.0.0.1
NODES=(node1 node2)

usage() {
  cat <<EOF
Usage:
  $0 start [--dir D] [--ports A,B] [--redis-port R] [options]
  $0 stop --dir D [--only redis|node1|node2]
  $0 status --dir D

start: runs redis-server and two nginx + nchan nodes on $HOST, waits until
they are ready, prints KEY=VALUE lines (NODE1_PUBLISH=http://...) and saves
them in D/cluster.env. With --only, (re)starts one part of a cluster that
was started before in D, with its saved settings.
  --dir D              state directory (created; default: a new mktemp -d)
  --ports A,B          HTTP ports of the two nodes (default: free ports)
  --redis-port R       Redis port (default: a free port)
  --channel NAME       channel in the printed URLs (default: live)
  --buffer-length N    messages kept per channel (default: 300)
  --message-timeout T  how long a message is kept, nginx time (default: 30s)
  --first-message N    what a new subscriber gets first: -N = the newest N
                       messages, oldest, newest (default: -30)
  --allow-origin O     CORS origins allowed to subscribe, space-separated
                       (default: any)
  --publish-token T    require 'Authorization: Bearer T' to publish
  --workers N          nginx worker processes per node (default: 1)
  --timeout S          seconds to wait for readiness (default: 10)
stop: stops what start started in D (all of it, or --only one part); logs
and configs stay in D. status: prints the state of each part; exit status 0
when all are running, 3 otherwise.
EOF
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

# Settings, overridden by options and, for stop/status/--only, by D/cluster.env.
dir=""
ports=""
redis_port=""
channel=live
buffer_length=300
message_timeout=30s
first_message=-30
# nchan's own default: echo the request's Origin, i.e. allow any.
# shellcheck disable=SC2016
allow_origin='$http_origin'
publish_token=""
workers=1
timeout=10
only=""

# A port is taken for our purposes when something accepts connections on it.
port_in_use() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# A random port below Linux's ephemeral range (32768-60999), so it does not
# collide with the local ports of outgoing connections.
free_port() {
  local p tries=0
  while ((tries++ < 200)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    [[ " $* " == *" $p "* ]] && continue
    port_in_use "$p" || {
      echo "$p"
      return 0
    }
  done
  die "found no free port"
}

node_port() {
  local i=$1 ps
  IFS=, read -r -a ps <<<"$ports"
  echo "${ps[$i]}"
}

# Polls "$@" until it succeeds (0) or gives up (2: the process died), for
# at most $timeout seconds.
wait_for() {
  local deadline=$((SECONDS + timeout)) rc
  while :; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    case $rc in
      0) return 0 ;;
      2) return 1 ;;
    esac
    ((SECONDS < deadline)) || return 1
    sleep 0.02
  done
}

save_env() {
  local f="$dir/cluster.env"
  {
    echo "SSE_CLUSTER_DIR=$dir"
    echo "REDIS_PORT=$redis_port"
    echo "REDIS_URL=redis://$HOST:$redis_port"
    echo "PORTS=$ports"
    echo "CHANNEL=$channel"
    local i n
    for i in "${!NODES[@]}"; do
      n=$((i + 1))
      echo "NODE${n}_PUBLISH=http://$HOST:$(node_port "$i")/pub/$channel"
      echo "NODE${n}_SUBSCRIBE=http://$HOST:$(node_port "$i")/sub/$channel"
    done
    # The rest is what --only needs to rebuild the same configuration.
    echo "BUFFER_LENGTH=$buffer_length"
    echo "MESSAGE_TIMEOUT=$message_timeout"
    echo "FIRST_MESSAGE=$first_message"
    echo "ALLOW_ORIGIN=$allow_origin"
    echo "PUBLISH_TOKEN=$publish_token"
    echo "WORKERS=$workers"
  } >"$f.tmp"
  mv "$f.tmp" "$f"
}

# Reads D/cluster.env without executing it.
load_env() {
  local f="$dir/cluster.env" k v
  [ -f "$f" ] || die "no cluster in $dir (no cluster.env)"
  while IFS='=' read -r k v; do
    case $k in
      REDIS_PORT) redis_port=$v ;;
      PORTS) ports=$v ;;
      CHANNEL) channel=$v ;;
      BUFFER_LENGTH) buffer_length=$v ;;
      MESSAGE_TIMEOUT) message_timeout=$v ;;
      FIRST_MESSAGE) first_message=$v ;;
      ALLOW_ORIGIN) allow_origin=$v ;;
      PUBLISH_TOKEN) publish_token=$v ;;
      WORKERS) workers=$v ;;
    esac
  done <"$f"
}

# True while the process runs (a zombie, exited but not yet reaped by its
# parent, counts as gone: daemons are reparented to whatever init there is).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Prints the pid in $1 when that process is alive and is $2 (so a pid file
# left behind, whose pid now belongs to something else, is never signalled).
live_pid() {
  local pidfile=$1 name=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name" || return 1
  echo "$pid"
}

redis_pidfile() { echo "$dir/redis/redis.pid"; }
node_pidfile() { echo "$dir/$1/nginx.pid"; }

redis_cli() {
  # redis-cli waits forever for an answer that may never come.
  timeout 1 "$REDIS_CLI" -h "$HOST" -p "$redis_port" "$@"
}

redis_up() {
  # Only whether the process is alive: right after the start it may still be
  # setsid, not yet redis-server, and that must not count as "exited".
  local pid
  pid=$(<"$(redis_pidfile)") || return 2
  alive "$pid" || return 2
  [ "$(redis_cli ping 2>/dev/null)" = PONG ]
}

# Prints the last lines of a log to stderr, to explain a failure.
show_log() {
  [ -f "$1" ] || return 0
  echo "--- last lines of $1:" >&2
  tail -n 5 "$1" >&2
}

start_redis() {
  if live_pid "$(redis_pidfile)" redis-server >/dev/null; then
    echo "cluster.sh: redis already running" >&2
    return 0
  fi
  mkdir -p "$dir/redis"
  local log="$dir/redis/redis.log"
  # In the background rather than --daemonize, to know its pid at once and
  # see it exit (a taken port) without waiting for the timeout. setsid: its
  # own session, away from the caller's terminal and signals. No
  # persistence: the channel buffers are short-lived by design.
  setsid "$REDIS_SERVER" --bind "$HOST" --port "$redis_port" --daemonize no \
    --dir "$dir/redis" --logfile "$log" --save '' --appendonly no \
    </dev/null >/dev/null 2>&1 &
  echo $! >"$(redis_pidfile)"
  if ! wait_for redis_up; then
    echo "cluster.sh: redis on port $redis_port not ready" >&2
    show_log "$log"
    stop_redis
    return 1
  fi
  # The pid Redis reports, in case setsid had to fork.
  redis_cli info server |
    sed -n 's/^process_id:\([0-9]*\).*/\1/p' >"$(redis_pidfile)"
}

write_node_conf() {
  local node=$1 port=$2 d="$dir/$1"
  mkdir -p "$d/tmp"
  local default=1 authorization=""
  if [ -n "$publish_token" ]; then
    default=0
    authorization="Bearer $publish_token"
  fi
  sed -e "s|@NCHAN_MODULE@|$NCHAN_MODULE|g" \
    -e "s|@WORKERS@|$workers|g" \
    -e "s|@LOG_LEVEL@|notice|g" \
    -e "s|@REDIS_URL@|redis://$HOST:$redis_port|g" \
    -e "s|@PUBLISH_DEFAULT@|$default|g" \
    -e "s|@PUBLISH_AUTHORIZATION@|$authorization|g" \
    -e "s|@LISTEN@|$HOST:$port|g" \
    -e "s|@BUFFER_LENGTH@|$buffer_length|g" \
    -e "s|@MESSAGE_TIMEOUT@|$message_timeout|g" \
    -e "s|@FIRST_MESSAGE_ABS@|${first_message#-}|g" \
    -e "s|@FIRST_MESSAGE@|$first_message|g" \
    -e "s|@ALLOW_ORIGIN@|$allow_origin|g" \
    "$template" >"$d/nginx.conf.tmp"
  mv "$d/nginx.conf.tmp" "$d/nginx.conf"
}

# Ready means: nginx accepts requests and nchan reaches Redis (a GET on the
# publisher location answers the channel's state: 200, or 404 for a channel
# nobody published to; 5xx while Redis is not connected).
node_ready() {
  local node=$1 port=$2 code
  local auth=()
  [ -z "$publish_token" ] || auth=(-H "Authorization: Bearer $publish_token")
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "${auth[@]}" \
    "http://$HOST:$port/pub/$channel") || code=000
  [ "$code" = 200 ] || [ "$code" = 404 ] && return 0
  live_pid "$(node_pidfile "$node")" nginx >/dev/null || return 2
  return 1
}

start_node() {
  local i=$1 node=${NODES[$1]} port log
  port=$(node_port "$i")
  log="$dir/$node/error.log"
  if live_pid "$(node_pidfile "$node")" nginx >/dev/null; then
    echo "cluster.sh: $node already running" >&2
    return 0
  fi
  write_node_conf "$node" "$port"
  # With `daemon on`, nginx returns once it has bound its port (or failed).
  if ! env -u NGINX "$NGINX_BIN" -p "$dir/$node/" -c nginx.conf -e error.log 2>>"$log"; then
    echo "cluster.sh: $node failed to start on port $port" >&2
    show_log "$log"
    return 1
  fi
  if ! wait_for node_ready "$node" "$port"; then
    echo "cluster.sh: $node on port $port not ready" >&2
    show_log "$log"
    return 1
  fi
}

# Waits up to $timeout seconds for the processes to exit, then kills them.
reap() {
  local deadline=$((SECONDS + timeout)) pid running
  while :; do
    running=()
    for pid in "$@"; do
      ! alive "$pid" || running+=("$pid")
    done
    ((${#running[@]})) || return 0
    if ((SECONDS >= deadline)); then
      kill -KILL "${running[@]}" 2>/dev/null || true
      return 0
    fi
    sleep 0.02
  done
}

# SIGTERM: Redis exits without saving (as configured); nginx shuts down
# fast, cutting subscribers at once (SIGQUIT would wait for them to leave).
stop_redis() {
  local pid
  pid=$(live_pid "$(redis_pidfile)" redis-server) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  reap "$pid"
}

stop_node() {
  local node=$1 master children
  master=$(live_pid "$(node_pidfile "$node")" nginx) || return 0
  # The workers too: they would keep the port if the master had to be killed.
  mapfile -t children < <(pgrep -P "$master" || true)
  kill -TERM "$master" 2>/dev/null || true
  reap "$master" "${children[@]}"
  rm -f "$(node_pidfile "$node")"
}

stop_all() {
  stop_node node1
  stop_node node2
  stop_redis
}

print_env() {
  grep -E '^(SSE_CLUSTER_DIR|REDIS_URL|NODE[0-9]+_(PUBLISH|SUBSCRIBE))=' "$dir/cluster.env"
}

cmd_start() {
  if [ -n "$only" ]; then
    load_env
    case $only in
      redis) start_redis ;;
      node1) start_node 0 ;;
      node2) start_node 1 ;;
      *) die "--only takes redis, node1 or node2" ;;
    esac || die "start failed; logs in $dir"
  else
    if [ -z "$dir" ]; then
      dir=$(mktemp -d "${TMPDIR:-/tmp}/sse-cluster.XXXXXX")
    fi
    mkdir -p "$dir"
    if live_pid "$(redis_pidfile)" redis-server >/dev/null ||
      live_pid "$(node_pidfile node1)" nginx >/dev/null ||
      live_pid "$(node_pidfile node2)" nginx >/dev/null; then
      die "a cluster is running in $dir: stop it first, or start one part with --only"
    fi
    [ -n "$redis_port" ] || redis_port=$(free_port)
    if [ -z "$ports" ]; then
      local a b
      a=$(free_port "$redis_port")
      b=$(free_port "$redis_port" "$a")
      ports="$a,$b"
    fi
    save_env
    local p
    for p in "$redis_port" ${ports//,/ }; do
      ! port_in_use "$p" || die "port $p is in use"
    done
    # All or nothing: a failed start leaves no process behind.
    if ! { start_redis && start_node 0 && start_node 1; }; then
      stop_all
      die "start failed; logs in $dir"
    fi
  fi
  print_env
}

cmd_stop() {
  [ -n "$dir" ] || die "stop needs --dir"
  [ -d "$dir" ] || die "no directory $dir"
  case $only in
    "") stop_all ;;
    redis) stop_redis ;;
    node1 | node2) stop_node "$only" ;;
    *) die "--only takes redis, node1 or node2" ;;
  esac
}

cmd_status() {
  [ -n "$dir" ] || die "status needs --dir"
  load_env
  local all=0 pid i node
  if pid=$(live_pid "$(redis_pidfile)" redis-server); then
    echo "redis  running  pid $pid  redis://$HOST:$redis_port"
  else
    echo "redis  stopped"
    all=3
  fi
  for i in "${!NODES[@]}"; do
    node=${NODES[$i]}
    if pid=$(live_pid "$(node_pidfile "$node")" nginx); then
      echo "$node  running  pid $pid  http://$HOST:$(node_port "$i")/sub/$channel"
    else
      echo "$node  stopped"
      all=3
    fi
  done
  return $all
}

(($#)) || {
  usage >&2
  exit 2
}
cmd=$1
shift
while (($#)); do
  case $1 in
    --dir) dir=${2:?--dir needs a value} ;;
    --ports) ports=${2:?--ports needs a value} ;;
    --redis-port) redis_port=${2:?--redis-port needs a value} ;;
    --channel) channel=${2:?} ;;
    --buffer-length) buffer_length=${2:?} ;;
    --message-timeout) message_timeout=${2:?} ;;
    --first-message) first_message=${2:?} ;;
    --allow-origin) allow_origin=${2:?} ;;
    --publish-token) publish_token=${2:?} ;;
    --workers) workers=${2:?} ;;
    --timeout) timeout=${2:?} ;;
    --only) only=${2:?} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift 2
done
[ -z "$dir" ] || dir=$(realpath -m "$dir")
# Values end up in nginx.conf: accept only what is meaningful there.
[[ -z $ports || $ports =~ ^[0-9]+,[0-9]+$ ]] || die "--ports takes two ports: A,B"
[[ -z $redis_port || $redis_port =~ ^[0-9]+$ ]] || die "--redis-port takes a port number"
[[ $channel =~ ^[A-Za-z0-9_.-]+$ ]] || die "--channel: letters, digits, _ . - only"
[[ $buffer_length =~ ^[0-9]+$ ]] || die "--buffer-length takes a number"
[[ $message_timeout =~ ^[0-9]+[smhd]?$ ]] || die "--message-timeout takes an nginx time (30s, 5m)"
[[ $first_message =~ ^(-?[0-9]+|oldest|newest)$ ]] || die "--first-message takes -N, N, oldest or newest"
[[ $allow_origin =~ ^[^\"\|\\\&]+$ ]] || die "--allow-origin: no quotes, |, & or backslashes"
[[ $publish_token =~ ^[A-Za-z0-9._~+/=-]*$ ]] || die "--publish-token: token68 characters only"
[[ $workers =~ ^([1-9][0-9]*|auto)$ ]] || die "--workers takes a number or auto"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout takes whole seconds"

case $cmd in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
