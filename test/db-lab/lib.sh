# Database hosts for real, on one machine: each host is a network namespace
# (joined to the others through a bridge in a namespace of its own, so the
# machine's own network never sees an interface or a route) plus a mount
# namespace held by a `sleep`, in which /etc, /usr and /var are overlays and
# the host's bundle files sit at their real paths. The generated scripts and
# the packaged mariadbd then run unmodified. Sourced by run.sh.
# shellcheck shell=bash

LAB_ID="hcdb$$"
LAB_DIR=""
declare -A HOLDER=() DAEMON=()

lab_init() {
  LAB_DIR=$(mktemp -d /tmp/hacompile-db-lab.XXXXXX)
  ip netns add "$LAB_ID-sw"
  ip -n "$LAB_ID-sw" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$LAB_ID-sw" link set br0 up
}

# host_add NAME ADDRESS/PREFIX BUNDLE_HOST_DIR: the namespaces, overlays, a
# fresh /run and datadir, and the bundle's files installed at their paths.
host_add() {
  local name=$1 cidr=$2 bundle=$3 ns="$LAB_ID-$1" dir="$LAB_DIR/$1" d
  ip netns add "$ns"
  ip -n "$LAB_ID-sw" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$LAB_ID-sw" link set "v-$name" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$cidr" dev eth0
  ip -n "$ns" link set eth0 up
  mkdir -p "$dir/data" "$dir/srv"
  for d in etc usr var; do mkdir -p "$dir/u/$d" "$dir/w/$d"; done
  # nsenter and unshare exec without forking: $! is the sleep inside both namespaces.
  nsenter --net="/run/netns/$ns" -- unshare --mount --propagation private -- sleep infinity &
  HOLDER[$name]=$!
  sleep 0.2
  in_host "$name" sh -ec "
    for d in etc usr var; do
      mount -t overlay overlay -o lowerdir=/\$d,upperdir=$dir/u/\$d,workdir=$dir/w/\$d /\$d
    done
    mount -t tmpfs hacompile-run /run
    install -d -o mysql -g mysql /run/mysqld /var/log/mysql
    mount --bind $dir/srv /srv
    rm -rf /var/lib/mysql && install -d -o mysql -g mysql /var/lib/mysql
    mount --bind $dir/data /var/lib/mysql
    chown mysql:mysql /var/lib/mysql
    cp -a $bundle/root/. /
  "
}

in_host() {
  local name=$1
  shift
  nsenter --target "${HOLDER[$name]}" --mount --net -- "$@"
}

# Replaces the host's bundle files by those of another build (a re-apply).
host_reinstall() {
  in_host "$1" cp -a "$2/root/." /
}

db_init() {
  in_host "$1" mariadb-install-db --user=mysql --skip-test-db >"$LAB_DIR/$1/install-db.log" 2>&1
}

db_start() {
  local name=$1 i
  # Not through in_host: a function in the background is a subshell, and
  # $! must be mariadbd itself (nsenter execs it) for kill -9 to reach it.
  nsenter --target "${HOLDER[$name]}" --mount --net -- mariadbd >>"$LAB_DIR/$name/mariadbd.log" 2>&1 &
  DAEMON[$name]=$!
  for ((i = 0; i < 100; i++)); do
    if in_host "$name" mariadb --protocol=SOCKET --user=root -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "mariadbd on $name did not start:" >&2
  tail -n 20 "$LAB_DIR/$name/mariadbd.log" >&2
  return 1
}

db_stop() { # NAME [SIGNAL]
  local name=$1 sig=${2:-TERM} pid=${DAEMON[$1]:-}
  if [[ -z $pid ]]; then return 0; fi
  kill "-$sig" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "DAEMON[$name]"
}

# SQL as root over the host's socket; rows tab-separated, no column names.
sql() {
  in_host "$1" mariadb --protocol=SOCKET --user=root --batch --skip-column-names -e "$2"
}

lab_down() {
  local name
  for name in "${!DAEMON[@]}"; do db_stop "$name" KILL; done
  for name in "${!HOLDER[@]}"; do
    kill "${HOLDER[$name]}" 2>/dev/null || true
    wait "${HOLDER[$name]}" 2>/dev/null || true
    ip netns del "$LAB_ID-$name" 2>/dev/null || true
  done
  ip netns del "$LAB_ID-sw" 2>/dev/null || true
  if [[ -n $LAB_DIR ]]; then rm -rf -- "$LAB_DIR"; fi
}
