# shellcheck shell=bash
# The private Docker engine and the apt proxy relay of test/compose-up/run.sh (sourced).
#
# The engine (dockerd, and the containerd it starts) runs in a network
# namespace of its own, entered with `nsenter --net` (`ip netns exec` would
# remount /sys, and dockerd then finds no devices cgroup), with its data root,
# exec root, socket and trust key under the work folder, and without
# iptables, masquerading or the default bridge: the root namespace's
# interfaces, routes and firewall are never touched. User-defined bridge
# networks (the compose network) still work with --bridge=none: the bridge
# is made inside the engine's namespace.

# The relay's port inside the engine's namespace (its own loopback: nothing else listens there).
RELAY_PORT=3142

NS=hcu-$$
ENG=
DOCKERD_PID=
TINYPROXY_PID=
RELAY_OUT_PID=
RELAY_IN_PID=
PROXY_STARTED=0
# What dockerd 20.10 creates outside its roots whatever the flags; removed when this run made it.
RUN_DOCKER_EXISTED=0
KEY_JSON_EXISTED=0
declare -a CLEANUP_PROBLEMS=()

start_engine() {
  local t
  t=$(now_us)
  [ -d /run/docker ] && RUN_DOCKER_EXISTED=1
  [ -e /etc/docker/key.json ] && KEY_JSON_EXISTED=1
  ip netns add "$NS" || {
    bad "network namespace $NS"
    return 1
  }
  ip -n "$NS" link set lo up
  ENG=$WORK/engine
  mkdir -p "$ENG"
  # dockerd 20.10 writes its trust key to /etc/docker/key.json unless told otherwise.
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$ENG" >"$ENG/daemon.json"
  nsenter --net="/run/netns/$NS" dockerd --config-file "$ENG/daemon.json" \
    --data-root "$ENG/root" --exec-root "$ENG/exec" -H "unix://$ENG/docker.sock" --pidfile "$ENG/docker.pid" \
    --iptables=false --ip-masq=false --bridge=none >"$LOGS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST=unix://$ENG/docker.sock
  for _ in $(seq 1 120); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    if docker version >/dev/null 2>&1; then
      ok "docker engine in namespace $NS (pid $DOCKERD_PID, $(since "$t") s)"
      return 0
    fi
    sleep 0.5
  done
  bad "docker engine in namespace $NS did not answer within 60 s"
  show_log "$LOGS/dockerd.log"
  return 1
}

# The hosts of the machine's Debian sources (deb822): all tinyproxy may fetch from.
mirror_hosts() {
  awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$DEBIAN_SOURCES" | sed -E 's#^[a-z]+://##; s#[/:].*$##' | sort -u
}

# Builds reach the Debian mirror through tinyproxy on 127.0.0.1 in the root
# namespace, relayed over a unix socket to 127.0.0.1:RELAY_PORT in the
# engine's namespace (`docker build --network host` then sees it there).
start_proxy() {
  [ "$PROXY_STARTED" = 1 ] && return 0
  local t port px
  t=$(now_us)
  px=$WORK/proxy
  mkdir -p "$px"
  chmod 0755 "$px"
  mirror_hosts | sed -E 's/\./\\./g; s/^/^/; s/$/$/' >"$px/filter"
  : >"$px/tinyproxy.log"
  chown nobody "$px/tinyproxy.log"
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    listening "$port" && continue
    cat >"$px/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port $port
Listen 127.0.0.1
Allow 127.0.0.1
Timeout 120
MaxClients 64
LogLevel Notice
LogFile "$px/tinyproxy.log"
DisableViaHeader Yes
Filter "$px/filter"
FilterType ere
FilterDefaultDeny Yes
CONF
    tinyproxy -d -c "$px/tinyproxy.conf" >>"$LOGS/tinyproxy.out" 2>&1 &
    TINYPROXY_PID=$!
    for _ in $(seq 1 20); do
      listening "$port" && break
      kill -0 "$TINYPROXY_PID" 2>/dev/null || break
      sleep 0.1
    done
    listening "$port" && break
    stop_pid "$TINYPROXY_PID" 2
    TINYPROXY_PID=
  done
  if [ -z "$TINYPROXY_PID" ]; then
    bad "tinyproxy on 127.0.0.1 (5 ports tried)"
    show_log "$px/tinyproxy.log"
    return 1
  fi
  socat "UNIX-LISTEN:$px/proxy.sock,fork,mode=600" "TCP:127.0.0.1:$port" 2>>"$LOGS/relay.log" &
  RELAY_OUT_PID=$!
  for _ in $(seq 1 20); do
    [ -S "$px/proxy.sock" ] && break
    sleep 0.1
  done
  nsenter --net="/run/netns/$NS" socat "TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$px/proxy.sock" 2>>"$LOGS/relay.log" &
  RELAY_IN_PID=$!
  for _ in $(seq 1 20); do
    listening "$RELAY_PORT" "$NS" && break
    sleep 0.1
  done
  if ! listening "$RELAY_PORT" "$NS"; then
    bad "proxy relay into namespace $NS"
    show_log "$LOGS/relay.log"
    return 1
  fi
  PROXY_STARTED=1
  ok "apt proxy: tinyproxy 127.0.0.1:$port (mirror hosts only), relayed to 127.0.0.1:$RELAY_PORT in $NS ($(since "$t") s)"
}

# Stops what start_engine and start_proxy started, deletes the namespace, and
# checks that nothing of this run is left: no process (by pid, in the
# namespace, or naming the work folder), no mount, no namespace, no file
# outside the work folder. Problems go to CLEANUP_PROBLEMS.
stop_engine() {
  local left m re
  stop_pid "$DOCKERD_PID" 60 || CLEANUP_PROBLEMS+=("dockerd needed SIGKILL")
  stop_pid "$RELAY_IN_PID" 5 || CLEANUP_PROBLEMS+=("relay in $NS needed SIGKILL")
  stop_pid "$RELAY_OUT_PID" 5 || CLEANUP_PROBLEMS+=("relay outside needed SIGKILL")
  stop_pid "$TINYPROXY_PID" 10 || CLEANUP_PROBLEMS+=("tinyproxy needed SIGKILL")
  if [ -e "/run/netns/$NS" ]; then
    left=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
    if [ -n "$left" ]; then
      # Only processes in this run's own namespace: all started by this run's engine.
      CLEANUP_PROBLEMS+=("processes left in $NS: $left")
      for m in $left; do kill -KILL "$m" 2>/dev/null; done
      sleep 1
    fi
    ip netns del "$NS" || CLEANUP_PROBLEMS+=("ip netns del $NS failed")
  fi
  [ -e "/run/netns/$NS" ] && CLEANUP_PROBLEMS+=("namespace $NS still exists")
  if [ "$RUN_DOCKER_EXISTED" = 0 ] && [ -d /run/docker ]; then
    rmdir /run/docker/plugins /run/docker 2>/dev/null || CLEANUP_PROBLEMS+=("/run/docker is not empty")
  fi
  if [ "$KEY_JSON_EXISTED" = 0 ] && [ -e /etc/docker/key.json ]; then CLEANUP_PROBLEMS+=("/etc/docker/key.json was written"); fi
  [ -n "$WORK" ] || return 0
  # dockerd leaves the bind mount of its default network sandbox (exec-root/netns/default) behind.
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || CLEANUP_PROBLEMS+=("cannot unmount $m")
  done < <(awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  contains "$(cat /proc/self/mountinfo)" "$WORK/" && CLEANUP_PROBLEMS+=("mounts left under $WORK")
  # A pattern that does not match grep's own command line: /[v]ar/tmp/... for /var/tmp/...
  # (the dots of the mktemp name match themselves too).
  re="/[${WORK:1:1}]${WORK:2}"
  left=$(grep -lsE "$re" /proc/[0-9]*/cmdline | sed -E 's#/proc/([0-9]+)/cmdline#\1#' | tr '\n' ' ')
  [ -n "$left" ] && CLEANUP_PROBLEMS+=("processes left: $left")
  return 0
}
