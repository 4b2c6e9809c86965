#!/usr/bin/env bash
# docker compose up, for real: builds an example's compose/ output (default
# wordpress-ha), brings it up under a private Docker engine and exercises it
# through the VIP, then takes everything down again. Ends with the line CI
# reads: "N passed, N failed".
#
#   test/compose-up/run.sh [example]        (as root, after `npm run build`)
#
# Needs the Debian packages docker.io docker-compose debootstrap tinyproxy
# socat (see .ci/run). Nothing outside this run's own namespace and folders is
# changed:
# - the engine (dockerd, with the containerd it starts) runs in a network
#   namespace of its own (hcu-<pid>), entered with `nsenter --net` (ip netns
#   exec would remount /sys, and dockerd then finds no devices cgroup), with
#   its own data root, exec root and socket under a work folder, no iptables,
#   no masquerade and no default bridge: the root namespace's interfaces,
#   routes and firewall are never touched;
# - the base image debian:bookworm-slim is a stand-in made with debootstrap
#   from the machine's own Debian mirror (read from
#   /etc/apt/sources.list.d/debian.sources at run time) and `docker import`;
# - images are built from the generated Dockerfiles, their apt traffic going
#   through tinyproxy on 127.0.0.1 (allowing only the mirror hosts), relayed
#   into the engine's namespace over a unix socket by two socats;
# - HACOMPILE_CI_CACHE (default /var/cache/hacompile-ci) keeps the base root
#   file system and the built images between runs, keyed by sha256 of what
#   made them; a run without it only takes longer.
# Every wait is bounded in count and time; every step prints its duration.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
EXAMPLE=${1:-wordpress-ha}
CACHE=${HACOMPILE_CI_CACHE:-/var/cache/hacompile-ci}/compose-up
SUITE=bookworm
BASE_IMAGE=debian:bookworm-slim
# Bump when the base recipe below changes: cached bases and images made from an older one are not reused.
BASE_RECIPE=1
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
SECRETS=$REPO/test/fixtures/fake.secrets.yaml
# The relay's port inside the engine's namespace (its own loopback: nothing else listens there).
RELAY_PORT=3142
BUILD_JOBS=2
UP_TIMEOUT=900
HEALTH_TIMEOUT=300
FAILOVER_REQUESTS=150

NS=hcu-$$
WORK=
ENG=
LOGS=
COMPOSE_DIR=
CLIENT=
DOCKERD_PID=
TINYPROXY_PID=
RELAY_OUT_PID=
RELAY_IN_PID=
STACK_UP=0
RUN_DOCKER_EXISTED=0
KEY_JSON_EXISTED=0
declare -a USED_CACHE=()

passed=0
failed=0
RUN_START=${EPOCHREALTIME/./}

export DOCKER_BUILDKIT=0

# ---------------------------------------------------------------- reporting

now_us() { echo "${EPOCHREALTIME/./}"; }

# seconds since a now_us value, one decimal
since() {
  local d=$(($(now_us) - $1))
  printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

ok() {
  passed=$((passed + 1))
  printf 'ok    %s\n' "$*"
}

bad() {
  failed=$((failed + 1))
  printf 'FAIL  %s\n' "$*"
}

note() {
  printf '      %s\n' "$*"
}

# the last lines of a log, indented, when a step failed
show_log() {
  [ -s "$1" ] || return 0
  tail -n "${2:-25}" "$1" | sed 's/^/      | /'
}

# ---------------------------------------------------------------- helpers

dk() { docker "$@"; }
dc() { (cd "$COMPOSE_DIR" && docker-compose --ansi never "$@"); }

# Container ids of the compose services, asked once after up (docker-compose takes a second to start).
declare -A CIDS=()
cid() { echo "${CIDS[$1]:-}"; }

# run in a service's container, bounded; in_svc_stdin passes this script's stdin on
in_svc() {
  local id
  id=$(cid "$1")
  [ -n "$id" ] || return 1
  shift
  timeout 60 docker exec "$id" "$@" </dev/null
}

in_svc_stdin() {
  local id
  id=$(cid "$1")
  [ -n "$id" ] || return 1
  shift
  timeout 60 docker exec -i "$id" "$@"
}

# curl from the client container, Host: the site's domain; bounded per request
client_curl() {
  timeout 30 docker exec -i "$CLIENT" curl -sS --max-time 20 -H "Host: $DOMAIN" "$@"
}

header() {
  # $1 = response with headers (curl -i), $2 = header name
  printf '%s\n' "$1" | tr -d '\r' | sed -n "1,/^\$/p" | grep -i "^$2:" | head -n 1 | sed -E 's/^[^:]+:[[:space:]]*//'
}

status_of() {
  printf '%s\n' "$1" | head -n 1 | awk '{print $2}'
}

body_of() {
  printf '%s\n' "$1" | tr -d '\r' | sed '1,/^$/d'
}

# Whether a text holds a string. Not `... | grep -q`: grep stops at the first
# match, the writer gets SIGPIPE, and pipefail turns the match into a failure.
contains() { [[ $1 == *"$2"* ]]; }

# Whether something listens on a TCP port (here, or in the namespace given as $2).
listening() {
  local out
  if [ -n "${2:-}" ]; then out=$(nsenter --net="/run/netns/$2" ss -Hltn "sport = :$1"); else out=$(ss -Hltn "sport = :$1"); fi
  [ -n "$out" ]
}

# Whether a service's container has the VIP on an interface.
has_vip() {
  contains "$(in_svc "$1" ip -4 -o addr show 2>/dev/null)" " $VIP/"
}

in_list() {
  local x=$1
  shift
  local y
  for y in "$@"; do [ "$x" = "$y" ] && return 0; done
  return 1
}

# The hosts of the lines of a deb822 sources file: what tinyproxy may fetch from.
mirror_hosts() {
  awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$DEBIAN_SOURCES" | sed -E 's#^[a-z]+://##; s#[/:].*$##' | sort -u
}

# ---------------------------------------------------------------- output

build_output() {
  local t
  t=$(now_us)
  if [ ! -e "$REPO/dist/test/compose-up/plan.js" ]; then
    (cd "$REPO" && npm run --silent build) >"$LOGS/npm-build.log" 2>&1 || {
      bad "compile hacompile (npm run build)"
      show_log "$LOGS/npm-build.log"
      return 1
    }
  fi
  if ! (cd "$REPO" && node bin/hacompile.js build "examples/$EXAMPLE/topology.yaml" -o "$WORK/out" --target compose \
    --secrets "$SECRETS" --frozen-secrets) >"$LOGS/hacompile.log" 2>&1; then
    bad "hacompile build examples/$EXAMPLE --target compose"
    show_log "$LOGS/hacompile.log"
    return 1
  fi
  COMPOSE_DIR=$WORK/out/compose
  node "$REPO/dist/test/compose-up/plan.js" "$WORK/out/graph.json" >"$WORK/plan" || {
    bad "read $WORK/out/graph.json"
    return 1
  }
  read_plan
  ok "hacompile build examples/$EXAMPLE --target compose ($(since "$t") s)"
}

declare -a LBS=() ROUTES=() DATABASES=() VOLUMES=()
VIP=
DOMAIN=
TITLE=
ADMIN_EMAIL=

read_plan() {
  local kind rest
  while read -r kind rest; do
    case $kind in
    vip) VIP=$rest ;;
    domain) DOMAIN=$rest ;;
    title) TITLE=$rest ;;
    admin_email) ADMIN_EMAIL=$rest ;;
    lbs) read -r -a LBS <<<"$rest" ;;
    route) ROUTES+=("$rest") ;;
    database) DATABASES+=("$rest") ;;
    volume) VOLUMES+=("$rest") ;;
    esac
  done <"$WORK/plan"
}

# ---------------------------------------------------------------- engine

start_engine() {
  local t i
  t=$(now_us)
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
  for i in $(seq 1 120); do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
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

# tinyproxy on 127.0.0.1 (root namespace) <- unix socket <- 127.0.0.1:RELAY_PORT in the engine's namespace
PROXY_STARTED=0
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
    cat >"$px/tinyproxy.conf" <<EOF
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
EOF
    tinyproxy -d -c "$px/tinyproxy.conf" >>"$LOGS/tinyproxy.out" 2>&1 &
    TINYPROXY_PID=$!
    for _ in $(seq 1 20); do
      listening "$port" && break
      kill -0 "$TINYPROXY_PID" 2>/dev/null || break
      sleep 0.1
    done
    if listening "$port"; then break; fi
    kill "$TINYPROXY_PID" 2>/dev/null
    wait "$TINYPROXY_PID" 2>/dev/null
    TINYPROXY_PID=
  done
  if [ -z "$TINYPROXY_PID" ]; then
    bad "tinyproxy on 127.0.0.1 (5 ports tried)"
    show_log "$px/tinyproxy.log"
    return 1
  fi
  socat "UNIX-LISTEN:$px/proxy.sock,fork,mode=600" "TCP:127.0.0.1:$port" 2>>"$LOGS/relay.log" &
  RELAY_OUT_PID=$!
  for _ in $(seq 1 20); do [ -S "$px/proxy.sock" ] && break; sleep 0.1; done
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

# ---------------------------------------------------------------- images

BASE_KEY=
base_key() {
  BASE_KEY=$(printf 'recipe %s\nsuite %s\n' "$BASE_RECIPE" "$SUITE" | cat - "$DEBIAN_SOURCES" | sha256sum | cut -c1-16)
}

# What debian:bookworm-slim is: Debian minbase without docs, man pages and
# translations (the official image's dpkg and apt settings), with the
# machine's own Debian sources.
make_base_rootfs() {
  local root=$1 mirror
  mirror=$(awk '/^URIs:/ { print $2; exit }' "$DEBIAN_SOURCES")
  [ -n "$mirror" ] || return 1
  debootstrap --variant=minbase "$SUITE" "$root" "$mirror" || return 1
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in the debian:*-slim images: files containers do not need.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/* "$root"/usr/share/groff/*
  rm -f "$root/etc/apt/sources.list"
  cp "$DEBIAN_SOURCES" "$root/etc/apt/sources.list.d/debian.sources"
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

BASE_READY=0
ensure_base() {
  [ "$BASE_READY" = 1 ] && return 0
  local t tar root
  t=$(now_us)
  tar=$CACHE/base-$BASE_KEY.tar
  if [ ! -s "$tar" ]; then
    root=$WORK/rootfs
    if ! make_base_rootfs "$root" >"$LOGS/debootstrap.log" 2>&1; then
      bad "$BASE_IMAGE stand-in: debootstrap $SUITE"
      show_log "$LOGS/debootstrap.log"
      return 1
    fi
    mkdir -p "$CACHE"
    tar -C "$root" -cf "$tar.tmp.$$" . && mv "$tar.tmp.$$" "$tar"
    rm -rf "$root"
    note "debootstrap $SUITE minbase: $(since "$t") s"
  fi
  if ! docker import - "$BASE_IMAGE" <"$tar" >"$LOGS/import.log" 2>&1; then
    bad "$BASE_IMAGE stand-in: docker import"
    show_log "$LOGS/import.log"
    rm -f "$tar"
    return 1
  fi
  BASE_READY=1
  ok "$BASE_IMAGE stand-in ($SUITE minbase, slim settings; $(since "$t") s)"
}

# image name and build context of each service that builds one (the entrance too)
image_list() {
  python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
seen = {}
for name, s in doc["services"].items():
    b = s.get("build")
    if b is None:
        continue
    ctx = b["context"] if isinstance(b, dict) else b
    seen[s["image"]] = ctx
for image, ctx in sorted(seen.items()):
    print(image, ctx)
' "$COMPOSE_DIR/compose.yaml"
}

# An image's cache file: keyed by its Dockerfile and the base it is built on.
image_tar() {
  echo "$CACHE/image-$(cat "$COMPOSE_DIR/$1/Dockerfile" - <<<"base $BASE_KEY" | sha256sum | cut -c1-16).tar"
}

# One image: loaded from the cache, or built through the proxy and then cached.
# Prints one line "<loaded|built|FAILED> <image> <seconds>".
one_image() {
  local image=$1 ctx=$2 tar t log
  t=$(now_us)
  tar=$(image_tar "$ctx")
  log=$LOGS/image-${image//[^A-Za-z0-9]/_}.log
  if [ -s "$tar" ] && docker load -i "$tar" >"$log" 2>&1; then
    echo "loaded $image $(since "$t")"
    return 0
  fi
  if docker build --network host --build-arg "http_proxy=http://127.0.0.1:$RELAY_PORT" -t "$image" "$COMPOSE_DIR/$ctx" >"$log" 2>&1; then
    mkdir -p "$CACHE"
    docker save -o "$tar.tmp.$$.$BASHPID" "$image" >>"$log" 2>&1 && mv "$tar.tmp.$$.$BASHPID" "$tar"
    rm -f "$tar.tmp.$$.$BASHPID"
    echo "built $image $(since "$t")"
    return 0
  fi
  echo "FAILED $image $(since "$t")"
  return 1
}

build_images() {
  local t image ctx tar missing=0 line word img secs
  local -a todo=()
  t=$(now_us)
  base_key
  # Kept by the pruning even when every image came from the cache.
  USED_CACHE+=("$CACHE/base-$BASE_KEY.tar")
  while read -r image ctx; do
    todo+=("$image $ctx")
    tar=$(image_tar "$ctx")
    USED_CACHE+=("$tar")
    [ -s "$tar" ] || missing=1
  done < <(image_list)
  if [ "${#todo[@]}" -eq 0 ]; then
    bad "no image to build in $COMPOSE_DIR/compose.yaml"
    return 1
  fi
  # The base and the proxy only when something must be built.
  if [ "$missing" = 1 ]; then
    ensure_base || return 1
    start_proxy || return 1
  fi
  : >"$WORK/images.result"
  # BUILD_JOBS at a time; waiting on these pids only (the engine and the proxy are children too).
  local -a jobs=()
  local j
  for line in "${todo[@]}"; do
    read -r image ctx <<<"$line"
    one_image "$image" "$ctx" >>"$WORK/images.result" &
    jobs+=("$!")
    while [ "${#jobs[@]}" -ge "$BUILD_JOBS" ]; do
      wait -n "${jobs[@]}"
      for j in "${!jobs[@]}"; do kill -0 "${jobs[$j]}" 2>/dev/null || unset "jobs[$j]"; done
      jobs=("${jobs[@]}")
    done
  done
  [ "${#jobs[@]}" -eq 0 ] || wait "${jobs[@]}"
  local all=0
  while read -r word img secs; do
    if [ "$word" = FAILED ]; then
      bad "image $img (docker build through the proxy, $secs s)"
      show_log "$LOGS/image-${img//[^A-Za-z0-9]/_}.log"
      all=1
    else
      ok "image $img ($word, $secs s)"
    fi
  done <"$WORK/images.result"
  note "images: $(since "$t") s"
  return "$all"
}

# ---------------------------------------------------------------- the stack

declare -a SERVICES=()

stack_up() {
  local t
  t=$(now_us)
  # Those `up` starts: the ones outside any profile (the entrance is in one).
  mapfile -t SERVICES < <(python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for name, s in doc["services"].items():
    if not s.get("profiles"):
        print(name)
' "$COMPOSE_DIR/compose.yaml")
  STACK_UP=1
  if ! timeout "$UP_TIMEOUT" docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" up -d --no-build >"$LOGS/compose-up.log" 2>&1; then
    bad "docker-compose up -d (${#SERVICES[@]} services, $(since "$t") s)"
    show_log "$LOGS/compose-up.log"
    dc ps >"$LOGS/ps.log" 2>&1
    show_log "$LOGS/ps.log" 30
    return 1
  fi
  local s
  for s in "${SERVICES[@]}"; do CIDS[$s]=$(dc ps -q "$s" 2>/dev/null | head -n 1); done
  ok "docker-compose up -d: ${#SERVICES[@]} services (${SERVICES[*]}; $(since "$t") s)"
}

wait_healthy() {
  local t s id st deadline pending
  local -A seen=()
  t=$(now_us)
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  while :; do
    pending=()
    for s in "${SERVICES[@]}"; do
      [ -n "${seen[$s]:-}" ] && continue
      id=$(cid "$s")
      st=$( [ -n "$id" ] && docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null)
      if [ "$st" = healthy ]; then
        seen[$s]=$(since "$t")
      else
        pending+=("$s:${st:-missing}")
      fi
    done
    [ "${#pending[@]}" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      bad "every service healthy within ${HEALTH_TIMEOUT} s after up; not: ${pending[*]}"
      for s in "${pending[@]}"; do
        dc logs --no-color --tail 20 "${s%%:*}" >"$LOGS/svc.log" 2>&1
        show_log "$LOGS/svc.log" 20
      done
      return 1
    fi
    sleep 2
  done
  ok "every service healthy ($(since "$t") s after up returned)"
}

start_client() {
  local lb id image net
  lb=${LBS[0]}
  id=$(cid "$lb")
  image=$(docker inspect -f '{{.Config.Image}}' "$id")
  net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$id")
  CLIENT=$NS-client
  if ! docker run -d --name "$CLIENT" --network "$net" --entrypoint sleep "$image" 3600 >"$LOGS/client.log" 2>&1; then
    bad "client container on network $net"
    show_log "$LOGS/client.log"
    CLIENT=
    return 1
  fi
  note "client container $CLIENT on $net ($image)"
}

# The load balancers holding the VIP now.
vip_holders() {
  local lb out=()
  for lb in "${LBS[@]}"; do
    has_vip "$lb" && out+=("$lb")
  done
  echo "${out[*]}"
}

check_vip() {
  local holders i
  for i in $(seq 1 20); do
    holders=$(vip_holders)
    [ "$holders" = "${LBS[0]}" ] && break
    sleep 0.5
  done
  if [ "$holders" = "${LBS[0]}" ]; then
    ok "VIP $VIP on ${LBS[0]} only (the preferred load balancer)"
  else
    bad "VIP $VIP on '${holders:-nobody}', expected ${LBS[0]} only"
  fi
}

# GET through the VIP until every member of the pool answered (bounded); each
# answer: 200, X-Served-By a member, and the body contains every given needle.
route_serves() {
  local path=$1 label=$2 members=$3
  shift 3
  local -A seen=()
  local -a m
  read -r -a m <<<"$members"
  local i r st by body needle problem=
  for i in $(seq 1 $((${#m[@]} * 8))); do
    r=$(client_curl -i "http://$VIP$path") || {
      problem="request $i failed"
      break
    }
    st=$(status_of "$r")
    by=$(header "$r" X-Served-By)
    if [ "$st" != 200 ]; then
      problem="request $i: HTTP $st from ${by:-?}"
      break
    fi
    if ! in_list "$by" "${m[@]}"; then
      problem="request $i: X-Served-By '${by}' is not a member of the pool"
      break
    fi
    body=$(body_of "$r")
    for needle in "$@"; do
      if ! contains "$body" "$needle"; then
        problem="request $i: the page from $by lacks '$needle'"
        break 2
      fi
    done
    seen[$by]=1
    [ "${#seen[@]}" -eq "${#m[@]}" ] && break
  done
  if [ -z "$problem" ] && [ "${#seen[@]}" -ne "${#m[@]}" ]; then problem="only ${!seen[*]} answered in $i requests"; fi
  if [ -n "$problem" ]; then
    bad "route $path ($label): $problem"
    return 1
  fi
  ok "route $path ($label): 200 from ${!seen[*]} through the VIP, with the expected content"
}

wp_install() {
  local path=$1 r st loc t pw
  t=$(now_us)
  r=$(client_curl -i "http://$VIP${path%/}/") || true
  st=$(status_of "$r")
  loc=$(header "$r" Location)
  if [ "$st" = 302 ] && [[ $loc == *"${path%/}/wp-admin/install.php"* ]]; then
    ok "route $path (wordpress) before the install: 302 to the installer from $(header "$r" X-Served-By)"
  else
    bad "route $path (wordpress) before the install: expected a 302 to wp-admin/install.php, got HTTP ${st:-none} ${loc}"
  fi
  # The admin password of the (fake) secrets fixture; into the client through stdin, never on a command line.
  pw=$(sed -n 's/^wordpressAdmin:[[:space:]]*//p' "$SECRETS")
  printf '%s' "$pw" | timeout 30 docker exec -i "$CLIENT" sh -c 'cat > /tmp/pw'
  r=$(client_curl -i --max-time 120 \
    --data-urlencode "weblog_title=$TITLE" --data-urlencode "user_name=admin" \
    --data-urlencode "admin_password@/tmp/pw" --data-urlencode "admin_password2@/tmp/pw" \
    --data-urlencode "pw_weak=1" --data-urlencode "admin_email=$ADMIN_EMAIL" --data-urlencode "blog_public=0" \
    "http://$VIP${path%/}/wp-admin/install.php?step=2") || true
  st=$(status_of "$r")
  if [ "$st" = 200 ] && contains "$(body_of "$r")" 'Success!'; then
    ok "WordPress installed through the VIP (POST install.php?step=2 on $(header "$r" X-Served-By), $(since "$t") s)"
  else
    bad "WordPress install through the VIP: HTTP ${st:-none}, no 'Success!'"
    body_of "$r" | sed -e 's/<[^>]*>//g' | grep -v '^[[:space:]]*$' | tail -n 10 | sed 's/^/      | /'
    return 1
  fi
}

check_routes() {
  local line path pool app members
  for line in "${ROUTES[@]}"; do
    read -r path pool app members <<<"$line"
    case $app in
    wordpress)
      wp_install "$path" || continue
      # The site's own page, not the installer: the theme's markup and the site title.
      route_serves "${path%/}/" "pool $pool, wordpress" "$members" "<title>" "$TITLE" "wp-content/themes/"
      ;;
    static)
      route_serves "$path" "pool $pool, static" "$members" "<title>" "$TITLE"
      ;;
    *)
      route_serves "$path" "pool $pool, $app" "$members"
      ;;
    esac
  done
}

check_databases() {
  local line name engine schema primary replicas r token pos t got blogname
  for line in "${DATABASES[@]}"; do
    read -r name engine schema primary replicas <<<"$line"
    if [ "$engine" != mariadb ]; then
      note "database $name: $engine is not exercised here (MariaDB only)"
      continue
    fi
    token=t$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    t=$(now_us)
    pos=$(in_svc "$primary" mariadb -N -B -e "CREATE DATABASE IF NOT EXISTS hacompile_compose_up;
      CREATE TABLE IF NOT EXISTS hacompile_compose_up.probe (token VARCHAR(40) PRIMARY KEY);
      INSERT INTO hacompile_compose_up.probe VALUES ('$token');
      SELECT @@gtid_binlog_pos;" 2>&1 | tail -n 1)
    if ! [[ $pos =~ ^[0-9-]+(,[0-9-]+)*$ ]]; then
      bad "database $name: write on the primary $primary: $pos"
      continue
    fi
    for r in $replicas; do
      got=$(in_svc "$r" mariadb -N -B -e "SELECT MASTER_GTID_WAIT('$pos', 20);
        SELECT token FROM hacompile_compose_up.probe WHERE token = '$token';" 2>&1 | tr '\n' ' ')
      if [ "$got" = "0 $token " ]; then
        ok "database $name: a row written on $primary is read on $r ($(since "$t") s)"
      else
        bad "database $name: the row written on $primary is not on $r: $got"
      fi
      # The site WordPress installed through the VIP, on the replica.
      blogname=$(in_svc "$r" mariadb -N -B -e "SELECT CONCAT('SELECT option_value FROM \`$schema\`.\`', table_name, '\` WHERE option_name = ''blogname''')
        FROM information_schema.tables WHERE table_schema = '$schema' AND table_name LIKE '%options' LIMIT 1" 2>/dev/null |
        in_svc_stdin "$r" mariadb -N -B 2>/dev/null)
      if [ -n "$blogname" ]; then
        if [ "$blogname" = "$TITLE" ]; then
          ok "database $name: the WordPress site ('$blogname') is on $r"
        else
          bad "database $name: blogname on $r is '$blogname', expected '$TITLE'"
        fi
      fi
    done
  done
}

check_volumes() {
  local line name mount url clients first other token got r by i
  local -a c
  for line in "${VOLUMES[@]}"; do
    read -r name mount url clients <<<"$line"
    read -r -a c <<<"$clients"
    first=${c[0]}
    token=hcu-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    if ! in_svc "$first" sh -c "printf '%s' '$token' > '$mount/$token.txt'"; then
      bad "volume $name: write $mount/$token.txt on $first"
      continue
    fi
    for other in "${c[@]:1}"; do
      got=$(in_svc "$other" cat "$mount/$token.txt" 2>&1)
      if [ "$got" = "$token" ]; then
        ok "volume $name: a file written on $first is read on $other ($mount)"
      else
        bad "volume $name: the file written on $first reads '$got' on $other"
      fi
    done
    [ "$url" = - ] && continue
    local -A seen=()
    for i in $(seq 1 $((${#c[@]} * 8))); do
      r=$(client_curl -i "http://$VIP$url/$token.txt") || break
      by=$(header "$r" X-Served-By)
      [ "$(status_of "$r")" = 200 ] && [ "$(body_of "$r")" = "$token" ] && seen[$by]=1
      [ "${#seen[@]}" -ge "${#c[@]}" ] && break
    done
    if [ "${#seen[@]}" -ge "${#c[@]}" ]; then
      ok "volume $name: the file is served at $url/ through the VIP by ${!seen[*]}"
    else
      bad "volume $name: $url/$token.txt through the VIP served correctly only by '${!seen[*]}'"
    fi
  done
}

# Stop the container holding the VIP while a client requests the static route
# in a loop: the VIP moves to another load balancer and requests go on.
check_failover() {
  local active t moved_at next i loop failures total tail_bad path
  active=$(vip_holders)
  if [ "${#LBS[@]}" -lt 2 ] || [ -z "$active" ] || [[ $active == *" "* ]]; then
    bad "failover: needs one VIP holder among ${#LBS[@]} load balancers, have '${active}'"
    return 1
  fi
  path=/
  # A bounded loop in the client: FAILOVER_REQUESTS requests, each at most 2 s, 50 ms apart.
  timeout 30 docker exec -d "$CLIENT" sh -c "i=0; while [ \$i -lt $FAILOVER_REQUESTS ]; do i=\$((i+1)); \
    if curl -fsS -o /dev/null --max-time 2 -H 'Host: $DOMAIN' 'http://$VIP$path'; then echo \"\$i ok\"; else echo \"\$i fail\"; fi; \
    sleep 0.05; done > /tmp/failover.log 2>/dev/null; echo done >> /tmp/failover.log"
  sleep 2
  local lb stopper stopped_in
  local -a others=()
  for lb in "${LBS[@]}"; do [ "$lb" = "$active" ] || others+=("$lb"); done
  t=$(now_us)
  timeout 60 docker stop "$(cid "$active")" >"$LOGS/stop.log" 2>&1 &
  stopper=$!
  # Poll the other load balancers while the stop runs (each poll is a docker exec: about 0.1 to 1 s).
  next=
  for i in $(seq 1 120); do
    for lb in "${others[@]}"; do
      if has_vip "$lb"; then
        next=$lb
        moved_at=$(since "$t")
        break 2
      fi
    done
    sleep 0.25
  done
  if wait "$stopper"; then stopped_in="docker stop took $(since "$t") s"; else stopped_in="docker stop failed"; fi
  if [ -z "$next" ]; then
    bad "failover: the VIP did not reach ${others[*]} after stopping $active ($stopped_in)"
    return 1
  fi
  ok "failover: VIP moved from $active to $next, seen there $moved_at s after docker stop began ($stopped_in)"
  for i in $(seq 1 60); do
    timeout 10 docker exec "$CLIENT" grep -q '^done' /tmp/failover.log && break
    sleep 1
  done
  loop=$(timeout 10 docker exec "$CLIENT" cat /tmp/failover.log 2>/dev/null)
  total=$(grep -cE '^[0-9]+ (ok|fail)$' <<<"$loop")
  failures=$(grep -c ' fail$' <<<"$loop")
  tail_bad=$(grep -E '^[0-9]+ (ok|fail)$' <<<"$loop" | tail -n 20 | grep -c ' fail$')
  # In-flight requests may break when the VIP's MAC address changes under them;
  # after the move every request must succeed.
  if [ "$total" -eq "$FAILOVER_REQUESTS" ] && [ "$failures" -le 3 ] && [ "$tail_bad" -eq 0 ]; then
    ok "failover: requests went on: $((total - failures)) of $total answered, $failures failed at the switch"
  else
    bad "failover: $failures of $total requests failed ($tail_bad among the last 20)"
    grep ' fail$' <<<"$loop" | head -n 10 | sed 's/^/      | /'
  fi
}

# ---------------------------------------------------------------- teardown

stop_pid() {
  # $1 = pid we started, $2 = seconds to wait after TERM
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null
    return 0
  }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
  fi
  wait "$pid" 2>/dev/null
  return 0
}

teardown() {
  local t problems=() left m
  t=$(now_us)
  if [ -n "$CLIENT" ]; then
    timeout 60 docker rm -f "$CLIENT" >/dev/null 2>&1 || problems+=("client container not removed")
  fi
  if [ "$STACK_UP" = 1 ]; then
    if timeout 300 docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" down -v --remove-orphans >"$LOGS/compose-down.log" 2>&1; then
      left=$(docker ps -aq | wc -l)/$(docker volume ls -q | wc -l)/$(docker network ls -q --filter type=custom | wc -l)
      if [ "$left" = 0/0/0 ]; then
        ok "docker-compose down -v: no container, volume or network left ($(since "$t") s)"
      else
        bad "docker-compose down -v left containers/volumes/networks $left"
      fi
    else
      bad "docker-compose down -v"
      show_log "$LOGS/compose-down.log"
    fi
  fi
  t=$(now_us)
  stop_pid "$DOCKERD_PID" 60 || problems+=("dockerd needed SIGKILL")
  stop_pid "$RELAY_IN_PID" 5 || problems+=("relay in $NS needed SIGKILL")
  stop_pid "$RELAY_OUT_PID" 5 || problems+=("relay outside needed SIGKILL")
  stop_pid "$TINYPROXY_PID" 10 || problems+=("tinyproxy needed SIGKILL")
  if [ -e "/run/netns/$NS" ]; then
    left=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
    if [ -n "$left" ]; then
      problems+=("processes left in $NS: $left")
      for m in $left; do kill -KILL "$m" 2>/dev/null; done
      sleep 1
    fi
    ip netns del "$NS" || problems+=("ip netns del $NS failed")
  fi
  if [ -n "$WORK" ]; then
    # The engine leaves the bind mount of its default network sandbox (exec-root/netns/default) behind.
    while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || problems+=("cannot unmount $m")
    done < <(awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  fi
  # What dockerd 20.10 creates outside its roots whatever the flags: /run/docker/plugins.
  if [ "$RUN_DOCKER_EXISTED" = 0 ] && [ -d /run/docker ]; then
    rmdir /run/docker/plugins /run/docker 2>/dev/null || problems+=("/run/docker not empty")
  fi
  if [ "$KEY_JSON_EXISTED" = 0 ] && [ -e /etc/docker/key.json ]; then problems+=("/etc/docker/key.json was written"); fi
  # Check: nothing of this run is left.
  [ -e "/run/netns/$NS" ] && problems+=("namespace $NS still exists")
  if [ -n "$WORK" ]; then
    grep -qF "$WORK/" /proc/self/mountinfo && problems+=("mounts left under $WORK")
    # A pattern that does not match grep's own command line: /[v]ar/... for /var/...
    # (WORK's mktemp name has no other regex characters than dots, which match themselves too).
    left=$(grep -lsE "/[${WORK:1:1}]${WORK:2}" /proc/[0-9]*/cmdline 2>/dev/null | sed -E 's#/proc/([0-9]+)/cmdline#\1#' | tr '\n' ' ')
    [ -n "$left" ] && problems+=("processes left: $left")
    rm -rf "$WORK" || problems+=("cannot remove $WORK")
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    ok "engine, proxy and namespace $NS stopped; no process, mount or namespace left ($(since "$t") s)"
  else
    bad "cleanup: ${problems[*]}"
  fi
}

# Keep the cache to what this run used: older bases and images go.
prune_cache() {
  local f keep
  [ -d "$CACHE" ] || return 0
  for f in "$CACHE"/base-*.tar "$CACHE"/image-*.tar; do
    [ -e "$f" ] || continue
    keep=0
    in_list "$f" "${USED_CACHE[@]}" && keep=1
    [ "$keep" = 1 ] || rm -f "$f"
  done
  rm -f "$CACHE"/*.tmp.*
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  teardown
  [ "$failed" -eq 0 ] && prune_cache
  note "total: $(since "$RUN_START") s"
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
  exit 1
}

# ---------------------------------------------------------------- main

main() {
  local cmd missing=()
  if [ "$(id -u)" != 0 ]; then
    bad "must run as root (network namespaces, dockerd)"
    return 1
  fi
  for cmd in dockerd docker docker-compose debootstrap tinyproxy socat nsenter ip ss python3 node sha256sum; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    bad "missing commands: ${missing[*]} (Debian: docker.io docker-compose debootstrap tinyproxy socat)"
    return 1
  fi
  [ -r "$DEBIAN_SOURCES" ] || {
    bad "no $DEBIAN_SOURCES to read the Debian mirror from"
    return 1
  }
  [ -d /run/docker ] && RUN_DOCKER_EXISTED=1
  [ -e /etc/docker/key.json ] && KEY_JSON_EXISTED=1
  WORK=$(mktemp -d /var/tmp/hacompile-compose-up.XXXXXX) || return 1
  # tinyproxy drops to nobody and must still reach its files below.
  chmod 0711 "$WORK"
  LOGS=$WORK/logs
  mkdir -p "$LOGS"
  export DOCKER_CONFIG=$WORK/docker-config
  note "example $EXAMPLE; work folder $WORK; cache $CACHE"

  build_output || return 1
  start_engine || return 1
  build_images || return 1
  stack_up || return 1
  wait_healthy || return 1
  start_client || return 1
  check_vip
  check_routes
  check_databases
  check_volumes
  check_failover
}

trap finish EXIT
trap 'bad "interrupted"; exit 130' INT TERM
main
