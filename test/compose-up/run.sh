#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# docker compose up, for real: builds an example's compose/ output (default
# wordpress-ha), brings it up under a private Docker engine, exercises it
# through the VIP, then takes everything down again and checks that nothing
# is left. Ends with the line CI reads: "N passed, N failed".
#
#   test/compose-up/run.sh [example]        (as root, after `npm run build`)
#
# Needs the Debian packages docker.io docker-compose debootstrap tinyproxy
# socat curl (.ci/run installs them). Nothing outside this run's own network
# namespace and work folder changes, apart from the cache:
# - lib/engine.sh: dockerd in a namespace of its own, no iptables, no
#   default bridge; tinyproxy on 127.0.0.1 relayed into it for the builds;
# - lib/images.sh: a debian:bookworm-slim stand-in (debootstrap from the
#   mirror in /etc/apt/sources.list.d/debian.sources, read at run time) and
#   every image built from the generated Dockerfiles;
# - lib/stack.sh: docker-compose up -d, every healthcheck, down -v;
# - lib/checks.sh: the VIP, every route, the WordPress install, the
#   entrance, replication, the shared volume, a load balancer failover.
# HACOMPILE_CI_CACHE (default /var/cache/hacompile-ci) keeps the base root
# file system and the built images between runs, keyed by sha256 of what made
# them; a run without it only takes longer. HACOMPILE_COMPOSE_UP_LOGS=<dir>
# keeps the run's logs, each container's output among them. Every wait is
# bounded in count and time; every step prints its duration.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
EXAMPLE=${1:-wordpress-ha}
CACHE=${HACOMPILE_CI_CACHE:-/var/cache/hacompile-ci}/compose-up
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
SECRETS=$REPO/test/fixtures/fake.secrets.yaml
WORK=
LOGS=
passed=0
failed=0

# The legacy builder: the same with the Debian client (20.10) and a newer one, and no BuildKit entitlements for --network host.
export DOCKER_BUILDKIT=0

# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/engine.sh
. "$HERE/lib/engine.sh"
# shellcheck source=lib/images.sh
. "$HERE/lib/images.sh"
# shellcheck source=lib/stack.sh
. "$HERE/lib/stack.sh"
# shellcheck source=lib/checks.sh
. "$HERE/lib/checks.sh"

RUN_START=$(now_us)

finish() {
  local rc=$? t
  trap - EXIT INT TERM
  t=$(now_us)
  stack_down
  stop_engine
  # HACOMPILE_COMPOSE_UP_LOGS=<dir>: keep this run's logs (every container's output in stack.log) there.
  if [ -n "${HACOMPILE_COMPOSE_UP_LOGS:-}" ] && [ -n "$LOGS" ] && [ -d "$LOGS" ]; then
    mkdir -p "$HACOMPILE_COMPOSE_UP_LOGS" && cp -r "$LOGS/." "$HACOMPILE_COMPOSE_UP_LOGS/"
  fi
  if [ -n "$WORK" ]; then rm -rf "$WORK" || CLEANUP_PROBLEMS+=("cannot remove $WORK"); fi
  if [ -n "$WORK" ]; then
    if [ "${#CLEANUP_PROBLEMS[@]}" -eq 0 ]; then
      ok "engine, proxy and namespace $NS stopped; no process, mount or namespace left ($(since "$t") s)"
    else
      bad "cleanup: ${CLEANUP_PROBLEMS[*]}"
    fi
  fi
  [ "$failed" -eq 0 ] && prune_cache
  note "total: $(since "$RUN_START") s"
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] && exit 0
  exit 1
}

main() {
  local cmd missing=()
  if [ "$(id -u)" != 0 ]; then
    bad "must run as root (network namespaces, dockerd)"
    return 1
  fi
  for cmd in dockerd docker docker-compose debootstrap tinyproxy socat curl nsenter ip ss python3 node sha256sum; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    bad "missing commands: ${missing[*]} (Debian: docker.io docker-compose debootstrap tinyproxy socat curl)"
    return 1
  fi
  if [ ! -r "$DEBIAN_SOURCES" ]; then
    bad "no $DEBIAN_SOURCES to read the Debian mirror from"
    return 1
  fi
  WORK=$(mktemp -d /var/tmp/hacompile-compose-up.XXXXXX) || return 1
  # tinyproxy drops to nobody and must still reach its files below.
  chmod 0711 "$WORK"
  LOGS=$WORK/logs
  mkdir -p "$LOGS"
  # The clients' own configuration stays in the work folder, not in ~/.docker.
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
  check_entrance
  check_databases
  check_volumes
  # Last: it stops a load balancer.
  check_failover
}

trap finish EXIT
trap 'bad "interrupted"; exit 130' INT TERM
main
