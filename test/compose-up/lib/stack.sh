# shellcheck shell=bash
# The example's compose output and its stack, for test/compose-up/run.sh (sourced).

UP_TIMEOUT=900
HEALTH_TIMEOUT=300

COMPOSE_DIR=
CLIENT=
STACK_UP=0
# From graph.json (plan.ts): the facts the checks exercise.
VIP=
DOMAIN=
TITLE=
ADMIN_EMAIL=
ADMIN_CLIENT=
declare -a LBS=() ROUTES=() DATABASES=() VOLUMES=()
# From compose.yaml: "image context" lines, the services `up` starts, the profiles.
declare -a IMAGES=() SERVICES=() PROFILES=()
# Container ids of the services, asked once after up (docker-compose takes a second to start).
declare -A CIDS=()

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
  if ! node "$REPO/dist/test/compose-up/plan.js" "$WORK/out/graph.json" >"$WORK/plan" 2>"$LOGS/plan.log" ||
    ! compose_facts >"$WORK/compose-facts" 2>>"$LOGS/plan.log"; then
    bad "read the output's graph.json and compose.yaml"
    show_log "$LOGS/plan.log"
    return 1
  fi
  read_facts "$WORK/plan" "$WORK/compose-facts"
  ok "hacompile build examples/$EXAMPLE --target compose ($(since "$t") s)"
}

# compose.yaml as Compose reads it (PyYAML, which docker-compose itself uses).
compose_facts() {
  python3 -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
images = {}
for name, s in doc["services"].items():
    b = s.get("build")
    if b is not None:
        images[s["image"]] = b["context"] if isinstance(b, dict) else b
    if s.get("profiles"):
        for p in s["profiles"]:
            print("profile", p)
    else:
        print("service", name)
for image, ctx in sorted(images.items()):
    print("image", image, ctx)
' "$COMPOSE_DIR/compose.yaml"
}

read_facts() {
  local kind rest
  while read -r kind rest; do
    case $kind in
    vip) VIP=$rest ;;
    domain) DOMAIN=$rest ;;
    title) TITLE=$rest ;;
    admin_email) ADMIN_EMAIL=$rest ;;
    admin_client) ADMIN_CLIENT=$rest ;;
    lbs) read -r -a LBS <<<"$rest" ;;
    route) ROUTES+=("$rest") ;;
    database) DATABASES+=("$rest") ;;
    volume) VOLUMES+=("$rest") ;;
    image) IMAGES+=("$rest") ;;
    service) SERVICES+=("$rest") ;;
    profile) in_list "$rest" "${PROFILES[@]}" || PROFILES+=("$rest") ;;
    esac
  done < <(cat "$@")
}

dc() { (cd "$COMPOSE_DIR" && docker-compose --ansi never "$@"); }

cid() { echo "${CIDS[$1]:-}"; }

# Runs a command in a service's container, bounded; in_svc_stdin passes this script's stdin on.
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

stack_up() {
  local t s
  t=$(now_us)
  STACK_UP=1
  # --no-build: the images are there (images.sh); Compose must not try to pull or build.
  if ! timeout "$UP_TIMEOUT" docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" \
    up -d --no-build >"$LOGS/compose-up.log" 2>&1; then
    bad "docker-compose up -d (${#SERVICES[@]} services, $(since "$t") s)"
    show_log "$LOGS/compose-up.log"
    dc ps >"$LOGS/ps.log" 2>&1
    show_log "$LOGS/ps.log" 30
    return 1
  fi
  for s in "${SERVICES[@]}"; do CIDS[$s]=$(dc ps -q "$s" 2>/dev/null | head -n 1); done
  ok "docker-compose up -d: ${#SERVICES[@]} services (${SERVICES[*]}; $(since "$t") s)"
}

# Every service's healthcheck passes (each host's bootstraps done), bounded.
wait_healthy() {
  local t s id st deadline
  local -a pending
  local -A seen=()
  t=$(now_us)
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  while :; do
    pending=()
    for s in "${SERVICES[@]}"; do
      [ -n "${seen[$s]:-}" ] && continue
      id=$(cid "$s")
      st=
      [ -n "$id" ] && st=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null)
      if [ "$st" = healthy ]; then
        seen[$s]=1
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

# A container on the compose network, for requests through the VIP (the image
# of the first load balancer: it has curl), at an address of the admin network:
# only that network sees X-Served-By, the health endpoint and the installer.
start_client() {
  local id image net
  local -a ip=()
  id=$(cid "${LBS[0]}")
  image=$(docker inspect -f '{{.Config.Image}}' "$id")
  net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$id")
  CLIENT=$NS-client
  if [ -n "$ADMIN_CLIENT" ]; then ip=(--ip "$ADMIN_CLIENT"); fi
  if ! timeout 60 docker run -d --name "$CLIENT" --network "$net" "${ip[@]}" --entrypoint sleep "$image" 3600 >"$LOGS/client.log" 2>&1; then
    bad "client container on network $net"
    show_log "$LOGS/client.log"
    CLIENT=
    return 1
  fi
  note "client container $CLIENT on $net ($image)"
}

# Down with every profile, so that the entrance goes too. Reports one check.
stack_down() {
  local t p left
  local -a profiles=()
  t=$(now_us)
  if [ -n "$CLIENT" ]; then
    timeout 60 docker rm -f "$CLIENT" >/dev/null 2>&1 || CLEANUP_PROBLEMS+=("client container not removed")
  fi
  [ "$STACK_UP" = 1 ] || return 0
  for p in "${PROFILES[@]}"; do profiles+=(--profile "$p"); done
  timeout 120 docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" "${profiles[@]}" \
    logs --no-color --timestamps >"$LOGS/stack.log" 2>&1
  if ! timeout 300 docker-compose --ansi never --project-directory "$COMPOSE_DIR" -f "$COMPOSE_DIR/compose.yaml" "${profiles[@]}" \
    down -v --remove-orphans >"$LOGS/compose-down.log" 2>&1; then
    bad "docker-compose down -v"
    show_log "$LOGS/compose-down.log"
    return 1
  fi
  left=$(docker ps -aq | wc -l)/$(docker volume ls -q | wc -l)/$(docker network ls -q --filter type=custom | wc -l)
  if [ "$left" = 0/0/0 ]; then
    ok "docker-compose down -v: no container, volume or network left ($(since "$t") s)"
  else
    bad "docker-compose down -v left containers/volumes/networks $left"
  fi
}
